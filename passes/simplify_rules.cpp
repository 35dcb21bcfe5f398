// The table of simplification rules, with the math that makes each one exact, and the
// guards and builders that the movement and reduction rules need.
//
// Refused, because they change IEEE results on floats (each is in the table for integers
// where kiln's integer semantics make it exact):
//   x * 0 -> 0         NaN * 0 and inf * 0 are NaN; -3 * 0 is -0.0
//   x - x -> 0         NaN - NaN and inf - inf are NaN
//   x + 0.0 -> x       -0.0 + 0.0 is +0.0 (x + -0.0 -> x is exact and in the table)
//   x / x -> 1         NaN, inf, 0 (on integers too: kiln's x / 0 is 0, so 0 / 0 is 0)
//   exp(log(x)) -> x, log(exp(x)) -> x   rounded twice; exp(log(-1)) is NaN; exp(1000) is inf
//   (x + y) - y, reassociation of + and *   rounded differently
// Rules that hold for some dtypes only list them (x ** 2 -> square(x) is not for f64, |-x|
// is not |x| on u32, a cast chain through a float is not one cast to an integer). The sum
// of n broadcast copies, x * n, is exact up to a bound on n (max_exact_copies) and refused
// beyond it, rather than allowed as a reassociation.
#include "passes/simplify_rules.hpp"

#include <algorithm>
#include <iterator>
#include <vector>

#include "passes/splat.hpp"

namespace kiln {

bool cast_is_lossless(DType from, DType to) {
  if (from == to) return true;
  switch (from) {
    case DType::Bool: return true;
    case DType::I32:
    case DType::U32: return to == DType::I64 || to == DType::F64;
    case DType::F16:
    case DType::BF16: return to == DType::F32 || to == DType::F64;
    case DType::F32: return to == DType::F64;
    case DType::I64:
    case DType::F64: return false;
  }
  return false;
}

namespace {

constexpr DTypeMask kFloats =
    dtype_bit(DType::F16) | dtype_bit(DType::BF16) | dtype_bit(DType::F32) | dtype_bit(DType::F64);
constexpr DTypeMask kInts = dtype_bit(DType::I32) | dtype_bit(DType::I64) | dtype_bit(DType::U32);
constexpr DTypeMask kSigned = dtype_bit(DType::I32) | dtype_bit(DType::I64);
constexpr DTypeMask kBool = dtype_bit(DType::Bool);
constexpr DTypeMask kNarrowFloats = dtype_bit(DType::F16) | dtype_bit(DType::BF16) | dtype_bit(DType::F32);
constexpr DTypeMask kNumeric = kInts | kFloats;
constexpr DTypeMask kIntsBool = kInts | kBool;
constexpr DTypeMask kAll = kNumeric | kBool;

const Node& x_of(const Match& m) { return *m.vars[kX.index]; }

// ---- Guards ------------------------------------------------------------------------------

bool x_has_result_type(const Match& m) { return x_of(m).type() == m.root->type(); }

// cast(cast(x: t, w), u) is cast(x, u) when t -> w keeps every value and w -> u converts it
// as t -> u would. It does unless t is an integer, w a float and u an integer: from a float
// a cast saturates, from an integer it wraps (i32 -2 through f64 to u32 is 0, straight to
// u32 it is 2^32 - 2), which agree only when every value of t fits in u.
bool cast_through_is_direct(const Match& m) {
  DType t = x_of(m).dtype(), w = m.operand(0).dtype(), u = m.root->dtype();
  if (!cast_is_lossless(t, w)) return false;
  return !(is_integer(t) && is_float(w) && is_integer(u)) || cast_is_lossless(t, u);
}

bool is_identity_permutation(const Match& m) {
  const std::vector<int64_t>& p = m.root->attrs().perm;
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] != static_cast<int64_t>(i)) return false;
  return true;
}

// A slice with x's shape and step 1 everywhere starts at 0: it is x.
bool is_whole_slice(const Match& m) {
  const std::vector<int64_t>& step = m.root->attrs().step;
  return x_has_result_type(m) && std::all_of(step.begin(), step.end(), [](int64_t s) { return s == 1; });
}

bool has_no_axes(const Match& m) { return m.root->attrs().axes.empty(); }

bool pads_nothing(const Match& m) {
  const Attrs& a = m.root->attrs();
  auto zero = [](int64_t v) { return v == 0; };
  return std::all_of(a.low.begin(), a.low.end(), zero) && std::all_of(a.high.begin(), a.high.end(), zero);
}

