// The reference interpreter on source ops (literal, constant, param, iota, random_bits and the Philox
// known-answer vectors), movement ops (reshape, permute, broadcast, slice with negative
// steps, flip, pad, concat) and indexing (gather with clamping and negative indices,
// scatter_add with duplicates and dropped indices), all against hand-written results,
// including zero-size and 0-d arrays.
#include "compiler/ir/philox.hpp"
#include "interpreter_test_util.hpp"

using namespace kiln;
using namespace kiln::test;

namespace {

constexpr int64_t kI32Min = INT32_MIN, kU32Max = UINT32_MAX;

NodeRef reshape(const NodeRef& x, Shape s) { return node_given(Op::Reshape, {x}, {x->dtype(), std::move(s)}); }
NodeRef broadcast(const NodeRef& x, Shape s) { return node_given(Op::Broadcast, {x}, {x->dtype(), std::move(s)}); }
NodeRef permute(const NodeRef& x, std::vector<int64_t> perm) {
  Attrs a;
  a.perm = std::move(perm);
  return node(Op::Permute, {x}, a);
}
NodeRef slice(const NodeRef& x, std::vector<int64_t> start, std::vector<int64_t> step, Shape s) {
  Attrs a;
  a.start = std::move(start);
  a.step = std::move(step);
  return node_given(Op::Slice, {x}, {x->dtype(), std::move(s)}, a);
}
NodeRef pad(const NodeRef& x, std::vector<int64_t> low, std::vector<int64_t> high, Scalar value) {
  Attrs a;
  a.low = std::move(low);
  a.high = std::move(high);
  a.value = value;
  return node(Op::Pad, {x}, a);
}
NodeRef source(Op op, TensorType t, Attrs a) { return node_given(op, {}, std::move(t), std::move(a)); }
NodeRef random_bits(Shape s, uint64_t seed, uint64_t stream) {
  Attrs a;
  a.seed = seed;
  a.stream = stream;
  return source(Op::RandomBits, {u32, std::move(s)}, a);
}

}  // namespace

TEST_CASE("literals hold their value rounded to the dtype") {
  Attrs a;
  a.value = Scalar::of_float(0.1);
  CHECK_SAME(doubles(source(Op::Literal, {f32, {}}, a)), {static_cast<double>(0.1f)});
  a.value = Scalar::of_float(1e6);
  CHECK_SAME(doubles(source(Op::Literal, {f16, {}}, a)), {kInf});
  // Rounded once: through f32 first, 1 + 2^-11 + 2^-40 would become the tie 1 + 2^-11 and then 1.
  a.value = Scalar::of_float(1 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40));
  CHECK_SAME(doubles(source(Op::Literal, {f16, {}}, a)), {1 + std::ldexp(1.0, -10)});
  a.value = Scalar::of_float(-0.0);
  CHECK_SAME(doubles(source(Op::Literal, {bf16, {}}, a)), {-0.0});
  a.value = Scalar::of_int(-5);
  CHECK_INTS(ints(source(Op::Literal, {i32, {}}, a)), {-5});
  a.value = Scalar::of_int(-1);
  CHECK_INTS(ints(source(Op::Literal, {u32, {}}, a)), {kU32Max});
  a.value = Scalar::of_int(1);
  CHECK_INTS(ints(source(Op::Literal, {bool_, {}}, a)), {1});
}

TEST_CASE("constants hold their value rounded to the dtype, like literals") {
  Attrs a;
  a.value = Scalar::of_float(0.1);
  CHECK_SAME(doubles(source(Op::Constant, {f32, {}}, a)), {static_cast<double>(0.1f)});
  a.value = Scalar::of_float(-0.0);
  CHECK_SAME(doubles(source(Op::Constant, {f64, {}}, a)), {-0.0});
  a.value = Scalar::of_int(-1);
  CHECK_INTS(ints(source(Op::Constant, {u32, {}}, a)), {kU32Max});
}

