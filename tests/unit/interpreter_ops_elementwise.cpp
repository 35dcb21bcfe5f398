// The reference interpreter on every unary, binary and ternary op and on cast, checked
// against values worked out by hand (or, for transcendental functions, known constants): the
// integer edges (wrap, INT_MIN, division by zero, shifts out of range), NaN, ±inf, -0.0 (by
// its sign bit), denormals, round half to even, Python's divmod signs, and the single
// rounding to f16/bf16/f32.
#include "interpreter_test_util.hpp"

using namespace kiln;
using namespace kiln::test;

namespace {

constexpr int64_t kI32Min = INT32_MIN, kI32Max = INT32_MAX, kU32Max = UINT32_MAX;
constexpr int64_t kI64Min = INT64_MIN, kI64Max = INT64_MAX;
const double kPi = 3.141592653589793;

NodeRef un(Op op, DType t, const std::vector<double>& x) { return node(op, {vec_f(t, x)}); }
NodeRef un_i(Op op, DType t, const std::vector<int64_t>& x) { return node(op, {vec_i(t, x)}); }
NodeRef bin(Op op, DType t, const std::vector<double>& a, const std::vector<double>& b) {
  return node(op, {vec_f(t, a), vec_f(t, b)});
}
NodeRef bin_i(Op op, DType t, const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  return node(op, {vec_i(t, a), vec_i(t, b)});
}
double approx_only(const NodeRef& r) { return only(doubles(r)); }

}  // namespace

TEST_CASE("neg and abs wrap at the integer minimum and keep the float sign rules") {
  CHECK_SAME(doubles(un(Op::Neg, f64, {1.5, -0.0, 0.0, kInf, kNaN})), {-1.5, 0.0, -0.0, -kInf, kNaN});
  CHECK_INTS(ints(un_i(Op::Neg, i32, {kI32Min, 5, 0})), {kI32Min, -5, 0});
  CHECK_INTS(ints(un_i(Op::Neg, i64, {kI64Min, kI64Max})), {kI64Min, -kI64Max});
  CHECK_INTS(ints(un_i(Op::Neg, u32, {1, 0})), {kU32Max, 0});
  CHECK_SAME(doubles(un(Op::Abs, f32, {-2.5, -0.0, -kInf, kNaN})), {2.5, 0.0, kInf, kNaN});
  CHECK_INTS(ints(un_i(Op::Abs, i32, {kI32Min, -3, 3})), {kI32Min, 3, 3});
  CHECK_INTS(ints(un_i(Op::Abs, i64, {kI64Min, -kI64Max})), {kI64Min, kI64Max});
  CHECK_INTS(ints(un_i(Op::Abs, u32, {kU32Max})), {kU32Max});
}

TEST_CASE("sign is -1, 0 or 1, keeps ±0.0 and NaN") {
  CHECK_SAME(doubles(un(Op::Sign, f32, {-2, -0.0, 0.0, 3, kNaN, -kInf})), {-1, -0.0, 0.0, 1, kNaN, -1});
  CHECK_INTS(ints(un_i(Op::Sign, i32, {-7, 0, 9, kI32Min})), {-1, 0, 1, -1});
  CHECK_INTS(ints(un_i(Op::Sign, u32, {0, kU32Max})), {0, 1});
}

TEST_CASE("floor, ceil and trunc keep -0.0 and infinities; on integers they are the identity") {
  std::vector<double> x = {-1.5, -0.5, 0.5, 1.5, -0.0, kInf, kNaN};
  CHECK_SAME(doubles(un(Op::Floor, f64, x)), {-2, -1, 0, 1, -0.0, kInf, kNaN});
  CHECK_SAME(doubles(un(Op::Ceil, f64, x)), {-1, -0.0, 1, 2, -0.0, kInf, kNaN});
  CHECK_SAME(doubles(un(Op::Trunc, f64, x)), {-1, -0.0, 0, 1, -0.0, kInf, kNaN});
  for (Op op : {Op::Floor, Op::Ceil, Op::Round, Op::Trunc}) {
    CHECK_INTS(ints(un_i(op, i32, {kI32Min, -7, kI32Max})), {kI32Min, -7, kI32Max});
    CHECK_INTS(ints(un_i(op, i64, {kI64Max})), {kI64Max});
  }
}

TEST_CASE("round is half to even, exact near .5, and keeps the sign of zero") {
  double below_half = 0.5 - std::ldexp(1.0, -54);  // 0.49999999999999994
  double two_to_52 = std::ldexp(1.0, 52);
  CHECK_SAME(doubles(un(Op::Round, f64,
                        {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, below_half, -below_half, 2.5000000000000004, -0.4,
                         two_to_52 + 1, kNaN, -kInf})),
             {0.0, 2.0, 2.0, -0.0, -2.0, -2.0, 0.0, -0.0, 3.0, -0.0, two_to_52 + 1, kNaN, -kInf});
  CHECK_SAME(doubles(un(Op::Round, f16, {2.5, 3.5, -0.5})), {2.0, 4.0, -0.0});
}