// slice(slice(x)) composes into one slice whose start and step fit in int64.
bool slices_compose(const Match& m) {
  const Attrs &outer = m.root->attrs(), &inner = m.operand(0).attrs();
  for (size_t d = 0; d < outer.step.size(); ++d) {
    __int128 step = static_cast<__int128>(inner.step[d]) * outer.step[d];
    __int128 start = inner.start[d] + static_cast<__int128>(outer.start[d]) * inner.step[d];
    if (step > INT64_MAX || step < INT64_MIN || start > INT64_MAX || start < INT64_MIN) return false;
  }
  return true;
}

// A reduction of broadcast(x) over axes that the broadcast made up (added in front, or
// stretched from a dim 1 of x) sees n copies of each element of x, n the product of those
// axes' sizes. Returns n, or -1 when some reduced axis comes from x itself.
int64_t broadcast_copies(const Match& m) {
  const Node& b = m.operand(0);
  const Shape &xs = x_of(m).shape(), &bs = b.shape();
  const size_t lead = bs.size() - xs.size();
  int64_t n = 1;
  for (int64_t a : m.root->attrs().axes) {
    if (static_cast<size_t>(a) >= lead && xs[a - lead] != 1) return -1;
    n *= bs[a];
  }
  return n;
}

// Up to this many copies, n * x is exactly the sum of n copies of x for the float dtype t:
// the interpreter accumulates in long double (64-bit significand) and rounds once, and
// x * n (computed in double for f16/bf16/f32) rounds the exact product once, so both are
// round(n * x) when n is exact in t and n * x fits the significand it is computed in:
// f16 11 + 11 bits, bf16 8 + 8, f32 24 + 24 (in double's 53), f64 53 + 11 (in 64).
int64_t max_exact_copies(DType t) {
  switch (t) {
    case DType::F16: return int64_t{1} << 11;
    case DType::BF16: return int64_t{1} << 8;
    case DType::F32: return int64_t{1} << 24;
    case DType::F64: return int64_t{1} << 11;
    case DType::Bool:
    case DType::I32:
    case DType::I64:
    case DType::U32: return INT64_MAX;  // wrapping arithmetic: n * x is the sum, always
  }
  return 0;
}

bool sum_of_copies_is_exact(const Match& m) {
  int64_t n = broadcast_copies(m);
  return n >= 1 && n <= max_exact_copies(m.root->dtype());
}

bool reduces_copies(const Match& m) { return broadcast_copies(m) >= 1; }

// ---- Replacements ------------------------------------------------------------------------

NodeRef cast_x_to_result(const Match& m) {
  if (x_of(m).dtype() == m.root->dtype()) return m.var(kX.index);
  return m.make(Op::Cast, {m.var(kX.index)}, {}, &m.root->type());
}

// reshape(reshape(x)) and broadcast(broadcast(x)): one step from x to the result's shape.
NodeRef reshape_x(const Match& m) { return m.make(Op::Reshape, {m.var(kX.index)}, {}, &m.root->type()); }
NodeRef broadcast_x(const Match& m) { return m.make(Op::Broadcast, {m.var(kX.index)}, {}, &m.root->type()); }

// permute(permute(x, p), q): result axis i is the inner result's axis q[i], which is x's
// axis p[q[i]].
NodeRef compose_permutes(const Match& m) {
  const std::vector<int64_t>&q = m.root->attrs().perm, &p = m.operand(0).attrs().perm;
  Attrs a;
  for (int64_t i : q) a.perm.push_back(p[i]);
  return m.make(Op::Permute, {m.var(kX.index)}, std::move(a));
}

// slice(slice(x, s1, t1), s2, t2): element k reads the inner slice at s2 + k t2, which
// reads x at s1 + (s2 + k t2) t1 = (s1 + s2 t1) + k (t1 t2).
NodeRef compose_slices(const Match& m) {
  const Attrs &outer = m.root->attrs(), &inner = m.operand(0).attrs();
  Attrs a;
  for (size_t d = 0; d < outer.step.size(); ++d) {
    a.start.push_back(inner.start[d] + outer.start[d] * inner.step[d]);
    a.step.push_back(inner.step[d] * outer.step[d]);
  }
  return m.make(Op::Slice, {m.var(kX.index)}, std::move(a), &m.root->type());
}

