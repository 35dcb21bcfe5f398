// The reference interpreter on reductions and matmul: hand-computed results over one, several
// and no axes, empty sets (identities), wrapping integer sums and products, single rounding of
// float accumulations, NaN and -0.0 in max/min, first-extreme argmax/argmin with NaN winning,
// and matmul (2-D, batched with broadcast batch dims, k = 0) with large random cases checked
// against a triple loop written here.
#include <random>

#include "interpreter_test_util.hpp"

using namespace kiln;
using namespace kiln::test;

namespace {

constexpr int64_t kI32Min = INT32_MIN, kI32Max = INT32_MAX, kU32Max = UINT32_MAX;

NodeRef reduce(Op op, const NodeRef& x, std::vector<int64_t> ax) { return node(op, {x}, axes(std::move(ax))); }

// 0, 1, ..., n-1 as f64 of the given shape.
NodeRef counting(Shape shape) {
  std::vector<double> v(numel(shape));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  return param_f(f64, std::move(shape), v);
}

}  // namespace

TEST_CASE("reduce_sum over one axis, several axes and no axes") {
  NodeRef x = param_f(f64, {2, 3}, {1, 2, 3, 4, 5, 6});
  CHECK_SAME(doubles(reduce(Op::ReduceSum, x, {0})), {5, 7, 9});
  CHECK_SAME(doubles(reduce(Op::ReduceSum, x, {1})), {6, 15});
  CHECK_SAME(doubles(reduce(Op::ReduceSum, x, {0, 1})), {21});
  CHECK(reduce(Op::ReduceSum, x, {0, 1})->shape().empty());
  CHECK_SAME(doubles(reduce(Op::ReduceSum, x, {})), {1, 2, 3, 4, 5, 6});
  // x[i,j,k] = 12i + 4j + k; summing over i and k gives 32j + 60.
  CHECK_SAME(doubles(reduce(Op::ReduceSum, counting({2, 3, 4}), {0, 2})), {60, 92, 124});
  CHECK_SAME(doubles(reduce(Op::ReduceSum, scalar_f(f32, 2.5), {})), {2.5});
}

TEST_CASE("reduce_sum of integers wraps") {
  CHECK_INTS(ints(reduce(Op::ReduceSum, vec_i(i32, {kI32Max, 1}), {0})), {kI32Min});
  CHECK_INTS(ints(reduce(Op::ReduceSum, vec_i(u32, {kU32Max, 2}), {0})), {1});
  CHECK_INTS(ints(reduce(Op::ReduceSum, vec_i(i64, {INT64_MAX, INT64_MAX, 2}), {0})), {0});
}

TEST_CASE("float sums accumulate exactly enough and round once") {
  // In f32 steps, 1 + 2^-24 rounds back to 1 twice; the exact sum 1 + 2^-23 is an f32.
  double u = std::ldexp(1.0, -24);
  CHECK_SAME(doubles(reduce(Op::ReduceSum, vec_f(f32, {1, u, u}), {0})), {1 + 2 * u});
  // f16: 2048 + 1 + 1 is 2050 exactly (f16 steps of 2 there would lose both ones).
  CHECK_SAME(doubles(reduce(Op::ReduceSum, vec_f(f16, {2048, 1, 1}), {0})), {2050});
  // An intermediate past the f64 range does not overflow the accumulator.
  CHECK_SAME(doubles(reduce(Op::ReduceSum, vec_f(f64, {1e308, 1e308, -1e308}), {0})), {1e308});
  CHECK_SAME(doubles(reduce(Op::ReduceSum, vec_f(f64, {1, kNaN}), {0})), {kNaN});
  CHECK_SAME(doubles(reduce(Op::ReduceSum, vec_f(f64, {kInf, -kInf}), {0})), {kNaN});
  CHECK_SAME(doubles(reduce(Op::ReduceSum, vec_f(f16, {60000, 60000}), {0})), {kInf});
}