TEST_CASE("exponentials and logarithms") {
  CHECK_SAME(doubles(un(Op::Exp, f64, {0.0, -kInf, kInf, kNaN})), {1.0, 0.0, kInf, kNaN});
  CHECK(approx_only(un(Op::Exp, f64, {1.0})) == doctest::Approx(2.718281828459045).epsilon(1e-15));
  // exp(1) in f32 is the f32 nearest e: 0x402df854.
  CHECK(approx_only(un(Op::Exp, f32, {1.0})) == static_cast<double>(std::bit_cast<float>(0x402df854u)));
  CHECK_SAME(doubles(un(Op::Exp2, f64, {10.0, -1.0, -kInf})), {1024.0, 0.5, 0.0});
  // expm1 and log1p keep the precision that exp(x) - 1 and log(1 + x) lose.
  CHECK(approx_only(un(Op::Expm1, f64, {1e-10})) == doctest::Approx(1.00000000005e-10).epsilon(1e-15));
  CHECK_SAME(doubles(un(Op::Expm1, f64, {-kInf, -0.0})), {-1.0, -0.0});
  CHECK_SAME(doubles(un(Op::Log, f64, {1.0, 0.0, -1.0, kInf})), {0.0, -kInf, kNaN, kInf});
  CHECK(approx_only(un(Op::Log, f64, {2.718281828459045})) == doctest::Approx(1.0).epsilon(1e-15));
  CHECK_SAME(doubles(un(Op::Log2, f64, {8.0, 0.25, 0.0})), {3.0, -2.0, -kInf});
  CHECK(approx_only(un(Op::Log1p, f64, {1e-10})) == doctest::Approx(9.9999999995e-11).epsilon(1e-15));
  CHECK_SAME(doubles(un(Op::Log1p, f64, {-1.0, -2.0, -0.0})), {-kInf, kNaN, -0.0});
}

TEST_CASE("sqrt, rsqrt, reciprocal and square") {
  double tiny = std::ldexp(1.0, -1074);  // the smallest f64 denormal
  CHECK_SAME(doubles(un(Op::Sqrt, f64, {4.0, -0.0, -1.0, kInf, tiny})), {2.0, -0.0, kNaN, kInf, std::ldexp(1.0, -537)});
  CHECK_SAME(doubles(un(Op::Rsqrt, f64, {4.0, 0.0, -0.0, kInf, -1.0})), {0.5, kInf, -kInf, 0.0, kNaN});
  CHECK_SAME(doubles(un(Op::Reciprocal, f64, {4.0, 0.0, -0.0, -kInf})), {0.25, kInf, -kInf, -0.0});
  CHECK_SAME(doubles(un(Op::Reciprocal, f32, {3.0})), {static_cast<double>(1.0f / 3.0f)});
  CHECK_SAME(doubles(un(Op::Square, f64, {-3.0, -0.0, kNaN})), {9.0, 0.0, kNaN});
  // 46341^2 = 2147488281 = 2^31 + 4633 wraps to -2147479015; 65536^2 = 2^32 wraps to 0.
  CHECK_INTS(ints(un_i(Op::Square, i32, {46341, 65536, -3})), {-2147479015, 0, 9});
  CHECK_INTS(ints(un_i(Op::Square, u32, {65536, 65535})), {0, 4294836225});
  CHECK_INTS(ints(un_i(Op::Square, i64, {int64_t{1} << 32})), {0});
}

TEST_CASE("trigonometric and hyperbolic functions") {
  CHECK_SAME(doubles(un(Op::Sin, f64, {0.0, -0.0, kInf})), {0.0, -0.0, kNaN});
  CHECK(approx_only(un(Op::Sin, f64, {kPi / 2})) == doctest::Approx(1.0));
  CHECK_SAME(doubles(un(Op::Cos, f64, {0.0, kNaN})), {1.0, kNaN});
  CHECK(approx_only(un(Op::Cos, f64, {kPi})) == doctest::Approx(-1.0));
  CHECK_SAME(doubles(un(Op::Tan, f64, {0.0, -0.0})), {0.0, -0.0});
  CHECK(approx_only(un(Op::Tan, f64, {kPi / 4})) == doctest::Approx(1.0));
  CHECK_SAME(doubles(un(Op::Asin, f64, {0.0, 2.0})), {0.0, kNaN});
  CHECK(approx_only(un(Op::Asin, f64, {1.0})) == doctest::Approx(kPi / 2));
  CHECK_SAME(doubles(un(Op::Acos, f64, {1.0, -1.5})), {0.0, kNaN});
  CHECK(approx_only(un(Op::Acos, f64, {-1.0})) == doctest::Approx(kPi));
  CHECK(approx_only(un(Op::Atan, f64, {kInf})) == doctest::Approx(kPi / 2));
  CHECK_SAME(doubles(un(Op::Atan, f64, {-0.0})), {-0.0});
  CHECK(approx_only(un(Op::Sinh, f64, {1.0})) == doctest::Approx(1.1752011936438014));
  CHECK_SAME(doubles(un(Op::Sinh, f64, {-0.0, -kInf})), {-0.0, -kInf});
  CHECK_SAME(doubles(un(Op::Cosh, f64, {0.0, -kInf})), {1.0, kInf});
  CHECK(approx_only(un(Op::Tanh, f64, {0.5})) == doctest::Approx(0.46211715726000974));
  CHECK_SAME(doubles(un(Op::Tanh, f64, {kInf, -kInf, -0.0})), {1.0, -1.0, -0.0});
}