TEST_CASE("iota counts along its axis in the result dtype") {
  CHECK_INTS(ints(source(Op::Iota, {i32, {2, 3}}, axis(1))), {0, 1, 2, 0, 1, 2});
  CHECK_SAME(doubles(source(Op::Iota, {f32, {2, 3}}, axis(0))), {0, 0, 0, 1, 1, 1});
  CHECK_INTS(ints(source(Op::Iota, {u32, {3}}, axis(0))), {0, 1, 2});
  CHECK(ints(source(Op::Iota, {i64, {3, 0}}, axis(0))).empty());
  // f16 above 2048 has a spacing of 2: 2049 and 2051 round half to even.
  std::vector<double> big = doubles(source(Op::Iota, {f16, {2052}}, axis(0)));
  CHECK_SAME(std::vector<double>(big.begin() + 2047, big.end()), {2047, 2048, 2048, 2050, 2052});
}

TEST_CASE("Philox4x32-10 matches the Random123 known-answer vectors") {
  CHECK(philox4x32_10({0, 0, 0, 0}, {0, 0}) == std::array<uint32_t, 4>{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
        std::array<uint32_t, 4>{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
        std::array<uint32_t, 4>{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("random_bits: element i is word 0 of Philox at counter (i, stream), key seed") {
  // Seed 0, stream 0, element 0 is the first known-answer vector.
  std::vector<int64_t> bits = ints(random_bits({8}, 0, 0));
  CHECK(bits[0] == 0x6627e8d5);
  // Counter {1, 0, lo(stream), hi(stream)} and key {lo(seed), hi(seed)}.
  uint64_t seed = 0x0123456789abcdefull, stream = 0xfedcba9876543210ull;
  std::vector<int64_t> r = ints(random_bits({2, 3}, seed, stream));
  CHECK(r[4] == philox4x32_10({4, 0, 0x76543210, 0xfedcba98}, {0x89abcdef, 0x01234567})[0]);
  // Deterministic, flat row-major in the shape, and different for another stream or seed.
  CHECK_INTS(ints(random_bits({6}, seed, stream)), r);
  CHECK_INTS(ints(random_bits({2, 3}, seed, stream)), r);
  std::vector<int64_t> other_stream = ints(random_bits({2, 3}, seed, stream + 1));
  std::vector<int64_t> other_seed = ints(random_bits({2, 3}, seed + 1, stream));
  for (size_t i = 0; i < r.size(); ++i) {
    CHECK(other_stream[i] != r[i]);
    CHECK(other_seed[i] != r[i]);
  }
  // Not all equal: the bits vary along the array.
  CHECK(r[0] != r[1]);
  CHECK(ints(random_bits({0}, 1, 2)).empty());
}

TEST_CASE("reshape reinterprets row-major") {
  NodeRef x = param_f(f64, {2, 3}, {1, 2, 3, 4, 5, 6});
  CHECK_SAME(doubles(reshape(x, {3, 2})), {1, 2, 3, 4, 5, 6});
  CHECK_SAME(doubles(reshape(x, {6, 1})), {1, 2, 3, 4, 5, 6});
  CHECK_SAME(doubles(reshape(scalar_f(f32, -0.0), {1, 1})), {-0.0});
  CHECK_SAME(doubles(reshape(param_f(f32, {1}, {7}), {})), {7});
  CHECK(doubles(reshape(param_f(f32, {0, 3}, {}), {3, 0})).empty());
}

TEST_CASE("permute: result axis i is operand axis perm[i]") {
  NodeRef x = param_f(f64, {2, 3}, {1, 2, 3, 4, 5, 6});
  CHECK_SAME(doubles(permute(x, {1, 0})), {1, 4, 2, 5, 3, 6});
  CHECK_SAME(doubles(permute(x, {0, 1})), {1, 2, 3, 4, 5, 6});
  // y[a,b,c] = 100a + 10b + c on shape [2,3,4]; permute [2,0,1] has shape [4,2,3] and
  // out[i,j,k] = y[j,k,i] = 100j + 10k + i.
  std::vector<int64_t> y, want;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c) y.push_back(100 * a + 10 * b + c);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 3; ++k) want.push_back(100 * j + 10 * k + i);
  NodeRef p = permute(param_i(i32, {2, 3, 4}, y), {2, 0, 1});
  CHECK(p->shape() == Shape{4, 2, 3});
  CHECK_INTS(ints(p), want);
  CHECK(ints(permute(param_i(i32, {2, 0}, {}), {1, 0})).empty());
}

TEST_CASE("broadcast aligns dims to the right and repeats size-1 dims") {
  CHECK_SAME(doubles(broadcast(vec_f(f64, {1, 2, 3}), {2, 3})), {1, 2, 3, 1, 2, 3});
  CHECK_SAME(doubles(broadcast(param_f(f64, {2, 1}, {1, 2}), {2, 3})), {1, 1, 1, 2, 2, 2});
  CHECK_SAME(doubles(broadcast(scalar_f(f16, -0.0), {2, 2})), {-0.0, -0.0, -0.0, -0.0});
  CHECK_INTS(ints(broadcast(param_i(i32, {3, 1}, {7, 8, 9}), {2, 3, 2})), {7, 7, 8, 8, 9, 9, 7, 7, 8, 8, 9, 9});
  CHECK(ints(broadcast(param_i(i32, {1}, {5}), {0})).empty());
}

TEST_CASE("slice reads start + i * step on every axis, steps may be negative") {
  NodeRef x = vec_i(i32, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK_INTS(ints(slice(x, {1}, {3}, {3})), {1, 4, 7});
  CHECK_INTS(ints(slice(x, {9}, {-2}, {5})), {9, 7, 5, 3, 1});
  CHECK_INTS(ints(slice(x, {9}, {-1}, {10})), {9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  CHECK(ints(slice(x, {10}, {1}, {0})).empty());
  // m[r,c] = 4r + c on [3,4]; rows 2,1,0 and columns 3,1.
  std::vector<int64_t> m;
  for (int i = 0; i < 12; ++i) m.push_back(i);
  CHECK_INTS(ints(slice(param_i(i64, {3, 4}, m), {2, 3}, {-1, -2}, {3, 2})), {11, 9, 7, 5, 3, 1});
  CHECK_SAME(doubles(slice(scalar_f(f32, 2.5), {}, {}, {})), {2.5});
}

TEST_CASE("flip reverses the listed axes") {
  NodeRef x = param_f(f64, {2, 3}, {1, 2, 3, 4, 5, 6});
  CHECK_SAME(doubles(node(Op::Flip, {x}, axes({0}))), {4, 5, 6, 1, 2, 3});
  CHECK_SAME(doubles(node(Op::Flip, {x}, axes({1}))), {3, 2, 1, 6, 5, 4});
  CHECK_SAME(doubles(node(Op::Flip, {x}, axes({0, 1}))), {6, 5, 4, 3, 2, 1});
  CHECK_SAME(doubles(node(Op::Flip, {x}, axes({}))), {1, 2, 3, 4, 5, 6});
  CHECK(doubles(node(Op::Flip, {param_f(f64, {0, 2}, {})}, axes({0, 1}))).empty());
}

TEST_CASE("pad adds low/high elements of the pad value on each axis") {
  CHECK_SAME(doubles(pad(vec_f(f32, {1, 2}), {1}, {2}, Scalar::of_float(9))), {9, 1, 2, 9, 9});
  // [[1,2],[3,4]] with one row above and one column to the right, of -0.0.
  CHECK_SAME(doubles(pad(param_f(f64, {2, 2}, {1, 2, 3, 4}), {1, 0}, {0, 1}, Scalar::of_float(-0.0))),
             {-0.0, -0.0, -0.0, 1, 2, -0.0, 3, 4, -0.0});
  CHECK_INTS(ints(pad(param_i(i32, {0}, {}), {2}, {1}, Scalar::of_int(kI32Min))), {kI32Min, kI32Min, kI32Min});
  CHECK_SAME(doubles(pad(vec_f(f16, {1}), {0}, {1}, Scalar::of_float(kNaN))), {1, kNaN});
  CHECK_INTS(ints(pad(vec_i(u32, {5, 6}), {0}, {0}, Scalar::of_int(1))), {5, 6});
  CHECK_INTS(ints(pad(vec_i(bool_, {1}), {1}, {1}, Scalar::of_int(0))), {0, 1, 0});
  CHECK(ints(pad(param_i(i32, {0, 2}, {}), {0, 1}, {0, 1}, Scalar::of_int(3))).empty());
}

TEST_CASE("concat joins operands along an axis") {
  NodeRef a = param_f(f64, {2, 1}, {1, 2}), b = param_f(f64, {2, 2}, {3, 4, 5, 6}), c = param_f(f64, {2, 1}, {7, 8});
  NodeRef r = node(Op::Concat, {a, b, c}, axis(1));
  CHECK(r->shape() == Shape{2, 4});
  CHECK_SAME(doubles(r), {1, 3, 4, 7, 2, 5, 6, 8});
  CHECK_SAME(doubles(node(Op::Concat, {a, c, a}, axis(0))), {1, 2, 7, 8, 1, 2});
  CHECK_INTS(ints(node(Op::Concat, {vec_i(i32, {1}), param_i(i32, {0}, {}), vec_i(i32, {2, 3})}, axis(0))), {1, 2, 3});
  CHECK_INTS(ints(node(Op::Concat, {vec_i(u32, {4, 5})}, axis(0))), {4, 5});
  CHECK(ints(node(Op::Concat, {param_i(i32, {0, 2}, {}), param_i(i32, {0, 1}, {})}, axis(1))).empty());
}

TEST_CASE("gather counts negative indices from the end once, then clamps") {
  NodeRef x = param_f(f64, {2, 3}, {10, 11, 12, 20, 21, 22});
  CHECK_SAME(doubles(node(Op::Gather, {x, param_i(i64, {2, 2}, {2, 0, -1, 5})}, axis(1))), {12, 10, 22, 22});
  // -7 + 3 = -4 is still negative: clamped to 0. INT64_MIN likewise.
  CHECK_SAME(doubles(node(Op::Gather, {x, param_i(i64, {2, 1}, {-7, INT64_MIN})}, axis(1))), {10, 20});
  // Along axis 0: out[i,j] = x[idx[i,j], j]; more indices than rows is fine.
  CHECK_SAME(doubles(node(Op::Gather, {x, param_i(i32, {3, 3}, {1, 0, 1, 0, 0, 0, -1, 9, -2})}, axis(0))),
             {20, 11, 22, 10, 11, 12, 20, 21, 12});
  CHECK_INTS(ints(node(Op::Gather, {vec_i(i32, {7, 8, 9}), vec_i(u32, {0, 2, kU32Max})}, axis(0))), {7, 9, 9});
  CHECK(doubles(node(Op::Gather, {x, param_i(i32, {2, 0}, {})}, axis(1))).empty());
  CHECK(doubles(node(Op::Gather, {param_f(f64, {0}, {}), param_i(i32, {0}, {})}, axis(0))).empty());
}

TEST_CASE("scatter_add accumulates duplicates in order and drops out-of-range indices") {
  NodeRef dst = param_f(f32, {5}, {0, 0, 0, 0, 0});
  // Index -1 means 4; 7 and -6 (-6 + 5 = -1) are dropped.
  CHECK_SAME(doubles(node(Op::ScatterAdd, {dst, vec_i(i64, {1, 1, -1, 7, -6}), vec_f(f32, {1, 2, 3, 4, 5})}, axis(0))),
             {0, 3, 0, 0, 3});
  // Along axis 1 of [2,3]: row 0 adds 1 at 0 and 2 at 2; row 1 adds 3 and 4 at 2.
  NodeRef ones = param_f(f64, {2, 3}, {1, 1, 1, 1, 1, 1});
  CHECK_SAME(doubles(node(Op::ScatterAdd, {ones, param_i(i32, {2, 2}, {0, 2, 2, 2}), param_f(f64, {2, 2}, {1, 2, 3, 4})},
                          axis(1))),
             {2, 1, 3, 1, 1, 8});
  // Each add rounds to the dtype: in f16, 2048 + 1 rounds back to 2048, twice.
  CHECK_SAME(doubles(node(Op::ScatterAdd, {vec_f(f16, {2048}), vec_i(i32, {0, 0}), vec_f(f16, {1, 1})}, axis(0))),
             {2048});
  CHECK_INTS(ints(node(Op::ScatterAdd, {vec_i(i32, {INT32_MAX, 0}), vec_i(u32, {0, 1}), vec_i(i32, {1, -1})}, axis(0))),
             {kI32Min, -1});
  // An empty index array leaves dst as it was.
  CHECK_SAME(doubles(node(Op::ScatterAdd, {vec_f(f64, {1, -0.0}), param_i(i64, {0}, {}), param_f(f64, {0}, {})},
                          axis(0))),
             {1, -0.0});
}

// Last in the file (doctest runs a file's tests in order).
TEST_CASE("every source, movement and indexing op is exercised by these tests") {
  check_every_op_exercised({OpCategory::Source, OpCategory::Movement, OpCategory::Index});
}