TEST_CASE("reductions of empty sets give the identity; sums keep -0.0") {
  CHECK_SAME(doubles(reduce(Op::ReduceSum, vec_f(f64, {-0.0}), {0})), {-0.0});
  CHECK_SAME(doubles(reduce(Op::ReduceSum, vec_f(f64, {-0.0, 0.0}), {0})), {0.0});
  CHECK_SAME(doubles(reduce(Op::ReduceSum, vec_f(f64, {}), {0})), {0.0});
  CHECK_SAME(doubles(reduce(Op::ReduceSum, param_f(f32, {2, 0}, {}), {1})), {0.0, 0.0});
  CHECK_SAME(doubles(reduce(Op::ReduceProd, param_f(f64, {0, 3}, {}), {0})), {1.0, 1.0, 1.0});
  CHECK_INTS(ints(reduce(Op::ReduceSum, param_i(i32, {0}, {}), {0})), {0});
  CHECK_INTS(ints(reduce(Op::ReduceProd, param_i(u32, {2, 0}, {}), {1})), {1, 1});
  CHECK_INTS(ints(reduce(Op::ReduceAny, param_i(bool_, {0}, {}), {0})), {0});
  CHECK_INTS(ints(reduce(Op::ReduceAll, param_i(bool_, {0}, {}), {0})), {1});
  // An empty result: nothing to compute, even for max and argmax.
  CHECK(doubles(reduce(Op::ReduceMax, param_f(f64, {0, 3}, {}), {1})).empty());
  CHECK(ints(reduce(Op::ArgMin, param_f(f64, {0, 0}, {}), {1})).empty());
}

TEST_CASE("reduce_prod") {
  NodeRef x = param_f(f64, {2, 3}, {1, 2, 3, 4, 5, 6});
  CHECK_SAME(doubles(reduce(Op::ReduceProd, x, {1})), {6, 120});
  CHECK_SAME(doubles(reduce(Op::ReduceProd, x, {0, 1})), {720});
  CHECK_SAME(doubles(reduce(Op::ReduceProd, vec_f(f64, {-1, 0.0}), {0})), {-0.0});
  CHECK_SAME(doubles(reduce(Op::ReduceProd, vec_f(f64, {0.0, kInf}), {0})), {kNaN});
  // 1e200 * 1e200 would overflow f64; the long double accumulator holds it.
  CHECK(only(doubles(reduce(Op::ReduceProd, vec_f(f64, {1e200, 1e200, 1e-300}), {0}))) == doctest::Approx(1e100));
  CHECK_INTS(ints(reduce(Op::ReduceProd, vec_i(i32, {65536, 65536, 3}), {0})), {0});
  CHECK_INTS(ints(reduce(Op::ReduceProd, vec_i(i32, {-1, kI32Min}), {0})), {kI32Min});
  CHECK_INTS(ints(reduce(Op::ReduceProd, vec_i(i64, {int64_t{1} << 32, int64_t{1} << 32}), {0})), {0});
  CHECK_INTS(ints(reduce(Op::ReduceProd, vec_i(u32, {65535, 65537}), {0})), {kU32Max});
}