TEST_CASE("sigmoid and erf") {
  CHECK_SAME(doubles(un(Op::Sigmoid, f64, {0.0, kInf, -kInf, kNaN, -1000.0})), {0.5, 1.0, 0.0, kNaN, 0.0});
  CHECK(approx_only(un(Op::Sigmoid, f64, {2.0})) == doctest::Approx(0.8807970779778823));
  CHECK_SAME(doubles(un(Op::Erf, f64, {0.0, kInf, -kInf, -0.0})), {0.0, 1.0, -1.0, -0.0});
  CHECK(approx_only(un(Op::Erf, f64, {1.0})) == doctest::Approx(0.8427007929497149));
}

TEST_CASE("isnan, isinf and isfinite; integers are always finite") {
  for (DType t : {f16, bf16, f32, f64}) {
    std::vector<double> x = {kNaN, kInf, -kInf, 1.0, 0.0};
    CHECK_INTS(ints(un(Op::IsNan, t, x)), {1, 0, 0, 0, 0});
    CHECK_INTS(ints(un(Op::IsInf, t, x)), {0, 1, 1, 0, 0});
    CHECK_INTS(ints(un(Op::IsFinite, t, x)), {0, 0, 0, 1, 1});
  }
  CHECK(un(Op::IsNan, f32, {1.0})->dtype() == bool_);
  for (DType t : {i32, i64, u32}) {
    CHECK_INTS(ints(un_i(Op::IsNan, t, {0, 5})), {0, 0});
    CHECK_INTS(ints(un_i(Op::IsInf, t, {0, 5})), {0, 0});
    CHECK_INTS(ints(un_i(Op::IsFinite, t, {0, 5})), {1, 1});
  }
}

TEST_CASE("logical_not and bitwise_not") {
  CHECK_INTS(ints(un_i(Op::LogicalNot, bool_, {0, 1})), {1, 0});
  CHECK_INTS(ints(un_i(Op::BitwiseNot, bool_, {0, 1})), {1, 0});
  CHECK_INTS(ints(un_i(Op::BitwiseNot, i32, {0, -1, kI32Max})), {-1, 0, kI32Min});
  CHECK_INTS(ints(un_i(Op::BitwiseNot, u32, {0, kU32Max})), {kU32Max, 0});
  CHECK_INTS(ints(un_i(Op::BitwiseNot, i64, {5})), {-6});
}

TEST_CASE("add, sub and mul wrap integers and round floats once") {
  CHECK_INTS(ints(bin_i(Op::Add, i32, {kI32Max, -1}, {1, kI32Min})), {kI32Min, kI32Max});
  CHECK_INTS(ints(bin_i(Op::Add, u32, {kU32Max}, {1})), {0});
  CHECK_INTS(ints(bin_i(Op::Add, i64, {kI64Max}, {1})), {kI64Min});
  CHECK_INTS(ints(bin_i(Op::Sub, i32, {kI32Min}, {1})), {kI32Max});
  CHECK_INTS(ints(bin_i(Op::Sub, u32, {0}, {1})), {kU32Max});
  CHECK_INTS(ints(bin_i(Op::Sub, i64, {kI64Min}, {1})), {kI64Max});
  CHECK_INTS(ints(bin_i(Op::Mul, i32, {65536, kI32Min}, {65536, -1})), {0, kI32Min});
  // (2^32 - 1)^2 = 2^64 - 2^33 + 1 = 1 modulo 2^32.
  CHECK_INTS(ints(bin_i(Op::Mul, u32, {65536, kU32Max}, {65536, kU32Max})), {0, 1});
  CHECK_INTS(ints(bin_i(Op::Mul, i64, {kI64Max, kI64Min}, {2, -1})), {-2, kI64Min});

  CHECK_SAME(doubles(bin(Op::Add, f64, {kInf, -0.0, 0.0, 1e308}, {-kInf, -0.0, -0.0, 1e308})), {kNaN, -0.0, 0.0, kInf});
  CHECK_SAME(doubles(bin(Op::Mul, f64, {0.0, -0.0}, {kInf, 5.0})), {kNaN, -0.0});
  // Denormals: 2^-1074 * 0.5 is a tie between 0 and 2^-1074 and rounds to even (0);
  // in f32, 2^-149 * 1.5 is a tie between 2^-149 and 2^-148 and rounds to 2^-148.
  CHECK_SAME(doubles(bin(Op::Mul, f64, {std::ldexp(1.0, -1074)}, {0.5})), {0.0});
  CHECK_SAME(doubles(bin(Op::Mul, f32, {std::ldexp(1.0, -149), std::ldexp(1.0, -149)}, {1.5, 0.25})),
             {std::ldexp(1.0, -148), 0.0});
  CHECK_SAME(doubles(bin(Op::Sub, f32, {std::ldexp(1.0, -126)}, {std::ldexp(1.0, -127)})), {std::ldexp(1.0, -127)});
}

