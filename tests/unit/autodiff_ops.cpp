// Every op's derivative rule against central finite differences, in float64, through the
// default backend.
//
// Each differentiable op has a case: a function of random inputs (kept away from the op's
// singularities and jumps) that applies it. For a random cotangent c and random tangents t,
// reverse mode must match the difference gradient of <c, f> element by element, forward mode
// the difference of f along t, and the two must be transposes: <jvp(t), c> == <t, vjp(c)>.
// Each non-differentiable op has a case whose gradient must be exactly zero. The last test
// checks the lists against the op table, so a new op without a check fails here.
#include <set>

#include "autodiff_test_util.hpp"
#include "passes/derivatives.hpp"

using namespace kiln;
using namespace kiln::adtest;

namespace {

// One input of a case: its shape and where its values lie. With `away_from_zero`, |v| is in
// [lo, hi] with a random sign.
struct Input {
  Shape shape;
  double lo = -2, hi = 2;
  bool away_from_zero = false;
  DType dtype = f64;
};

struct OpCase {
  Op op;  // the op whose rule the case checks
  std::string name;
  std::vector<Input> inputs;
  Fn f;
  double h = 1e-6;    // difference step
  double tol = 1e-6;  // relative tolerance of the comparisons
  // Rejects a point where the function is not smooth (a jump of mod, ...).
  std::function<bool(const Point&)> smooth = [](const Point&) { return true; };
};

const Shape kS = {2, 3};
Input any(Shape s = kS) { return {std::move(s)}; }
Input range(double lo, double hi, Shape s = kS) { return {std::move(s), lo, hi}; }
Input nonzero(double lo = 0.5, double hi = 2, Shape s = kS) { return {std::move(s), lo, hi, true}; }

Fn un(Array (*op)(const Array&, SourceLocation)) {
  return [op](const std::vector<Array>& x) { return op(x[0], SourceLocation::current()); };
}
Fn bin(Array (*op)(const Operand&, const Operand&)) {
  return [op](const std::vector<Array>& x) { return op(x[0], x[1]); };
}
// A fixed array of index values (not differentiated).
Array indices(const std::vector<int64_t>& v, const Shape& s) { return difftest::make_input_int(i64, s, v); }

std::vector<OpCase> differentiable_cases() {
  auto away_from_jump = [](const Point& p) {  // a mod b: a / b not near an integer
    for (size_t i = 0; i < p.values[0].size(); ++i) {
      double q = p.values[0][i] / p.values[1][i];
      if (std::fabs(q - std::round(q)) < 1e-3) return false;
    }
    return true;
  };
  return {
      {Op::Neg, "neg", {any()}, un(neg)},
      {Op::Abs, "abs", {nonzero()}, un(abs)},
      {Op::Exp, "exp", {any()}, un(exp)},
      {Op::Exp2, "exp2", {any()}, un(exp2)},
      {Op::Expm1, "expm1", {any()}, un(expm1)},
      {Op::Log, "log", {range(0.5, 3)}, un(log)},
      {Op::Log2, "log2", {range(0.5, 3)}, un(log2)},
      {Op::Log1p, "log1p", {range(-0.5, 2)}, un(log1p)},
      {Op::Sqrt, "sqrt", {range(0.5, 3)}, un(sqrt)},
      {Op::Rsqrt, "rsqrt", {range(0.5, 3)}, un(rsqrt)},
      {Op::Reciprocal, "reciprocal", {nonzero()}, un(reciprocal)},
      {Op::Square, "square", {any()}, un(square)},
      {Op::Sin, "sin", {any()}, un(sin)},
      {Op::Cos, "cos", {any()}, un(cos)},
      {Op::Tan, "tan", {range(-1.2, 1.2)}, un(tan)},
      {Op::Asin, "asin", {range(-0.8, 0.8)}, un(asin)},
      {Op::Acos, "acos", {range(-0.8, 0.8)}, un(acos)},
      {Op::Atan, "atan", {any()}, un(atan)},
      {Op::Sinh, "sinh", {any()}, un(sinh)},
      {Op::Cosh, "cosh", {any()}, un(cosh)},
      {Op::Tanh, "tanh", {any()}, un(tanh)},
      {Op::Sigmoid, "sigmoid", {any()}, un(sigmoid)},
      {Op::Erf, "erf", {any()}, un(erf)},
      {Op::Cast, "cast f64 -> f32", {any()}, [](const auto& x) { return cast(x[0], f32); }, 1e-2, 1e-3},
      {Op::Cast, "cast f32 -> f64", {{kS, -2, 2, false, f32}}, [](const auto& x) { return cast(x[0], f64); }, 1e-2, 1e-3},
      {Op::Add, "add", {any(), any()}, bin(add)},
      {Op::Sub, "sub", {any(), any()}, bin(sub)},
      {Op::Mul, "mul", {any(), any()}, bin(mul)},
      {Op::Mul, "mul of x by itself", {any()}, [](const auto& x) { return x[0] * x[0]; }},
      {Op::Div, "div", {any(), nonzero()}, bin(div)},
      {Op::Mod, "mod", {range(-3, 3), nonzero()}, bin(mod), 1e-6, 1e-6, away_from_jump},
      {Op::Pow, "pow", {range(0.5, 2), range(-2, 2)}, bin(pow)},
      {Op::Minimum, "minimum", {any(), any()}, bin(minimum)},
      {Op::Maximum, "maximum", {any(), any()}, bin(maximum)},
      {Op::Atan2, "atan2", {nonzero(), any()}, bin(atan2)},
      {Op::Where, "where", {any(), any()},
       [](const auto& x) {
         Array c = difftest::make_input_int(bool_, kS, {1, 0, 0, 1, 1, 0});
         return where(c, x[0], x[1]);
       }},
      {Op::Clamp, "clamp", {any(), range(-1, -0.2), range(0.2, 1)},
       [](const auto& x) { return clamp(x[0], x[1], x[2]); }},
      {Op::Fma, "fma", {any(), any(), any()}, [](const auto& x) { return fma(x[0], x[1], x[2]); }},
      {Op::ReduceSum, "sum over axis 0", {any()}, [](const auto& x) { return sum(x[0], 0); }},
      {Op::ReduceSum, "sum over all axes", {any({2, 3, 2})}, [](const auto& x) { return sum(x[0]); }},
      {Op::ReduceProd, "prod over axis 1", {nonzero(0.5, 1.5)}, [](const auto& x) { return prod(x[0], 1, true); }},
      {Op::ReduceMax, "max over axis 1", {any({3, 4})}, [](const auto& x) { return max(x[0], 1); }},
      {Op::ReduceMax, "max over axes 0 and 2", {any({2, 3, 4})}, [](const auto& x) { return max(x[0], {0, 2}); }},
      {Op::ReduceMin, "min over axis 0", {any({3, 4})}, [](const auto& x) { return min(x[0], 0, true); }},
      {Op::Reshape, "reshape", {any()}, [](const auto& x) { return reshape(x[0], {3, 2}); }},
      {Op::Permute, "permute", {any({2, 3, 4})}, [](const auto& x) { return permute(x[0], {2, 0, 1}); }},
      {Op::Broadcast, "broadcast", {any({2, 1})}, [](const auto& x) { return broadcast_to(x[0], {3, 2, 4}); }},
      {Op::Broadcast, "add with broadcasting", {any({3}), any({2, 1})}, bin(add)},
      {Op::Slice, "slice with steps 2 and -2", {any({5, 7})},
       [](const auto& x) { return x[0].slice({{1, none, 2}, {6, 0, -2}}); }},
      {Op::Slice, "slice with steps -1 and 3", {any({5, 7})},
       [](const auto& x) { return x[0].slice({{none, none, -1}, {1, none, 3}}); }},
      {Op::Flip, "flip", {any({3, 4})}, [](const auto& x) { return flip(x[0], 1); }},
      {Op::Pad, "pad", {any()}, [](const auto& x) { return pad(x[0], {{1, 0}, {2, 1}}, 7.5); }},
      {Op::Concat, "concat", {any({2, 1}), any({2, 3}), any({2, 2})},
       [](const auto& x) { return concat({x[0], x[1], x[2]}, 1); }},
      {Op::Gather, "gather with wrapped and clamped indices", {any({3, 4})},
       [](const auto& x) {
         return gather(x[0], indices({0, 3, -1, 5, -6, 1, 1, 2, 2, 0, 3, -2, 9, 0, -4}, {3, 5}), 1);
       }},
      {Op::ScatterAdd, "scatter_add with dropped indices", {any({3, 4}), any({3, 5})},
       [](const auto& x) {
         return scatter_add(x[0], indices({0, 3, -1, 5, -6, 1, 1, 2, 2, 0, 3, -2, 9, 0, -4}, {3, 5}), x[1], 1);
       }},
      {Op::Matmul, "matmul", {any({2, 3}), any({3, 4})}, [](const auto& x) { return matmul(x[0], x[1]); }},
      {Op::Matmul, "batched matmul with broadcast batch axes", {any({2, 1, 2, 3}), any({3, 3, 4})},
       [](const auto& x) { return matmul(x[0], x[1]); }},
      {Op::Matmul, "vector times matrix", {any({3}), any({3, 2})}, [](const auto& x) { return matmul(x[0], x[1]); }},
  };
}

Point random_point(const OpCase& c, Rng& rng) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    Point p;
    for (const Input& in : c.inputs) {
      std::vector<double> v = uniform(rng, numel(in.shape), in.lo, in.hi);
      if (in.away_from_zero)
        for (double& e : v) e = rng.chance(0.5) ? -e : e;
      p.dtypes.push_back(in.dtype);
      p.shapes.push_back(in.shape);
      p.values.push_back(std::move(v));
    }
    if (c.smooth(p)) return p;
  }
  FAIL("no smooth point found for " << c.name);
  return {};
}