TEST_CASE("reduce_max and reduce_min propagate NaN and order -0.0 below 0.0") {
  CHECK_SAME(doubles(reduce(Op::ReduceMax, vec_f(f64, {1, kNaN, 3}), {0})), {kNaN});
  CHECK_SAME(doubles(reduce(Op::ReduceMin, vec_f(f32, {kNaN, 1}), {0})), {kNaN});
  CHECK_SAME(doubles(reduce(Op::ReduceMax, vec_f(f64, {-0.0, 0.0}), {0})), {0.0});
  CHECK_SAME(doubles(reduce(Op::ReduceMax, vec_f(f64, {0.0, -0.0}), {0})), {0.0});
  CHECK_SAME(doubles(reduce(Op::ReduceMin, vec_f(f64, {0.0, -0.0}), {0})), {-0.0});
  CHECK_SAME(doubles(reduce(Op::ReduceMin, vec_f(bf16, {-kInf, 5}), {0})), {-kInf});
  NodeRef x = param_f(f64, {2, 3}, {1, 5, 2, 7, 0, 7});
  CHECK_SAME(doubles(reduce(Op::ReduceMax, x, {1})), {5, 7});
  CHECK_SAME(doubles(reduce(Op::ReduceMin, x, {0})), {1, 0, 2});
  CHECK_SAME(doubles(reduce(Op::ReduceMax, x, {})), {1, 5, 2, 7, 0, 7});
  CHECK_INTS(ints(reduce(Op::ReduceMax, vec_i(i32, {kI32Min, -1}), {0})), {-1});
  CHECK_INTS(ints(reduce(Op::ReduceMin, vec_i(i32, {kI32Min, -1}), {0})), {kI32Min});
  CHECK_INTS(ints(reduce(Op::ReduceMax, vec_i(u32, {kU32Max, 0}), {0})), {kU32Max});
  CHECK_INTS(ints(reduce(Op::ReduceMin, vec_i(i64, {INT64_MIN + 1, INT64_MIN}), {0})), {INT64_MIN});
  CHECK_INTS(ints(reduce(Op::ReduceMax, vec_i(bool_, {0, 1, 0}), {0})), {1});
  CHECK_INTS(ints(reduce(Op::ReduceMin, vec_i(bool_, {1, 0, 1}), {0})), {0});
}

TEST_CASE("argmax and argmin return the first extreme, a NaN counting as the extreme") {
  CHECK_INTS(ints(reduce(Op::ArgMax, vec_f(f64, {1, 3, 3, 2}), {0})), {1});
  CHECK_INTS(ints(reduce(Op::ArgMin, vec_f(f64, {2, 1, 1}), {0})), {1});
  CHECK_INTS(ints(reduce(Op::ArgMax, vec_f(f64, {1, kNaN, 5, kNaN}), {0})), {1});
  CHECK_INTS(ints(reduce(Op::ArgMin, vec_f(f16, {1, -kInf, kNaN}), {0})), {2});
  CHECK_INTS(ints(reduce(Op::ArgMax, vec_f(f64, {-0.0, 0.0}), {0})), {0});
  CHECK_INTS(ints(reduce(Op::ArgMin, vec_f(f64, {0.0, -0.0}), {0})), {0});
  CHECK_INTS(ints(reduce(Op::ArgMax, vec_i(u32, {5, kU32Max, kU32Max}), {0})), {1});
  CHECK_INTS(ints(reduce(Op::ArgMin, vec_i(i32, {0, kI32Min, kI32Min}), {0})), {1});
  CHECK_INTS(ints(reduce(Op::ArgMax, vec_i(bool_, {0, 1, 1}), {0})), {1});
  CHECK(reduce(Op::ArgMax, vec_i(i32, {1}), {0})->dtype() == i64);
}

TEST_CASE("argmax and argmin index row-major within the reduced axes") {
  NodeRef x = param_f(f64, {2, 3}, {1, 5, 2, 7, 0, 7});
  CHECK_INTS(ints(reduce(Op::ArgMax, x, {1})), {1, 0});
  CHECK_INTS(ints(reduce(Op::ArgMax, x, {0})), {1, 0, 1});
  CHECK_INTS(ints(reduce(Op::ArgMax, x, {0, 1})), {3});
  CHECK_INTS(ints(reduce(Op::ArgMin, x, {0, 1})), {4});
  CHECK_INTS(ints(reduce(Op::ArgMax, x, {})), {0, 0, 0, 0, 0, 0});
  // y[i,j,k] over axes {0,2}: the index within the reduced axes is 2i + k.
  NodeRef y = param_f(f64, {2, 2, 2}, {1, 2, 4, 8, 9, 3, 8, 0});
  CHECK_INTS(ints(reduce(Op::ArgMax, y, {0, 2})), {2, 1});
  CHECK_INTS(ints(reduce(Op::ArgMin, y, {0, 2})), {0, 3});
}