TEST_CASE("f16 and bf16 arithmetic rounds once to nearest even and overflows to inf") {
  // 1 + 2^-11 is halfway between f16 1.0 and 1 + 2^-10: even wins. 2^-21 more tips it up.
  CHECK_SAME(doubles(bin(Op::Add, f16, {1.0, 1.0, 1.0}, {std::ldexp(1.0, -11), std::ldexp(1.0, -11) + std::ldexp(1.0, -21),
                                                         3 * std::ldexp(1.0, -11)})),
             {1.0, 1.0 + std::ldexp(1.0, -10), 1.0 + 2 * std::ldexp(1.0, -10)});
  CHECK_SAME(doubles(bin(Op::Add, f16, {65504.0, 65504.0, -65504.0}, {8.0, 16.0, -16.0})), {65504.0, kInf, -kInf});
  CHECK_SAME(doubles(bin(Op::Mul, f16, {300.0}, {300.0})), {kInf});
  CHECK(bits16(bin(Op::Div, f16, {1.0}, {3.0})) == std::vector<uint16_t>{0x3555});
  CHECK(bits16(bin(Op::Div, bf16, {1.0}, {3.0})) == std::vector<uint16_t>{0x3eab});
  CHECK_SAME(doubles(bin(Op::Add, bf16, {1.0, 256.0}, {std::ldexp(1.0, -8), 1.0})), {1.0, 256.0});
  CHECK(bits16(bin(Op::Mul, f16, {-1.0}, {0.0})) == std::vector<uint16_t>{0x8000});
  // The smallest f16 denormal, 2^-24, halved: a tie between 0 and 2^-24, rounds to 0.
  CHECK(bits16(bin(Op::Mul, f16, {std::ldexp(1.0, -24), std::ldexp(1.0, -24)}, {0.5, 1.5})) ==
        std::vector<uint16_t>{0x0000, 0x0002});
}

TEST_CASE("div truncates integers, gives 0 for division by zero and INT_MIN for INT_MIN / -1") {
  CHECK_INTS(ints(bin_i(Op::Div, i32, {7, -7, 7, -7, kI32Min, 5, 0}, {2, 2, -2, -2, -1, 0, 0})),
             {3, -3, -3, 3, kI32Min, 0, 0});
  CHECK_INTS(ints(bin_i(Op::Div, i64, {kI64Min, kI64Min}, {-1, 0})), {kI64Min, 0});
  CHECK_INTS(ints(bin_i(Op::Div, u32, {kU32Max, 7}, {2, 0})), {2147483647, 0});
  CHECK_SAME(doubles(bin(Op::Div, f64, {1.0, -1.0, 0.0, 1.0}, {0.0, 0.0, 0.0, -0.0})), {kInf, -kInf, kNaN, -kInf});
}

TEST_CASE("floordiv and mod follow Python for integers") {
  CHECK_INTS(ints(bin_i(Op::FloorDiv, i32, {-7, 7, -7, 7, kI32Min, 5, 0, -8}, {2, 2, -2, -2, -1, 0, 0, 2})),
             {-4, 3, 3, -4, kI32Min, 0, 0, -4});
  CHECK_INTS(ints(bin_i(Op::FloorDiv, i64, {kI64Min, -1}, {-1, kI64Max})), {kI64Min, -1});
  CHECK_INTS(ints(bin_i(Op::FloorDiv, u32, {7, kU32Max}, {2, 0})), {3, 0});
  CHECK_INTS(ints(bin_i(Op::Mod, i32, {-7, 7, 7, -7, kI32Min, 5, 6}, {2, -2, 2, -2, -1, 0, 3})),
             {1, -1, 1, -1, 0, 0, 0});
  CHECK_INTS(ints(bin_i(Op::Mod, i64, {kI64Min, kI64Min}, {-1, kI64Max})), {0, kI64Max - 1});
  CHECK_INTS(ints(bin_i(Op::Mod, u32, {7, 5}, {3, 0})), {1, 0});
}

TEST_CASE("floordiv and mod follow Python's float divmod") {
  CHECK_SAME(doubles(bin(Op::FloorDiv, f64, {-7.0, 7.0, 7.0, -7.0, 5.0, -5.0, 0.0, 1.0, -1.0, -0.0, kInf, 0.5},
                         {2.0, 2.0, -2.0, -2.0, 0.0, 0.0, 0.0, kInf, kInf, 5.0, 1.0, 0.1})),
             {-4.0, 3.0, -4.0, 3.0, kInf, -kInf, kNaN, 0.0, -1.0, -0.0, kNaN, 4.0});
  CHECK_SAME(doubles(bin(Op::Mod, f64, {-7.0, 7.0, 5.0, -0.0, 0.0, 1.0, -1.0, kInf, 6.0, 0.5},
                         {2.0, -2.0, 0.0, 2.0, -2.0, kInf, kInf, 2.0, -3.0, 0.1})),
             {1.0, -1.0, kNaN, 0.0, -0.0, 1.0, kInf, kNaN, -0.0, 0.09999999999999998});
  CHECK_SAME(doubles(bin(Op::Mod, f32, {-7.5, 7.5}, {2.0, -2.0})), {0.5, -0.5});
  CHECK_SAME(doubles(bin(Op::FloorDiv, f16, {-7.5}, {2.0})), {-4.0});
}