void check_case(const OpCase& c, uint64_t seed) {
  CAPTURE(c.name);
  Rng rng(seed);
  Point p = random_point(c, rng);
  std::vector<Array> xs = p.arrays();
  Array y = c.f(xs);
  REQUIRE(is_float(y.dtype()));
  std::vector<double> cv = uniform(rng, y.size(), -1, 1);
  Array ct = difftest::make_input(y.dtype(), y.shape(), cv);
  std::vector<std::vector<double>> t = p.random_direction(rng);
  std::vector<Array> ts;
  for (size_t i = 0; i < t.size(); ++i) ts.push_back(difftest::make_input(p.dtypes[i], p.shapes[i], t[i]));
  std::vector<Array> rev = vjp({y}, xs, {ct});
  Array fwd = jvp({y}, xs, ts)[0];
  std::vector<Array> all = rev;
  all.push_back(fwd);
  eval(all);

  std::vector<std::vector<double>> fd = difference_gradient(c.f, p, host(ct), c.h);
  double rev_dot = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    REQUIRE(rev[i].shape() == xs[i].shape());
    REQUIRE(rev[i].dtype() == xs[i].dtype());
    std::string d = differences(host(rev[i]), fd[i], c.tol);
    CHECK_MESSAGE(d.empty(), "reverse mode, input ", i, ":\n", d);
    rev_dot += dot(host(rev[i]), host(ts[i]));
  }
  REQUIRE(fwd.shape() == y.shape());
  std::string d = differences(host(fwd), directional_difference(c.f, p, t, c.h), c.tol);
  CHECK_MESSAGE(d.empty(), "forward mode:\n", d);
  const double fwd_dot = dot(host(fwd), host(ct));
  CHECK_MESSAGE(std::fabs(fwd_dot - rev_dot) <= 1e-5 * (1 + std::fabs(rev_dot)), "<jvp(t), c> = ", fwd_dot,
                " but <t, vjp(c)> = ", rev_dot);
}