TEST_CASE("reduce_any and reduce_all") {
  NodeRef x = param_i(bool_, {2, 2}, {0, 0, 0, 1});
  CHECK_INTS(ints(reduce(Op::ReduceAny, x, {1})), {0, 1});
  CHECK_INTS(ints(reduce(Op::ReduceAll, x, {1})), {0, 0});
  CHECK_INTS(ints(reduce(Op::ReduceAny, x, {0, 1})), {1});
  CHECK_INTS(ints(reduce(Op::ReduceAll, param_i(bool_, {2, 2}, {1, 1, 0, 1}), {0})), {0, 1});
  CHECK_INTS(ints(reduce(Op::ReduceAll, x, {})), {0, 0, 0, 1});
}

TEST_CASE("matmul of small matrices, by hand") {
  NodeRef a = param_f(f64, {2, 2}, {1, 2, 3, 4}), b = param_f(f64, {2, 2}, {5, 6, 7, 8});
  CHECK_SAME(doubles(node(Op::Matmul, {a, b})), {19, 22, 43, 50});
  NodeRef c = param_f(f32, {2, 3}, {1, 2, 3, 4, 5, 6}), d = param_f(f32, {3, 1}, {1, 0, -1});
  CHECK_SAME(doubles(node(Op::Matmul, {c, d})), {-2, -2});
  CHECK_SAME(doubles(node(Op::Matmul, {param_f(f64, {1, 2}, {kNaN, 1}), param_f(f64, {2, 1}, {0, 1})})), {kNaN});
  CHECK_SAME(doubles(node(Op::Matmul, {param_f(f64, {1, 1}, {kInf}), param_f(f64, {1, 1}, {0})})), {kNaN});
  // One rounding of the whole dot product: 1 + 2^-24 + 2^-24 is an f32.
  double u = std::ldexp(1.0, -24);
  CHECK_SAME(doubles(node(Op::Matmul, {param_f(f32, {1, 3}, {1, u, u}), param_f(f32, {3, 1}, {1, 1, 1})})), {1 + 2 * u});
  CHECK_INTS(ints(node(Op::Matmul, {param_i(i32, {1, 2}, {65536, 3}), param_i(i32, {2, 1}, {65536, -2})})), {-6});
  CHECK_INTS(ints(node(Op::Matmul, {param_i(u32, {1, 1}, {kU32Max}), param_i(u32, {1, 1}, {kU32Max})})), {1});
}

TEST_CASE("matmul broadcasts batch dims") {
  // a: two 1x2 matrices [1 2], [3 4] (batch [2,1]); b: three 2x1 columns (batch [3]).
  NodeRef a = param_f(f64, {2, 1, 1, 2}, {1, 2, 3, 4});
  NodeRef b = param_f(f64, {3, 2, 1}, {1, 0, 0, 1, 1, 1});
  NodeRef r = node(Op::Matmul, {a, b});
  CHECK(r->shape() == Shape{2, 3, 1, 1});
  CHECK_SAME(doubles(r), {1, 2, 3, 3, 4, 7});
}

TEST_CASE("matmul with an empty contraction or an empty batch") {
  NodeRef r = node(Op::Matmul, {param_f(f64, {2, 0}, {}), param_f(f64, {0, 3}, {})});
  CHECK_SAME(doubles(r), {0, 0, 0, 0, 0, 0});
  CHECK(node(Op::Matmul, {param_i(i64, {0, 2, 2}, {}), param_i(i64, {2, 2}, {1, 2, 3, 4})})->numel() == 0);
  CHECK(ints(node(Op::Matmul, {param_i(i64, {0, 2, 2}, {}), param_i(i64, {2, 2}, {1, 2, 3, 4})})).empty());
  CHECK(doubles(node(Op::Matmul, {param_f(f32, {3, 2}, {1, 2, 3, 4, 5, 6}), param_f(f32, {2, 0}, {})})).empty());
}