TEST_CASE("pow: integer rule for negative exponents, wrapping, and C99 float pow") {
  CHECK_INTS(ints(bin_i(Op::Pow, i32, {2, 2, 2, 3, -2, 0, 0, 1, -1, -1, 2, 5, 0},
                        {10, 31, 32, 3, 3, 0, -1, -5, -3, -4, -1, 0, 7})),
             {1024, kI32Min, 0, 27, -8, 1, 0, 1, -1, 1, 0, 1, 0});
  // 3^40 = 12157665459056928801 wraps to 3^40 - 2^64; 3^21 mod 2^32 = 1870418611.
  CHECK_INTS(ints(bin_i(Op::Pow, i64, {3, -1}, {40, kI64Min})), {-6289078614652622815, 1});
  CHECK_INTS(ints(bin_i(Op::Pow, u32, {3, 2}, {21, 32})), {1870418611, 0});
  CHECK_SAME(doubles(bin(Op::Pow, f64, {2.0, -8.0, 0.0, kNaN, 1.0, -0.0}, {-2.0, 1.0 / 3, -1.0, 0.0, kNaN, 3.0})),
             {0.25, kNaN, kInf, 1.0, 1.0, -0.0});
  CHECK(approx_only(bin(Op::Pow, f64, {2.0}, {0.5})) == doctest::Approx(1.4142135623730951));
}

TEST_CASE("minimum and maximum propagate NaN and order -0.0 below 0.0") {
  std::vector<double> a = {1.0, kNaN, 2.0, -0.0, 0.0, -kInf}, b = {2.0, 1.0, kNaN, 0.0, -0.0, 5.0};
  CHECK_SAME(doubles(bin(Op::Minimum, f64, a, b)), {1.0, kNaN, kNaN, -0.0, -0.0, -kInf});
  CHECK_SAME(doubles(bin(Op::Maximum, f64, a, b)), {2.0, kNaN, kNaN, 0.0, 0.0, 5.0});
  CHECK_SAME(doubles(bin(Op::Maximum, bf16, {-0.0}, {0.0})), {0.0});
  CHECK_INTS(ints(bin_i(Op::Minimum, i32, {kI32Min, 3}, {kI32Max, -3})), {kI32Min, -3});
  CHECK_INTS(ints(bin_i(Op::Maximum, u32, {kU32Max, 0}, {1, 5})), {kU32Max, 5});
  CHECK_INTS(ints(bin_i(Op::Minimum, bool_, {0, 1, 1}, {1, 1, 0})), {0, 1, 0});
  CHECK_INTS(ints(bin_i(Op::Maximum, bool_, {0, 1, 0}, {1, 1, 0})), {1, 1, 0});
}

TEST_CASE("atan2 quadrants and signed zeros") {
  CHECK_SAME(doubles(bin(Op::Atan2, f64, {0.0, -0.0, 0.0, -0.0}, {-1.0, -1.0, 0.0, 0.0})), {kPi, -kPi, 0.0, -0.0});
  CHECK(approx_only(bin(Op::Atan2, f64, {1.0}, {1.0})) == doctest::Approx(kPi / 4));
}

TEST_CASE("comparisons: NaN is unordered, -0.0 == 0.0, large integers compare exactly") {
  std::vector<double> a = {1.0, kNaN, -0.0, 2.0, kInf}, b = {1.0, kNaN, 0.0, 1.0, kInf};
  CHECK_INTS(ints(bin(Op::Eq, f64, a, b)), {1, 0, 1, 0, 1});
  CHECK_INTS(ints(bin(Op::Ne, f64, a, b)), {0, 1, 0, 1, 0});
  CHECK_INTS(ints(bin(Op::Lt, f64, a, b)), {0, 0, 0, 0, 0});
  CHECK_INTS(ints(bin(Op::Le, f64, a, b)), {1, 0, 1, 0, 1});
  CHECK_INTS(ints(bin(Op::Gt, f64, a, b)), {0, 0, 0, 1, 0});
  CHECK_INTS(ints(bin(Op::Ge, f64, a, b)), {1, 0, 1, 1, 1});
  int64_t big = int64_t{1} << 53;  // 2^53 + 1 and 2^53 are the same double: only an integer compare tells them apart
  CHECK_INTS(ints(bin_i(Op::Eq, i64, {big + 1, kI64Min}, {big, kI64Min})), {0, 1});
  CHECK_INTS(ints(bin_i(Op::Lt, i64, {big, kI64Max - 1}, {big + 1, kI64Max})), {1, 1});
  CHECK_INTS(ints(bin_i(Op::Gt, u32, {kU32Max, 0}, {0, 1})), {1, 0});
  CHECK_INTS(ints(bin_i(Op::Lt, i32, {kI32Min, -1}, {kI32Max, 0})), {1, 1});
  CHECK_INTS(ints(bin_i(Op::Ne, bool_, {0, 1}, {1, 1})), {1, 0});
  CHECK_INTS(ints(bin_i(Op::Ge, bool_, {0, 1}, {1, 0})), {0, 1});
  CHECK(bin(Op::Lt, f32, {1.0}, {2.0})->dtype() == bool_);
}