// Ops with no derivative: each case's gradient must be exactly zero. Ops with bool or integer
// results reach a float through a cast.
struct ZeroCase {
  Op op;
  Fn f;  // float array of any shape from one float input of shape kS
};

Array as_f64(const Array& a) { return cast(a, f64); }

std::vector<ZeroCase> zero_cases() {
  auto with_int = [](const Array& x) { return cast(floor(x * 4.0), i32); };
  return {
      {Op::Sign, [](const auto& x) { return sign(x[0]); }},
      {Op::Floor, [](const auto& x) { return floor(x[0]); }},
      {Op::Ceil, [](const auto& x) { return ceil(x[0]); }},
      {Op::Round, [](const auto& x) { return round(x[0]); }},
      {Op::Trunc, [](const auto& x) { return trunc(x[0]); }},
      {Op::FloorDiv, [](const auto& x) { return floordiv(x[0], 0.7); }},
      {Op::StopGradient, [](const auto& x) { return stop_gradient(x[0]) * 3.0; }},
      {Op::IsNan, [](const auto& x) { return as_f64(isnan(x[0])); }},
      {Op::IsInf, [](const auto& x) { return as_f64(isinf(x[0])); }},
      {Op::IsFinite, [](const auto& x) { return as_f64(isfinite(x[0])); }},
      {Op::LogicalNot, [](const auto& x) { return as_f64(logical_not(x[0] > 0.0)); }},
      {Op::BitwiseNot, [=](const auto& x) { return as_f64(bitwise_not(with_int(x[0]))); }},
      {Op::Eq, [](const auto& x) { return as_f64(x[0] == x[0] * 2.0); }},
      {Op::Ne, [](const auto& x) { return as_f64(x[0] != x[0] * 2.0); }},
      {Op::Lt, [](const auto& x) { return as_f64(x[0] < 0.1); }},
      {Op::Le, [](const auto& x) { return as_f64(x[0] <= 0.1); }},
      {Op::Gt, [](const auto& x) { return as_f64(x[0] > 0.1); }},
      {Op::Ge, [](const auto& x) { return as_f64(x[0] >= 0.1); }},
      {Op::LogicalAnd, [](const auto& x) { return as_f64(logical_and(x[0] > 0.0, x[0] < 1.0)); }},
      {Op::LogicalOr, [](const auto& x) { return as_f64(logical_or(x[0] > 0.0, x[0] < -1.0)); }},
      {Op::LogicalXor, [](const auto& x) { return as_f64(logical_xor(x[0] > 0.0, x[0] < 1.0)); }},
      {Op::BitwiseAnd, [=](const auto& x) { return as_f64(with_int(x[0]) & 6); }},
      {Op::BitwiseOr, [=](const auto& x) { return as_f64(with_int(x[0]) | 6); }},
      {Op::BitwiseXor, [=](const auto& x) { return as_f64(with_int(x[0]) ^ 6); }},
      {Op::ShiftLeft, [=](const auto& x) { return as_f64(with_int(x[0]) << 2); }},
      {Op::ShiftRight, [=](const auto& x) { return as_f64(with_int(x[0]) >> 1); }},
      {Op::ArgMax, [](const auto& x) { return as_f64(argmax(x[0], 1)); }},
      {Op::ArgMin, [](const auto& x) { return as_f64(argmin(x[0], 0)); }},
      {Op::ReduceAny, [](const auto& x) { return as_f64(any(x[0] > 1.0, 1)); }},
      {Op::ReduceAll, [](const auto& x) { return as_f64(all(x[0] > -1.0, 1)); }},
      {Op::Iota, [](const auto& x) { return x[0] * 0.0 + as_f64(arange(6, i64)).reshape(kS); }},
      {Op::RandomBits, [](const auto& x) { return x[0] * 0.0 + as_f64(random_bits(kS, 7)); }},
  };
}

}  // namespace