// flip(flip(x, a), b): an axis in both is flipped twice, which undoes it.
NodeRef compose_flips(const Match& m) {
  const std::vector<int64_t>&a = m.operand(0).attrs().axes, &b = m.root->attrs().axes;
  Attrs r;
  std::set_symmetric_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(r.axes));
  return m.make(Op::Flip, {m.var(kX.index)}, std::move(r));
}

// x with the reduced axes (which are 1 in x, or absent) taken out, broadcast to the
// reduction's result: each output element is the one element of x all its copies came from.
NodeRef collapse_copies(const Match& m) {
  const Node& x = x_of(m);
  const size_t lead = m.operand(0).rank() - x.rank();
  const std::vector<int64_t>& axes = m.root->attrs().axes;
  TensorType kept{x.dtype(), {}};
  for (size_t d = 0; d < x.shape().size(); ++d)
    if (!std::binary_search(axes.begin(), axes.end(), static_cast<int64_t>(d + lead)))
      kept.shape.push_back(x.shape()[d]);
  NodeRef y = m.make(Op::Reshape, {m.var(kX.index)}, {}, &kept);
  return m.make(Op::Broadcast, {y}, {}, &m.root->type());
}

// sum(broadcast(x)) over made-up axes = x * n, n the number of copies (exact within the
// bound of max_exact_copies; for n = 1 it is x itself).
NodeRef sum_of_copies(const Match& m) {
  NodeRef y = collapse_copies(m);
  int64_t n = broadcast_copies(m);
  if (n == 1) return y;
  return m.make(Op::Mul, {y, make_splat(Scalar::of_int(n), m.root->type(), m.root->loc())});
}

// ---- The rules --------------------------------------------------------------------------

// The rule families. Each row: the rule in words, the pattern, the dtypes of x it holds
// for, a guard (or null), the replacement, and whether NaN bits may change.
using enum Op;
using enum Exactness;
constexpr PatVar x = kX, y = kY, c = kC;

std::vector<SimplifyRule> constant_rules() {
  return {
      // Identities with a constant: the IEEE operation is exact and gives x (or -x); kiln's
      // integer ops agree (x / 1 = x, x ** 1 = x, wrapping x * -1 = -x, u32 -1 = 2^32 - 1).
      {"x * 1 -> x", P(Mul, {x, K(1)}), kNumeric, nullptr, x, NanBits},
      {"x / 1 -> x", P(Div, {x, K(1)}), kNumeric, nullptr, x, NanBits},
      {"x ** 1 -> x", P(Pow, {x, K(1)}), kNumeric, nullptr, x, NanBits},
      {"x * -1 -> -x", P(Mul, {x, K(-1)}), kNumeric, nullptr, R(Neg, {x}), NanBits},
      // x + -0.0 = x for every x (-0.0 + -0.0 = -0.0), and x - 0.0 = x + -0.0. Not x + 0.0:
      // -0.0 + 0.0 = +0.0.
      {"x + -0.0 -> x", P(Add, {x, Kf(-0.0)}), kFloats, nullptr, x, NanBits},
      {"x + 0 -> x", P(Add, {x, K(0)}), kInts, nullptr, x, Bitwise},
      {"x - 0 -> x", P(Sub, {x, K(0)}), kNumeric, nullptr, x, NanBits},
      // -0.0 - x = -x for every x (0.0 - 0.0 = +0.0, so not 0.0 - x on floats).
      {"-0.0 - x -> -x", P(Sub, {Kf(-0.0), x}), kFloats, nullptr, R(Neg, {x}), NanBits},
      {"0 - x -> -x", P(Sub, {K(0), x}), kInts, nullptr, R(Neg, {x}), Bitwise},
      // IEEE 754 defines x - y as x + (-y).
      {"x - -y -> x + y", P(Sub, {x, P(Neg, {y})}), kNumeric, nullptr, R(Add, {x, y}), NanBits},
      {"x + -y -> x - y", P(Add, {x, P(Neg, {y})}), kNumeric, nullptr, R(Sub, {x, y}), NanBits},
      // pow(x, 0) = 1 for every x, quiet NaN included (C99 F.9.4.4); kiln's integer 0 ** 0 = 1.
      // Not f64: glibc's pow(signalling NaN, 0) is NaN (narrower floats reach pow quieted).
      {"x ** 0 -> 1", P(Pow, {x, K(0)}), kInts | kNarrowFloats, nullptr, S(1), Bitwise},
      // x * x is exact in double for f16/bf16/f32 (at most 48 bits), so pow (within 0.52 ulp)
      // returns it too and both round it once. Not for f64, where x * x rounds.
      {"x ** 2 -> square(x)", P(Pow, {x, K(2)}), kInts | kNarrowFloats, nullptr, R(Square, {x}), NanBits},
  };
}