TEST_CASE("logical and bitwise binary ops") {
  std::vector<int64_t> p = {0, 0, 1, 1}, q = {0, 1, 0, 1};
  CHECK_INTS(ints(bin_i(Op::LogicalAnd, bool_, p, q)), {0, 0, 0, 1});
  CHECK_INTS(ints(bin_i(Op::LogicalOr, bool_, p, q)), {0, 1, 1, 1});
  CHECK_INTS(ints(bin_i(Op::LogicalXor, bool_, p, q)), {0, 1, 1, 0});
  CHECK_INTS(ints(bin_i(Op::BitwiseAnd, bool_, p, q)), {0, 0, 0, 1});
  CHECK_INTS(ints(bin_i(Op::BitwiseOr, bool_, p, q)), {0, 1, 1, 1});
  CHECK_INTS(ints(bin_i(Op::BitwiseXor, bool_, p, q)), {0, 1, 1, 0});
  CHECK_INTS(ints(bin_i(Op::BitwiseAnd, i32, {12, -1}, {10, kI32Min})), {8, kI32Min});
  CHECK_INTS(ints(bin_i(Op::BitwiseOr, i32, {12, kI32Min}, {10, kI32Max})), {14, -1});
  CHECK_INTS(ints(bin_i(Op::BitwiseXor, u32, {12, kU32Max}, {10, 1})), {6, kU32Max - 1});
  CHECK_INTS(ints(bin_i(Op::BitwiseXor, i64, {kI64Min}, {-1})), {kI64Max});
}

TEST_CASE("shifts by a negative amount or the bit width or more shift everything out") {
  CHECK_INTS(ints(bin_i(Op::ShiftLeft, i32, {1, 1, 1, 1, -1, 3}, {0, 31, 32, -1, 4, 64})),
             {1, kI32Min, 0, 0, -16, 0});
  CHECK_INTS(ints(bin_i(Op::ShiftLeft, i64, {1, 1, 1}, {63, 64, -1})), {kI64Min, 0, 0});
  CHECK_INTS(ints(bin_i(Op::ShiftLeft, u32, {1, 1, 3}, {31, 32, 31})), {2147483648, 0, 2147483648});
  CHECK_INTS(ints(bin_i(Op::ShiftRight, i32, {-16, -1, 16, -16, 16, kI32Min, -16}, {2, 31, 32, 32, -1, 31, -1})),
             {-4, -1, 0, -1, 0, -1, -1});
  CHECK_INTS(ints(bin_i(Op::ShiftRight, i64, {-8, kI64Min, kI64Max}, {64, 63, 62})), {-1, -1, 1});
  // u32 shifts are logical; an amount of 2^32 - 1 is out of range.
  CHECK_INTS(ints(bin_i(Op::ShiftRight, u32, {0x80000000, 0x80000000, 5}, {31, 32, kU32Max})), {1, 0, 0});
}

TEST_CASE("where picks elements bit for bit") {
  NodeRef c = vec_i(bool_, {1, 0, 1});
  CHECK_SAME(doubles(node(Op::Where, {c, vec_f(f64, {1.0, 2.0, kNaN}), vec_f(f64, {-0.0, -0.0, 3.0})})),
             {1.0, -0.0, kNaN});
  CHECK_INTS(ints(node(Op::Where, {c, vec_i(i32, {kI32Min, 1, 2}), vec_i(i32, {7, kI32Max, 9})})), {kI32Min, kI32Max, 2});
  // A signalling-looking f16 NaN payload survives.
  BufferPtr payload = Buffer::allocate(2);
  uint16_t odd_nan = 0x7d01;
  std::memcpy(payload->data(), &odd_nan, 2);
  NodeRef x = make_param({f16, {1}}, "x", payload);
  CHECK(bits16(node(Op::Where, {vec_i(bool_, {1}), x, vec_f(f16, {0.0})})) == std::vector<uint16_t>{0x7d01});
}

TEST_CASE("stop_gradient is its operand's value, bit for bit, on every dtype") {
  CHECK_SAME(doubles(un(Op::StopGradient, f64, {1.5, -0.0, kInf, kNaN})), {1.5, -0.0, kInf, kNaN});
  CHECK_INTS(ints(un_i(Op::StopGradient, i32, {kI32Min, 7})), {kI32Min, 7});
  CHECK_INTS(ints(un_i(Op::StopGradient, u32, {kU32Max, 0})), {kU32Max, 0});
  CHECK_INTS(ints(un_i(Op::StopGradient, bool_, {1, 0})), {1, 0});
  BufferPtr payload = Buffer::allocate(2);
  uint16_t odd_nan = 0x7d01;
  std::memcpy(payload->data(), &odd_nan, 2);
  NodeRef x = make_param({f16, {1}}, "x", payload);
  CHECK(bits16(node(Op::StopGradient, {x})) == std::vector<uint16_t>{0x7d01});
}