TEST_CASE("every differentiable op: vjp and jvp match finite differences and are transposes") {
  uint64_t seed = 1;
  for (const OpCase& c : differentiable_cases()) check_case(c, seed++);
}

TEST_CASE("every non-differentiable op has a zero derivative") {
  Rng rng(99);
  for (const ZeroCase& c : zero_cases()) {
    CAPTURE(op_name(c.op));
    Array x = difftest::make_input(f64, kS, uniform(rng, 6, -2, 2));
    Array y = c.f({x});
    // The op is in the graph, and no derivative flows through it.
    CHECK(dump(y, false).find(std::string(" ") + std::string(op_name(c.op)) + " ") != std::string::npos);
    Array g = grad(sum(y), x);
    Array t = jvp({y}, {x}, {difftest::make_input(f64, kS, uniform(rng, 6, -1, 1))})[0];
    for (double v : host(g)) CHECK(v == 0.0);
    for (double v : host(t)) CHECK(v == 0.0);
  }
}

TEST_CASE("the checks above cover the op table: every op is checked or is a leaf") {
  std::set<Op> differentiable, zero;
  for (const OpCase& c : differentiable_cases()) differentiable.insert(c.op);
  for (const ZeroCase& c : zero_cases()) zero.insert(c.op);
  for (int k = 0; k < kNumOps; ++k) {
    const Op op = static_cast<Op>(k);
    CAPTURE(op_name(op));
    switch (ad::derivative_rule(op).kind) {
      case ad::RuleKind::Elementwise:
      case ad::RuleKind::Structural: CHECK(differentiable.count(op) == 1); break;
      case ad::RuleKind::Zero: CHECK(zero.count(op) == 1); break;
      case ad::RuleKind::Leaf: CHECK(op_info(op).category == OpCategory::Source); break;
    }
  }
}