std::vector<SimplifyRule> integer_and_logic_rules() {
  return {
      // Integers only: on floats NaN * 0, inf - inf are NaN and -1 * 0 = -0.0.
      {"x * 0 -> 0", P(Mul, {x, K(0)}), kInts, nullptr, S(0), Bitwise},
      {"x - x -> 0", P(Sub, {x, x}), kInts, nullptr, S(0), Bitwise},
      {"x // 1 -> x", P(FloorDiv, {x, K(1)}), kInts, nullptr, x, Bitwise},
      {"x % 1 -> 0", P(Mod, {x, K(1)}), kInts, nullptr, S(0), Bitwise},
      {"x << 0 -> x", P(ShiftLeft, {x, K(0)}), kInts, nullptr, x, Bitwise},
      {"x >> 0 -> x", P(ShiftRight, {x, K(0)}), kInts, nullptr, x, Bitwise},

      // Bits (bool: true is all ones) and logic.
      {"x & 0 -> 0", P(BitwiseAnd, {x, K(0)}), kIntsBool, nullptr, S(0), Bitwise},
      {"x & ~0 -> x", P(BitwiseAnd, {x, K(-1)}), kIntsBool, nullptr, x, Bitwise},
      {"x | 0 -> x", P(BitwiseOr, {x, K(0)}), kIntsBool, nullptr, x, Bitwise},
      {"x | ~0 -> ~0", P(BitwiseOr, {x, K(-1)}), kIntsBool, nullptr, S(-1), Bitwise},
      {"x ^ 0 -> x", P(BitwiseXor, {x, K(0)}), kIntsBool, nullptr, x, Bitwise},
      {"x & x -> x", P(BitwiseAnd, {x, x}), kIntsBool, nullptr, x, Bitwise},
      {"x | x -> x", P(BitwiseOr, {x, x}), kIntsBool, nullptr, x, Bitwise},
      {"x ^ x -> 0", P(BitwiseXor, {x, x}), kIntsBool, nullptr, S(0), Bitwise},
      {"~~x -> x", P(BitwiseNot, {P(BitwiseNot, {x})}), kIntsBool, nullptr, x, Bitwise},
      {"x and true -> x", P(LogicalAnd, {x, K(1)}), kBool, nullptr, x, Bitwise},
      {"x and false -> false", P(LogicalAnd, {x, K(0)}), kBool, nullptr, S(0), Bitwise},
      {"x or false -> x", P(LogicalOr, {x, K(0)}), kBool, nullptr, x, Bitwise},
      {"x or true -> true", P(LogicalOr, {x, K(1)}), kBool, nullptr, S(1), Bitwise},
      {"x xor false -> x", P(LogicalXor, {x, K(0)}), kBool, nullptr, x, Bitwise},
      {"x and x -> x", P(LogicalAnd, {x, x}), kBool, nullptr, x, Bitwise},
      {"x or x -> x", P(LogicalOr, {x, x}), kBool, nullptr, x, Bitwise},
      {"x xor x -> false", P(LogicalXor, {x, x}), kBool, nullptr, S(0), Bitwise},
      {"!!x -> x", P(LogicalNot, {P(LogicalNot, {x})}), kBool, nullptr, x, Bitwise},

      // x compared with itself: integers and bool only (NaN == NaN is false).
      {"x == x -> true", P(Eq, {x, x}), kIntsBool, nullptr, S(1), Bitwise},
      {"x != x -> false", P(Ne, {x, x}), kIntsBool, nullptr, S(0), Bitwise},
      {"x <= x -> true", P(Le, {x, x}), kIntsBool, nullptr, S(1), Bitwise},
      {"x >= x -> true", P(Ge, {x, x}), kIntsBool, nullptr, S(1), Bitwise},
      {"x < x -> false", P(Lt, {x, x}), kIntsBool, nullptr, S(0), Bitwise},
      {"x > x -> false", P(Gt, {x, x}), kIntsBool, nullptr, S(0), Bitwise},
      // minimum(x, x) = x: both pick x, NaN and -0.0 included.
      {"min(x, x) -> x", P(Minimum, {x, x}), kAll, nullptr, x, NanBits},
      {"max(x, x) -> x", P(Maximum, {x, x}), kAll, nullptr, x, NanBits},
  };
}