TEST_CASE("clamp(x, lo, hi) is minimum(maximum(x, lo), hi)") {
  NodeRef x = vec_f(f64, {-5, 5, 15, kNaN, 1, -0.0, 5}), lo = vec_f(f64, {0, 0, 0, 0, kNaN, 0.0, 8}),
          hi = vec_f(f64, {10, 10, 10, 10, 10, 10, 2});
  CHECK_SAME(doubles(node(Op::Clamp, {x, lo, hi})), {0, 5, 10, kNaN, kNaN, 0.0, 2});
  CHECK_INTS(ints(node(Op::Clamp, {vec_i(i32, {-5, 5, 15, kI32Min}), vec_i(i32, {0, 0, 0, -1}),
                                   vec_i(i32, {10, 10, 10, 1})})),
             {0, 5, 10, -1});
  CHECK_INTS(ints(node(Op::Clamp, {vec_i(u32, {kU32Max}), vec_i(u32, {0}), vec_i(u32, {7})})), {7});
}

TEST_CASE("fma rounds a*b+c once") {
  // 0.1 * 10 is 1 + 2^-54 exactly, which a separate multiply would round to 1.
  CHECK_SAME(doubles(node(Op::Fma, {vec_f(f64, {0.1, 2.0}), vec_f(f64, {10.0, 3.0}), vec_f(f64, {-1.0, 1.0})})),
             {std::ldexp(1.0, -54), 7.0});
  CHECK_INTS(ints(node(Op::Fma, {vec_i(i32, {65536, -3}), vec_i(i32, {65536, 4}), vec_i(i32, {5, 2})})), {5, -10});
  CHECK_INTS(ints(node(Op::Fma, {vec_i(i64, {kI64Max}), vec_i(i64, {2}), vec_i(i64, {3})})), {1});
}

TEST_CASE("cast float -> integer truncates, saturates, and sends NaN to 0") {
  std::vector<double> x = {1.9, -1.9, 2147483647.5, 3e9, -3e9, kNaN, kInf, -kInf, -0.5};
  CHECK_INTS(ints(cast(vec_f(f64, x), i32)), {1, -1, kI32Max, kI32Max, kI32Min, 0, kI32Max, kI32Min, 0});
  CHECK_INTS(ints(cast(vec_f(f64, {-1.5, 4294967295.9, 5e9, kNaN, 3.7, -kInf}), u32)),
             {0, kU32Max, kU32Max, 0, 3, 0});
  CHECK_INTS(ints(cast(vec_f(f64, {9.3e18, -9.3e18, 9223372036854775807.0, -9223372036854775808.0, kNaN, 1e15 + 0.5}),
                       i64)),
             {kI64Max, kI64Min, kI64Max, kI64Min, 0, 1000000000000000});
  CHECK_INTS(ints(cast(vec_f(f16, {65504.0, -kInf, -2.75}), i32)), {65504, kI32Min, -2});
  CHECK_INTS(ints(cast(vec_f(bf16, {kNaN, 1e30}), i64)), {0, kI64Max});
}

TEST_CASE("cast to and from bool") {
  CHECK_INTS(ints(cast(vec_f(f64, {0.0, -0.0, kNaN, 0.1, -kInf}), bool_)), {0, 0, 1, 1, 1});
  CHECK_INTS(ints(cast(vec_f(bf16, {kNaN, 0.0}), bool_)), {1, 0});
  CHECK_INTS(ints(cast(vec_i(i32, {0, -5, 7}), bool_)), {0, 1, 1});
  CHECK_INTS(ints(cast(vec_i(u32, {0, kU32Max}), bool_)), {0, 1});
  CHECK_SAME(doubles(cast(vec_i(bool_, {1, 0}), f32)), {1.0, 0.0});
  CHECK_SAME(doubles(cast(vec_i(bool_, {1, 0}), f16)), {1.0, 0.0});
  CHECK_INTS(ints(cast(vec_i(bool_, {1, 0}), i64)), {1, 0});
  CHECK_INTS(ints(cast(vec_i(bool_, {1, 0}), bool_)), {1, 0});
}

TEST_CASE("cast between integer dtypes wraps") {
  CHECK_INTS(ints(cast(vec_i(i64, {(int64_t{1} << 32) + 5, -1, int64_t{1} << 31}), i32)), {5, -1, kI32Min});
  CHECK_INTS(ints(cast(vec_i(i64, {-1, int64_t{1} << 32}), u32)), {kU32Max, 0});
  CHECK_INTS(ints(cast(vec_i(i32, {-1, kI32Min}), u32)), {kU32Max, 2147483648});
  CHECK_INTS(ints(cast(vec_i(u32, {kU32Max, 2147483648}), i32)), {-1, kI32Min});
  CHECK_INTS(ints(cast(vec_i(u32, {kU32Max}), i64)), {kU32Max});
  CHECK_INTS(ints(cast(vec_i(i32, {-1, kI32Min}), i64)), {-1, kI32Min});
}

