// Derivative rules of the ops that choose between values: where, minimum, maximum, clamp,
// reduce_max, reduce_min; and reduce_prod, whose derivative also goes by cases (how many
// zeros a product has).
//
// A selection routes the whole cotangent to ONE winner, never splits it, so that gradients
// are sparse and the result matches what a finite difference sees on each side. Ties:
// minimum(a, b) / maximum(a, b) give it to the first operand a; clamp(x, lo, hi), being
// minimum(maximum(x, lo), hi), to x before lo and to the maximum before hi; reduce_max /
// reduce_min to the first extreme element in row-major order over the reduced axes (the
// element argmax / argmin picks). NaN: the operand whose NaN is the result wins (the first
// NaN for the reductions, again argmax's choice), so the NaN's own gradient path is the one
// that gets the cotangent.
#include "passes/derivatives.hpp"

namespace kiln::ad {
namespace {

// t, or zeros like `like` when t is absent.
NodeRef or_zeros(const GradBuilder& g, const NodeRef& t, const NodeRef& like) { return t ? t : g.full_like(0, like); }

// Where `a` wins over `b` in maximum (max = true) or minimum: strictly better, tied, or NaN.
NodeRef first_wins(const GradBuilder& g, const NodeRef& a, const NodeRef& b, bool max) {
  NodeRef better_or_tied = g.bin(max ? Op::Ge : Op::Le, a, b);
  return g.bin(Op::LogicalOr, better_or_tied, g.un(Op::IsNan, a));
}

// The cotangent split by `mask` between the operand taking it where mask is true and the one
// taking it elsewhere.
NodeRef where_true(const GradBuilder& g, const NodeRef& mask, const NodeRef& ct) {
  return g.where(mask, ct, g.full_like(0, ct));
}
NodeRef where_false(const GradBuilder& g, const NodeRef& mask, const NodeRef& ct) {
  return g.where(mask, g.full_like(0, ct), ct);
}

// where(c, a, b): a takes ct where c, b elsewhere; tangent where(c, ta, tb).
std::vector<NodeRef> where_vjp(const RuleArgs& a, const NodeRef& ct) {
  std::vector<NodeRef> out(3);
  if (a.wants(1)) out[1] = where_true(a.g, a.x(0), ct);
  if (a.wants(2)) out[2] = where_false(a.g, a.x(0), ct);
  return out;
}
NodeRef where_jvp(const RuleArgs& a, std::span<const NodeRef> t) {
  if (!t[1] && !t[2]) return {};
  return a.g.where(a.x(0), or_zeros(a.g, t[1], a.y), or_zeros(a.g, t[2], a.y));
}

// minimum(a, b) / maximum(a, b): a takes ct where first_wins, b elsewhere.
std::vector<NodeRef> min_max_vjp(const RuleArgs& a, const NodeRef& ct) {
  NodeRef w = first_wins(a.g, a.x(0), a.x(1), a.y->op() == Op::Maximum);
  return {a.wants(0) ? where_true(a.g, w, ct) : NodeRef(), a.wants(1) ? where_false(a.g, w, ct) : NodeRef()};
}
NodeRef min_max_jvp(const RuleArgs& a, std::span<const NodeRef> t) {
  NodeRef w = first_wins(a.g, a.x(0), a.x(1), a.y->op() == Op::Maximum);
  return a.g.where(w, or_zeros(a.g, t[0], a.y), or_zeros(a.g, t[1], a.y));
}

// clamp(x, lo, hi) = minimum(m, hi) with m = maximum(x, lo).
struct ClampRoute {
  NodeRef x_wins_max;  // x over lo in the maximum
  NodeRef m_wins_min;  // the maximum over hi in the minimum
};
ClampRoute clamp_route(const RuleArgs& a) {
  NodeRef m = a.g.bin(Op::Maximum, a.x(0), a.x(1));
  return {first_wins(a.g, a.x(0), a.x(1), true), first_wins(a.g, m, a.x(2), false)};
}
std::vector<NodeRef> clamp_vjp(const RuleArgs& a, const NodeRef& ct) {
  ClampRoute r = clamp_route(a);
  std::vector<NodeRef> out(3);
  NodeRef through_max = where_true(a.g, r.m_wins_min, ct);
  if (a.wants(0)) out[0] = where_true(a.g, r.x_wins_max, through_max);
  if (a.wants(1)) out[1] = where_false(a.g, r.x_wins_max, through_max);
  if (a.wants(2)) out[2] = where_false(a.g, r.m_wins_min, ct);
  return out;
}
NodeRef clamp_jvp(const RuleArgs& a, std::span<const NodeRef> t) {
  ClampRoute r = clamp_route(a);
  const GradBuilder& g = a.g;
  NodeRef max_tangent = g.where(r.x_wins_max, or_zeros(g, t[0], a.y), or_zeros(g, t[1], a.y));
  return g.where(r.m_wins_min, max_tangent, or_zeros(g, t[2], a.y));
}

// reduce_max / reduce_min: a bool mask of x's shape, true at the one winner of each group
// (argmax's / argmin's element: the first extreme, or the first NaN).
NodeRef winner_mask(const RuleArgs& a) {
  const GradBuilder& g = a.g;
  const NodeRef& x = a.x(0);
  const std::vector<int64_t>& axes = a.y->attrs().axes;
  Attrs arg;
  arg.axes = axes;
  NodeRef index = g.node(a.y->op() == Op::ReduceMax ? Op::ArgMax : Op::ArgMin, {x}, arg);
  // Each element's flat row-major position among the reduced axes, as argmax counts.
  NodeRef position;
  int64_t stride = 1;
  for (size_t k = axes.size(); k-- > 0;) {
    Attrs along;
    along.axis = axes[k];
    TensorType type{DType::I64, x->shape()};
    NodeRef coord = g.node(Op::Iota, {}, along, &type);
    if (stride != 1) coord = g.mul(coord, g.full_int(stride, DType::I64, x->shape()));
    position = g.accumulate(position, coord);
    stride *= x->shape()[static_cast<size_t>(axes[k])];
  }
  if (!position) position = g.full(0, DType::I64, x->shape());  // no reduced axes: each its own group
  return g.bin(Op::Eq, position, g.expand_reduced(index, x->shape(), axes));
}
std::vector<NodeRef> reduce_extreme_vjp(const RuleArgs& a, const NodeRef& ct) {
  NodeRef spread = a.g.expand_reduced(ct, a.x(0)->shape(), a.y->attrs().axes);
  return {where_true(a.g, winner_mask(a), spread)};
}
NodeRef reduce_extreme_jvp(const RuleArgs& a, std::span<const NodeRef> t) {
  return a.g.reduce_sum(where_true(a.g, winner_mask(a), t[0]), a.y->attrs().axes);
}

// reduce_prod: d/dx_i prod_j x_j = prod_{j != i} x_j. Without dividing by zero: with p the
// product of the group's non-zero elements and z the number of zeros in it, the slope is
// p / x_i when z = 0, p at the zero when z = 1 (0 at the others), and 0 when z >= 2.
NodeRef product_slopes(const RuleArgs& a) {
  const GradBuilder& g = a.g;
  const NodeRef& x = a.x(0);
  const std::vector<int64_t>& axes = a.y->attrs().axes;
  NodeRef is_zero = g.bin(Op::Eq, x, g.full_like(0, x));
  NodeRef safe = g.where(is_zero, g.full_like(1, x), x);  // no 0 to divide by, on any path
  Attrs r;
  r.axes = axes;
  NodeRef p = g.expand_reduced(g.node(Op::ReduceProd, {safe}, r), x->shape(), axes);
  NodeRef zeros = g.expand_reduced(g.reduce_sum(g.cast(is_zero, x->dtype()), axes), x->shape(), axes);
  NodeRef none_zero = g.bin(Op::Eq, zeros, g.full_like(0, x));
  NodeRef lone_zero = g.bin(Op::LogicalAnd, is_zero, g.bin(Op::Eq, zeros, g.full_like(1, x)));
  return g.where(none_zero, g.div(p, safe), where_true(g, lone_zero, p));
}
std::vector<NodeRef> reduce_prod_vjp(const RuleArgs& a, const NodeRef& ct) {
  return {a.g.mul(a.g.expand_reduced(ct, a.x(0)->shape(), a.y->attrs().axes), product_slopes(a))};
}
NodeRef reduce_prod_jvp(const RuleArgs& a, std::span<const NodeRef> t) {
  return a.g.reduce_sum(a.g.mul(t[0], product_slopes(a)), a.y->attrs().axes);
}

}  // namespace

DerivativeRule where_rule() { return {RuleKind::Structural, nullptr, where_vjp, where_jvp}; }
DerivativeRule min_max_rule() { return {RuleKind::Structural, nullptr, min_max_vjp, min_max_jvp}; }
DerivativeRule clamp_rule() { return {RuleKind::Structural, nullptr, clamp_vjp, clamp_jvp}; }
DerivativeRule reduce_extreme_rule() { return {RuleKind::Structural, nullptr, reduce_extreme_vjp, reduce_extreme_jvp}; }
DerivativeRule reduce_prod_rule() { return {RuleKind::Structural, nullptr, reduce_prod_vjp, reduce_prod_jvp}; }

}  // namespace kiln::ad
