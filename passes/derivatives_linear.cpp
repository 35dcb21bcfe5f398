// Derivative rules of the linear ops: cast between floats, reduce_sum, the views (reshape,
// permute, broadcast, flip, slice, pad, concat), gather, scatter_add and matmul.
//
// A linear op is its own derivative: its tangent is the op applied to the operand tangents
// (with the same attributes), and its cotangent rule is the transposed map: a sum is
// broadcast back and a broadcast summed, a slice is padded with zeros and a pad sliced away,
// a permutation inverted, concat split, gather scattered and scatter gathered. matmul is
// bilinear: d(AB) = dA B + A dB, whose transposes are ct B^T and A^T ct, summed over the
// batch axes that broadcasting stretched.
#include "passes/derivatives.hpp"

namespace kiln::ad {
namespace {

// The op itself applied to the tangent of its first operand (views, reduce_sum).
NodeRef same_op_jvp(const RuleArgs& a, std::span<const NodeRef> t) {
  std::vector<NodeRef> operands(a.y->operands().begin(), a.y->operands().end());
  operands[0] = t[0];
  return a.g.like(*a.y, std::move(operands));
}

// cast between float dtypes: the cotangent cast back to the operand's dtype.
std::vector<NodeRef> cast_vjp(const RuleArgs& a, const NodeRef& ct) {
  return {a.wants(0) ? a.g.cast(ct, a.x(0)->dtype()) : NodeRef()};
}
NodeRef cast_jvp(const RuleArgs& a, std::span<const NodeRef> t) { return a.g.cast(t[0], a.y->dtype()); }

std::vector<NodeRef> reduce_sum_vjp(const RuleArgs& a, const NodeRef& ct) {
  return {a.g.expand_reduced(ct, a.x(0)->shape(), a.y->attrs().axes)};
}
std::vector<NodeRef> reshape_vjp(const RuleArgs& a, const NodeRef& ct) { return {a.g.reshape(ct, a.x(0)->shape())}; }
std::vector<NodeRef> permute_vjp(const RuleArgs& a, const NodeRef& ct) {
  const std::vector<int64_t>& perm = a.y->attrs().perm;
  std::vector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
  return {a.g.permute(ct, inverse)};
}
std::vector<NodeRef> broadcast_vjp(const RuleArgs& a, const NodeRef& ct) { return {a.g.sum_to(ct, a.x(0)->shape())}; }
std::vector<NodeRef> flip_vjp(const RuleArgs& a, const NodeRef& ct) { return {a.g.flip(ct, a.y->attrs().axes)}; }

// v with `step - 1` zeros after each element along `axis` (the last element's dropped):
// n elements become (n - 1) step + 1, the element k at k step.
NodeRef dilate(const GradBuilder& g, const NodeRef& v, size_t axis, int64_t step) {
  const Shape& s = v->shape();
  const int64_t n = s[axis];
  Shape split = s;
  split.insert(split.begin() + static_cast<std::ptrdiff_t>(axis) + 1, 1);
  std::vector<int64_t> low(split.size(), 0), high(split.size(), 0);
  high[axis + 1] = step - 1;
  Shape spread = s;
  spread[axis] = n * step;
  NodeRef wide = g.reshape(g.pad_zeros(g.reshape(v, split), low, high), spread);
  Shape kept = s;
  kept[axis] = (n - 1) * step + 1;
  return g.slice(wide, std::vector<int64_t>(s.size(), 0), std::vector<int64_t>(s.size(), 1), kept);
}

// slice: each cotangent element goes back to the element it was read from, zeros elsewhere.
std::vector<NodeRef> slice_vjp(const RuleArgs& a, const NodeRef& ct) {
  const Shape& in = a.x(0)->shape();
  const Shape& out = a.y->shape();
  if (numel(out) == 0) return {NodeRef()};
  const size_t rank = in.size();
  std::vector<int64_t> start = a.y->attrs().start, step = a.y->attrs().step, flips;
  // A negative step reads the axis backwards: flip the cotangent and read forwards.
  for (size_t i = 0; i < rank; ++i) {
    if (step[i] > 0) continue;
    if (out[i] > 1) flips.push_back(static_cast<int64_t>(i));
    start[i] += (out[i] - 1) * step[i];
    step[i] = -step[i];
  }
  NodeRef v = a.g.flip(ct, flips);
  for (size_t i = 0; i < rank; ++i)
    if (step[i] > 1 && out[i] > 1) v = dilate(a.g, v, i, step[i]);
  std::vector<int64_t> high(rank);
  for (size_t i = 0; i < rank; ++i) high[i] = in[i] - start[i] - v->shape()[i];
  return {a.g.pad_zeros(v, start, high)};
}

// pad: the cotangent of the padding is dropped (the pad value is a constant); tangent: the
// operand's tangent padded with zeros.
std::vector<NodeRef> pad_vjp(const RuleArgs& a, const NodeRef& ct) {
  const Shape& in = a.x(0)->shape();
  return {a.g.slice(ct, a.y->attrs().low, std::vector<int64_t>(in.size(), 1), in)};
}
NodeRef pad_jvp(const RuleArgs& a, std::span<const NodeRef> t) {
  return a.g.pad_zeros(t[0], a.y->attrs().low, a.y->attrs().high);
}

// concat: each operand's part of the cotangent; tangent: the tangents concatenated.
std::vector<NodeRef> concat_vjp(const RuleArgs& a, const NodeRef& ct) {
  const size_t axis = static_cast<size_t>(a.y->attrs().axis);
  std::vector<NodeRef> out(a.wanted.size());
  std::vector<int64_t> start(ct->shape().size(), 0), step(ct->shape().size(), 1);
  for (size_t k = 0; k < out.size(); ++k) {
    const Shape& part = a.x(k)->shape();
    if (a.wants(k) && part[axis] > 0) out[k] = a.g.slice(ct, start, step, part);
    start[axis] += part[axis];
  }
  return out;
}
NodeRef concat_jvp(const RuleArgs& a, std::span<const NodeRef> t) {
  std::vector<NodeRef> parts;
  for (size_t k = 0; k < t.size(); ++k) parts.push_back(t[k] ? t[k] : a.g.full_like(0, a.x(k)));
  return a.g.node(Op::Concat, std::move(parts), a.y->attrs());
}

// The index of gather/scatter_add along an axis of length n with i < 0 meaning i + n, in i64.
NodeRef wrapped_index(const GradBuilder& g, const NodeRef& index, int64_t n) {
  NodeRef i = g.cast(index, DType::I64);
  NodeRef negative = g.bin(Op::Lt, i, g.full_int(0, DType::I64, i->shape()));
  return g.where(negative, g.add(i, g.full_int(n, DType::I64, i->shape())), i);
}

// gather(x, i): x's cotangent is ct scattered (added) to the elements read. Gather clamps an
// index past the ends where scatter_add would drop it, so the scatter gets the clamped index.
std::vector<NodeRef> gather_vjp(const RuleArgs& a, const NodeRef& ct) {
  const NodeRef &x = a.x(0), &index = a.x(1);
  const int64_t axis = a.y->attrs().axis;
  const int64_t n = x->shape()[static_cast<size_t>(axis)];
  if (numel(index->shape()) == 0) return {NodeRef(), NodeRef()};
  const GradBuilder& g = a.g;
  const Shape& s = index->shape();
  NodeRef clamped = g.node(Op::Clamp, {wrapped_index(g, index, n), g.full_int(0, DType::I64, s),
                                       g.full_int(n - 1, DType::I64, s)});
  Attrs at;
  at.axis = axis;
  return {g.node(Op::ScatterAdd, {g.full_like(0, x), clamped, ct}, at), NodeRef()};
}
NodeRef gather_jvp(const RuleArgs& a, std::span<const NodeRef> t) { return same_op_jvp(a, t); }

// scatter_add(dst, i, src) = dst + (src added at i): dst's cotangent is ct, src's is ct
// gathered at i, zero where the index was out of range and its element dropped.
std::vector<NodeRef> scatter_add_vjp(const RuleArgs& a, const NodeRef& ct) {
  const NodeRef &index = a.x(1), &src = a.x(2);
  const int64_t axis = a.y->attrs().axis;
  const int64_t n = a.y->shape()[static_cast<size_t>(axis)];
  std::vector<NodeRef> out(3);
  if (a.wants(0)) out[0] = ct;
  if (!a.wants(2) || n == 0 || numel(src->shape()) == 0) return out;
  const GradBuilder& g = a.g;
  const Shape& s = index->shape();
  NodeRef i = wrapped_index(g, index, n);
  NodeRef inside = g.bin(Op::LogicalAnd, g.bin(Op::Ge, i, g.full_int(0, DType::I64, s)),
                         g.bin(Op::Lt, i, g.full_int(n, DType::I64, s)));
  Attrs at;
  at.axis = axis;
  NodeRef picked = g.node(Op::Gather, {ct, i}, at);
  out[2] = g.where(inside, picked, g.full_like(0, picked));
  return out;
}
NodeRef scatter_add_jvp(const RuleArgs& a, std::span<const NodeRef> t) {
  if (!t[2]) return t[0];  // adding nothing that moves
  NodeRef dst = t[0] ? t[0] : a.g.full_like(0, a.x(0));
  return a.g.like(*a.y, {dst, a.x(1), t[2]});
}

// matmul(A, B): ct B^T for A and A^T ct for B, each summed down to its operand's batch shape.
std::vector<NodeRef> matmul_vjp(const RuleArgs& a, const NodeRef& ct) {
  const GradBuilder& g = a.g;
  const NodeRef &x = a.x(0), &w = a.x(1);
  std::vector<NodeRef> out(2);
  if (a.wants(0)) out[0] = g.sum_to(g.bin(Op::Matmul, ct, g.transpose(w)), x->shape());
  if (a.wants(1)) out[1] = g.sum_to(g.bin(Op::Matmul, g.transpose(x), ct), w->shape());
  return out;
}
NodeRef matmul_jvp(const RuleArgs& a, std::span<const NodeRef> t) {
  const GradBuilder& g = a.g;
  NodeRef left = t[0] ? g.bin(Op::Matmul, t[0], a.x(1)) : NodeRef();
  NodeRef right = t[1] ? g.bin(Op::Matmul, a.x(0), t[1]) : NodeRef();
  return g.accumulate(left, right);
}

}  // namespace

DerivativeRule cast_rule() { return {RuleKind::Structural, nullptr, cast_vjp, cast_jvp}; }
DerivativeRule reduce_sum_rule() { return {RuleKind::Structural, nullptr, reduce_sum_vjp, same_op_jvp}; }
DerivativeRule reshape_rule() { return {RuleKind::Structural, nullptr, reshape_vjp, same_op_jvp}; }
DerivativeRule permute_rule() { return {RuleKind::Structural, nullptr, permute_vjp, same_op_jvp}; }
DerivativeRule broadcast_rule() { return {RuleKind::Structural, nullptr, broadcast_vjp, same_op_jvp}; }
DerivativeRule flip_rule() { return {RuleKind::Structural, nullptr, flip_vjp, same_op_jvp}; }
DerivativeRule slice_rule() { return {RuleKind::Structural, nullptr, slice_vjp, same_op_jvp}; }
DerivativeRule pad_rule() { return {RuleKind::Structural, nullptr, pad_vjp, pad_jvp}; }
DerivativeRule concat_rule() { return {RuleKind::Structural, nullptr, concat_vjp, concat_jvp}; }
DerivativeRule gather_rule() { return {RuleKind::Structural, nullptr, gather_vjp, gather_jvp}; }
DerivativeRule scatter_add_rule() { return {RuleKind::Structural, nullptr, scatter_add_vjp, scatter_add_jvp}; }
DerivativeRule matmul_rule() { return {RuleKind::Structural, nullptr, matmul_vjp, matmul_jvp}; }

}  // namespace kiln::ad