TEST_CASE("cast integer -> float rounds once to nearest even") {
  // 2^60 + 2^36 + 1 is just above halfway between two f32 values; through f64 it would
  // first lose the +1 and then tie to even.
  int64_t a = (int64_t{1} << 60) + (int64_t{1} << 36) + 1;
  CHECK_SAME(doubles(cast(vec_i(i64, {a}), f32)), {std::ldexp(1.0, 60) + std::ldexp(1.0, 37)});
  CHECK_SAME(doubles(cast(vec_i(i64, {(int64_t{1} << 53) + 1, kI64Max, kI64Min}), f64)),
             {std::ldexp(1.0, 53), std::ldexp(1.0, 63), -std::ldexp(1.0, 63)});
  CHECK_SAME(doubles(cast(vec_i(i32, {2049, 2051, 70000, -70000, kI32Min}), f16)), {2048, 2052, kInf, -kInf, -kInf});
  int64_t b = (int64_t{1} << 60) + (int64_t{1} << 52) + 1;
  CHECK_SAME(doubles(cast(vec_i(i64, {b, 257, 259}), bf16)), {std::ldexp(1.0, 60) + std::ldexp(1.0, 53), 256, 260});
  CHECK_SAME(doubles(cast(vec_i(u32, {kU32Max, 16777217}), f32)), {4294967296.0, 16777216.0});
}

TEST_CASE("cast float -> narrower float rounds once to nearest even") {
  double u = std::ldexp(1.0, -11);
  std::vector<uint16_t> f16_bits = bits16(cast(
      vec_f(f64, {1 + u, 1 + u + std::ldexp(1.0, -40), 1 + 3 * u, 65504, 65519, 65520, -1e6, std::ldexp(1.0, -24),
                  std::ldexp(1.0, -25), 3 * std::ldexp(1.0, -25), std::ldexp(1.0, -26), -0.0, std::ldexp(1.0, -14)}),
      f16));
  CHECK(f16_bits == std::vector<uint16_t>{0x3c00, 0x3c01, 0x3c02, 0x7bff, 0x7bff, 0x7c00, 0xfc00, 0x0001, 0x0000,
                                          0x0002, 0x0000, 0x8000, 0x0400});
  std::vector<uint16_t> nan_bits = bits16(cast(vec_f(f64, {kNaN}), f16));
  CHECK((nan_bits[0] & 0x7c00) == 0x7c00);
  CHECK((nan_bits[0] & 0x03ff) != 0);
  std::vector<uint16_t> bf16_bits = bits16(cast(
      vec_f(f64, {1 + std::ldexp(1.0, -8), 1 + std::ldexp(1.0, -8) + std::ldexp(1.0, -30), 3.4e38, -3.3e38,
                  std::ldexp(1.0, -133)}),
      bf16));
  CHECK(bf16_bits == std::vector<uint16_t>{0x3f80, 0x3f81, 0x7f80, 0xff78, 0x0001});
  // f32 -> f16 and f64 -> f32, including f32 denormals.
  CHECK(bits16(cast(vec_f(f32, {1 + u + std::ldexp(1.0, -23)}), f16)) == std::vector<uint16_t>{0x3c01});
  CHECK_SAME(doubles(cast(vec_f(f64, {1 + std::ldexp(1.0, -24), 1 + std::ldexp(1.0, -24) + std::ldexp(1.0, -50),
                                      std::ldexp(1.0, -149), std::ldexp(1.0, -150), 3 * std::ldexp(1.0, -151), 1e39}),
                          f32)),
             {1.0, 1 + std::ldexp(1.0, -23), std::ldexp(1.0, -149), 0.0, std::ldexp(1.0, -149), kInf});
  // Widening is exact: the smallest f16 and bf16 denormals.
  CHECK_SAME(doubles(cast(vec_f(f16, {std::ldexp(1.0, -24)}), f64)), {std::ldexp(1.0, -24)});
  CHECK_SAME(doubles(cast(vec_f(bf16, {std::ldexp(1.0, -133)}), f32)), {std::ldexp(1.0, -133)});
  CHECK_SAME(doubles(cast(vec_f(f16, {-0.0, kInf}), bf16)), {-0.0, kInf});
}

TEST_CASE("elementwise ops on zero-size and 0-d arrays") {
  NodeRef empty = param_f(f32, {2, 0, 3}, {});
  NodeRef sum = node(Op::Add, {empty, empty});
  CHECK(sum->shape() == Shape{2, 0, 3});
  CHECK(doubles(sum).empty());
  CHECK(ints(cast(node(Op::Neg, {param_i(i32, {0}, {})}), f16)).empty());
  CHECK(ints(node(Op::Where, {param_i(bool_, {0}, {}), param_f(f64, {0}, {}), param_f(f64, {0}, {})})).empty());
  CHECK_SAME(doubles(node(Op::Mul, {scalar_f(f64, 3.0), scalar_f(f64, -0.5)})), {-1.5});
  CHECK_SAME(doubles(node(Op::Fma, {scalar_f(f32, 2.0), scalar_f(f32, 3.0), scalar_f(f32, 1.0)})), {7.0});
}

// Last in the file (doctest runs a file's tests in order): every elementwise op was used above.
TEST_CASE("every unary, binary and ternary op is exercised by these tests") {
  check_every_op_exercised({OpCategory::Unary, OpCategory::Binary, OpCategory::Ternary});
}