std::vector<SimplifyRule> sign_and_rounding_rules() {
  return {
      // Sign changes and rounding. Negation flips the sign bit, so twice is nothing (on
      // integers -(-x) wraps back, INT_MIN included); |x| clears it (not on u32, where |x| is
      // x and -x wraps); sign and the rounding ops give values they keep; rounding an integer
      // does nothing (op.hpp).
      {"--x -> x", P(Neg, {P(Neg, {x})}), kNumeric, nullptr, x, NanBits},
      // stop_gradient only matters to autodiff, which has run before any evaluation pipeline.
      {"stop_gradient(x) -> x", P(StopGradient, {x}), kAll, nullptr, x, Bitwise},
      {"|-x| -> |x|", P(Abs, {P(Neg, {x})}), kSigned | kFloats, nullptr, R(Abs, {x}), NanBits},
      {"||x|| -> |x|", P(Abs, {P(Abs, {x})}), kNumeric, nullptr, R(Abs, {x}), NanBits},
      {"sign(sign(x)) -> sign(x)", P(Sign, {P(Sign, {x})}), kNumeric, nullptr, R(Sign, {x}), NanBits},
      {"floor(floor(x)) -> floor(x)", P(Floor, {P(Floor, {x})}), kFloats, nullptr, R(Floor, {x}), NanBits},
      {"ceil(ceil(x)) -> ceil(x)", P(Ceil, {P(Ceil, {x})}), kFloats, nullptr, R(Ceil, {x}), NanBits},
      {"round(round(x)) -> round(x)", P(Round, {P(Round, {x})}), kFloats, nullptr, R(Round, {x}), NanBits},
      {"trunc(trunc(x)) -> trunc(x)", P(Trunc, {P(Trunc, {x})}), kFloats, nullptr, R(Trunc, {x}), NanBits},
      {"floor(x) -> x on integers", P(Floor, {x}), kInts, nullptr, x, Bitwise},
      {"ceil(x) -> x on integers", P(Ceil, {x}), kInts, nullptr, x, Bitwise},
      {"round(x) -> x on integers", P(Round, {x}), kInts, nullptr, x, Bitwise},
      {"trunc(x) -> x on integers", P(Trunc, {x}), kInts, nullptr, x, Bitwise},
  };
}

std::vector<SimplifyRule> select_and_cast_rules() {
  return {
      // Selection copies the chosen element's bits.
      {"where(c, x, x) -> x", P(Where, {c, x, x}), kAll, nullptr, x, Bitwise},
      {"where(!c, x, y) -> where(c, y, x)", P(Where, {P(LogicalNot, {c}), x, y}), kAll, nullptr, R(Where, {c, y, x}),
       Bitwise},

      // Casts. A cast to x's own dtype is x. Through a dtype that holds every value of x's
      // exactly, a cast sees x's value, so it may start from x (cast(cast(f32 x, f64), f32)
      // is x, cast(cast(i32 x, i64), f32) is cast(x, f32)) where it converts it the same way
      // (see cast_through_is_direct).
      {"cast(x) -> x when x has the dtype", P(Cast, {x}), kAll, x_has_result_type, x, NanBits},
      {"cast(cast(x, w), u) -> cast(x, u) when x -> w is lossless and converts alike", P(Cast, {P(Cast, {x})}), kAll,
       cast_through_is_direct, F(cast_x_to_result), NanBits},
  };
}