namespace {

// Row-major batch offset of matrix `batch_index` of the broadcast batch shape `out`, read from
// an operand whose batch shape is `in` (right-aligned, size-1 dims repeat).
int64_t batch_offset(const Shape& in, const Shape& out, int64_t batch_index) {
  int64_t offset = 0, in_stride = 1;
  for (size_t d = 0; d < out.size(); ++d) {
    size_t from_end = out.size() - 1 - d;
    int64_t coord = batch_index % out[from_end];
    batch_index /= out[from_end];
    if (d < in.size()) {
      int64_t dim = in[in.size() - 1 - d];
      if (dim != 1) offset += coord * in_stride;
      in_stride *= dim;
    }
  }
  return offset;
}

// The plain triple loop over broadcast batches, in uint64 (wrapping) or double.
template <class T>
std::vector<T> reference_matmul(const std::vector<T>& a, const Shape& as, const std::vector<T>& b, const Shape& bs,
                                const Shape& batch) {
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  Shape ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  std::vector<T> out;
  for (int64_t q = 0; q < numel(batch); ++q) {
    int64_t a0 = batch_offset(ab, batch, q) * m * k, b0 = batch_offset(bb, batch, q) * k * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        T acc = 0;
        for (int64_t p = 0; p < k; ++p) acc += a[a0 + i * k + p] * b[b0 + p * n + j];
        out.push_back(acc);
      }
  }
  return out;
}

}  // namespace

TEST_CASE("large random matmuls agree with a triple loop") {
  std::mt19937_64 rng(1234);
  const Shape as = {3, 1, 17, 33}, bs = {4, 33, 9}, batch = {3, 4};
  SUBCASE("small integers in f64: every sum is exact") {
    std::uniform_int_distribution<int> small(-8, 8);
    std::vector<double> a(numel(as)), b(numel(bs));
    for (double& v : a) v = small(rng);
    for (double& v : b) v = small(rng);
    CHECK_SAME(doubles(node(Op::Matmul, {param_f(f64, as, a), param_f(f64, bs, b)})),
               reference_matmul(a, as, b, bs, batch));
  }
  SUBCASE("i64 products that wrap") {
    std::vector<uint64_t> a(numel(as)), b(numel(bs));
    for (uint64_t& v : a) v = rng();
    for (uint64_t& v : b) v = rng();
    std::vector<int64_t> ai(a.begin(), a.end()), bi(b.begin(), b.end());
    std::vector<uint64_t> want = reference_matmul(a, as, b, bs, batch);
    CHECK_INTS(ints(node(Op::Matmul, {param_i(i64, as, ai), param_i(i64, bs, bi)})),
               std::vector<int64_t>(want.begin(), want.end()));
  }
  SUBCASE("random f32 within a rounding of the f64 loop") {
    std::uniform_real_distribution<double> unit(-1, 1);
    std::vector<double> a(numel(as)), b(numel(bs));
    for (double& v : a) v = static_cast<float>(unit(rng));
    for (double& v : b) v = static_cast<float>(unit(rng));
    std::vector<double> got = doubles(node(Op::Matmul, {param_f(f32, as, a), param_f(f32, bs, b)}));
    std::vector<double> want = reference_matmul(a, as, b, bs, batch);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6).scale(1.0));
      CHECK(got[i] == static_cast<double>(static_cast<float>(got[i])));  // an f32 value
    }
  }
}

// Last in the file (doctest runs a file's tests in order).
TEST_CASE("every reduction and matmul is exercised by these tests") {
  check_every_op_exercised({OpCategory::Reduce, OpCategory::Matmul});
}
