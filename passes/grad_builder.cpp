// The node-building helpers of the derivative rules (see grad_builder.hpp).
#include "passes/grad_builder.hpp"

#include <algorithm>

namespace kiln::ad {

Shape keepdims_shape(const Shape& in, const std::vector<int64_t>& axes) {
  Shape s = in;
  for (int64_t a : axes) s[static_cast<size_t>(a)] = 1;
  return s;
}

NodeRef GradBuilder::node(Op op, std::vector<NodeRef> operands, Attrs attrs, const TensorType* given) const {
  attrs.device = device_;
  return make_node(op, std::move(operands), std::move(attrs), given, loc_);
}

NodeRef GradBuilder::like(const Node& y, std::vector<NodeRef> operands) const {
  const bool given = op_info(y.op()).rule == TypeRule::Given;
  TensorType type{operands[0]->dtype(), y.shape()};
  return node(y.op(), std::move(operands), y.attrs(), given ? &type : nullptr);
}

NodeRef GradBuilder::constant(double v, DType t) const {
  Attrs a;
  a.value = is_float(t) ? Scalar::of_float(v) : Scalar::of_int(static_cast<int64_t>(v));
  TensorType type{t, {}};
  return node(Op::Constant, {}, std::move(a), &type);
}

NodeRef GradBuilder::full(double v, DType t, const Shape& s) const { return broadcast(constant(v, t), s); }

NodeRef GradBuilder::full_int(int64_t v, DType t, const Shape& s) const {
  Attrs a;
  a.value = Scalar::of_int(v);
  TensorType type{t, {}};
  return broadcast(node(Op::Constant, {}, std::move(a), &type), s);
}

bool GradBuilder::is_constant(const NodeRef& n, double v) {
  const Node* m = n.get();
  if (m->op() == Op::Broadcast && !m->operands().empty()) m = m->operands()[0].get();
  return m->op() == Op::Constant && m->attrs().value.as_double() == v;
}

NodeRef GradBuilder::accumulate(const NodeRef& a, const NodeRef& b) const {
  if (!a) return b;
  if (!b) return a;
  return add(a, b);
}

NodeRef GradBuilder::mul(const NodeRef& a, const NodeRef& b) const {
  if (is_constant(a, 1)) return b;
  if (is_constant(b, 1)) return a;
  if (is_constant(a, -1)) return neg(b);
  if (is_constant(b, -1)) return neg(a);
  return bin(Op::Mul, a, b);
}

NodeRef GradBuilder::div(const NodeRef& a, const NodeRef& b) const {
  if (is_constant(b, 1)) return a;
  return bin(Op::Div, a, b);
}

NodeRef GradBuilder::neg(const NodeRef& x) const {
  if (x->op() == Op::Neg && !x->operands().empty()) return x->operands()[0];
  return un(Op::Neg, x);
}

NodeRef GradBuilder::cast(const NodeRef& x, DType t) const {
  if (x->dtype() == t) return x;
  TensorType type{t, x->shape()};
  return node(Op::Cast, {x}, {}, &type);
}

namespace {

// The 0-d constant that x broadcasts (x is that value at every element), or null.
NodeRef broadcast_constant(const NodeRef& x) {
  if (x->op() != Op::Broadcast || x->operands().empty()) return {};
  const NodeRef& c = x->operands()[0];
  return c->op() == Op::Constant && c->rank() == 0 ? c : NodeRef();
}

}  // namespace

NodeRef GradBuilder::reshape(const NodeRef& x, const Shape& s) const {
  if (x->shape() == s) return x;
  if (NodeRef c = broadcast_constant(x)) return broadcast(c, s);  // still one value everywhere
  TensorType type{x->dtype(), s};
  return node(Op::Reshape, {x}, {}, &type);
}

NodeRef GradBuilder::broadcast(const NodeRef& x, const Shape& s) const {
  if (x->shape() == s) return x;
  if (NodeRef c = broadcast_constant(x)) return broadcast(c, s);
  TensorType type{x->dtype(), s};
  return node(Op::Broadcast, {x}, {}, &type);
}

NodeRef GradBuilder::permute(const NodeRef& x, const std::vector<int64_t>& perm) const {
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i) identity &= perm[i] == static_cast<int64_t>(i);
  if (identity) return x;
  Attrs a;
  a.perm = perm;
  return node(Op::Permute, {x}, std::move(a));
}

NodeRef GradBuilder::transpose(const NodeRef& x) const {
  std::vector<int64_t> perm;
  for (int i = 0; i < x->rank(); ++i) perm.push_back(i);
  std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  return permute(x, perm);
}

NodeRef GradBuilder::reduce_sum(const NodeRef& x, const std::vector<int64_t>& axes) const {
  if (axes.empty()) return x;
  Attrs a;
  a.axes = axes;
  return node(Op::ReduceSum, {x}, std::move(a));
}

NodeRef GradBuilder::flip(const NodeRef& x, const std::vector<int64_t>& axes) const {
  if (axes.empty()) return x;
  Attrs a;
  a.axes = axes;
  return node(Op::Flip, {x}, std::move(a));
}

NodeRef GradBuilder::pad_zeros(const NodeRef& x, const std::vector<int64_t>& low,
                               const std::vector<int64_t>& high) const {
  bool none = std::all_of(low.begin(), low.end(), [](int64_t v) { return v == 0; }) &&
              std::all_of(high.begin(), high.end(), [](int64_t v) { return v == 0; });
  if (none) return x;
  Attrs a;
  a.low = low;
  a.high = high;
  a.value = is_float(x->dtype()) ? Scalar::of_float(0.0) : Scalar::of_int(0);
  return node(Op::Pad, {x}, std::move(a));
}

NodeRef GradBuilder::slice(const NodeRef& x, const std::vector<int64_t>& start, const std::vector<int64_t>& step,
                           const Shape& shape) const {
  if (shape == x->shape() && std::all_of(start.begin(), start.end(), [](int64_t v) { return v == 0; }) &&
      std::all_of(step.begin(), step.end(), [](int64_t v) { return v == 1; }))
    return x;
  Attrs a;
  a.start = start;
  a.step = step;
  TensorType type{x->dtype(), shape};
  return node(Op::Slice, {x}, std::move(a), &type);
}

NodeRef GradBuilder::sum_to(const NodeRef& g, const Shape& shape) const {
  const Shape& out = g->shape();
  const size_t lead = out.size() - shape.size();
  std::vector<int64_t> axes;
  for (size_t i = 0; i < out.size(); ++i)
    if (i < lead || (shape[i - lead] == 1 && out[i] != 1)) axes.push_back(static_cast<int64_t>(i));
  return reshape(reduce_sum(g, axes), shape);
}

NodeRef GradBuilder::expand_reduced(const NodeRef& g, const Shape& in, const std::vector<int64_t>& axes) const {
  // Broadcasting right-aligns, so reduced leading axes need no reshape first.
  bool leading = true;
  for (size_t i = 0; i < axes.size(); ++i) leading &= axes[i] == static_cast<int64_t>(i);
  NodeRef kept = leading ? g : reshape(g, keepdims_shape(in, axes));
  return broadcast(kept, in);
}

}  // namespace kiln::ad