std::vector<SimplifyRule> movement_rules() {
  return {
      // Movement ops only move elements: compose them, drop the ones that move nothing.
      {"reshape(x) -> x when the shape is x's", P(Reshape, {x}), kAll, x_has_result_type, x, Bitwise},
      {"reshape(reshape(x)) -> reshape(x)", P(Reshape, {P(Reshape, {x})}), kAll, nullptr, F(reshape_x), Bitwise},
      {"broadcast(x) -> x when the shape is x's", P(Broadcast, {x}), kAll, x_has_result_type, x, Bitwise},
      {"broadcast(broadcast(x)) -> broadcast(x)", P(Broadcast, {P(Broadcast, {x})}), kAll, nullptr, F(broadcast_x),
       Bitwise},
      {"permute(x, identity) -> x", P(Permute, {x}), kAll, is_identity_permutation, x, Bitwise},
      {"permute(permute(x, p), q) -> permute(x, p[q])", P(Permute, {P(Permute, {x})}), kAll, nullptr,
       F(compose_permutes), Bitwise},
      {"slice(x) -> x when it takes all of x", P(Slice, {x}), kAll, is_whole_slice, x, Bitwise},
      {"slice(slice(x)) -> slice(x)", P(Slice, {P(Slice, {x})}), kAll, slices_compose, F(compose_slices), Bitwise},
      {"flip(x, []) -> x", P(Flip, {x}), kAll, has_no_axes, x, Bitwise},
      {"flip(flip(x, a), b) -> flip(x, a xor b)", P(Flip, {P(Flip, {x})}), kAll, nullptr, F(compose_flips), Bitwise},
      {"pad(x, 0, 0) -> x", P(Pad, {x}), kAll, pads_nothing, x, Bitwise},
      {"concat(x) -> x", P(Concat, {x}), kAll, nullptr, x, Bitwise},
  };
}

std::vector<SimplifyRule> reduction_rules() {
  return {
      // A reduction over no axes is its operand (-0.0 + x = x, 1 * x = x); its argmax is 0.
      {"sum(x, []) -> x", P(ReduceSum, {x}), kNumeric, has_no_axes, x, NanBits},
      {"prod(x, []) -> x", P(ReduceProd, {x}), kNumeric, has_no_axes, x, NanBits},
      {"max(x, []) -> x", P(ReduceMax, {x}), kAll, has_no_axes, x, NanBits},
      {"min(x, []) -> x", P(ReduceMin, {x}), kAll, has_no_axes, x, NanBits},
      {"any(x, []) -> x", P(ReduceAny, {x}), kBool, has_no_axes, x, Bitwise},
      {"all(x, []) -> x", P(ReduceAll, {x}), kBool, has_no_axes, x, Bitwise},
      {"argmax(x, []) -> 0", P(ArgMax, {x}), kAll, has_no_axes, S(0), Bitwise},
      {"argmin(x, []) -> 0", P(ArgMin, {x}), kAll, has_no_axes, S(0), Bitwise},
      // Reducing the copies a broadcast made: max, min, any and all of n >= 1 copies of x are
      // x; their sum is x * n (exact for n up to max_exact_copies). The form autodiff gives
      // sum(broadcast(c)).
      {"sum(broadcast(x)) -> x * n", P(ReduceSum, {P(Broadcast, {x})}), kNumeric, sum_of_copies_is_exact,
       F(sum_of_copies), NanBits},
      {"max(broadcast(x)) -> x", P(ReduceMax, {P(Broadcast, {x})}), kAll, reduces_copies, F(collapse_copies), NanBits},
      {"min(broadcast(x)) -> x", P(ReduceMin, {P(Broadcast, {x})}), kAll, reduces_copies, F(collapse_copies), NanBits},
      {"any(broadcast(x)) -> x", P(ReduceAny, {P(Broadcast, {x})}), kBool, reduces_copies, F(collapse_copies), Bitwise},
      {"all(broadcast(x)) -> x", P(ReduceAll, {P(Broadcast, {x})}), kBool, reduces_copies, F(collapse_copies), Bitwise},
  };
}

std::vector<SimplifyRule> make_rules() {
  std::vector<SimplifyRule> all;
  for (auto family : {constant_rules, integer_and_logic_rules, sign_and_rounding_rules, select_and_cast_rules,
                      movement_rules, reduction_rules})
    for (SimplifyRule& r : family()) all.push_back(std::move(r));
  return all;
}

}  // namespace

std::span<const SimplifyRule> simplify_rules() {
  static const std::vector<SimplifyRule> rules = [] {
    std::vector<SimplifyRule> r = make_rules();
    for (const SimplifyRule& rule : r) KILN_CHECK(binds(rule.pattern, kX.index)) << rule.algebra << ": x unbound";
    return r;
  }();
  return rules;
}

NodeRef apply_rule(const SimplifyRule& rule, const Node& n, std::span<const NodeRef> operands,
                   const NodeBuilder& builder) {
  if (n.op() != rule.pattern.op || n.evaluated()) return {};
  Match m;
  m.builder = &builder;
  if (!match(rule.pattern, n, operands, m)) return {};
  if (!(rule.dtypes & dtype_bit(x_of(m).dtype()))) return {};
  if (rule.guard && !rule.guard(m)) return {};
  return build(rule.replacement, m);
}

}  // namespace kiln
