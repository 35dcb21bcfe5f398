// GradBuilder: how derivative rules build graph nodes.
//
// Every node a rule builds is an ordinary hash-consed graph node, made with make_node, so
// rebuilding an expression that already exists (cos(x) in a forward graph that computed it)
// gives back the same node. The helpers keep backward graphs small without a simplifier:
// a product with a constant one is its other factor, a negation of a negation is the value,
// a reshaped or broadcast constant is the constant broadcast, and an absent cotangent (an empty NodeRef) is a zero that is never materialised. Numbers
// are `constant` nodes (baked into code), broadcast to the shape they are used at. Nodes
// carry the location and the device of the forward node being differentiated, so that a
// gradient of arrays on a GPU lives there and combines with them (constants included).
#pragma once

#include <vector>

#include "compiler/ir/node.hpp"

namespace kiln::ad {

class GradBuilder {
 public:
  explicit GradBuilder(SourceLoc loc = {}, Device device = {}) : loc_(loc), device_(device) {}
  // The location and device of the forward node `n`.
  explicit GradBuilder(const Node& n) : GradBuilder(n.loc(), n.attrs().device) {}

  NodeRef node(Op op, std::vector<NodeRef> operands, Attrs attrs = {}, const TensorType* given = nullptr) const;
  // y's op and attributes applied to other operands (a linear op applied to a tangent).
  NodeRef like(const Node& y, std::vector<NodeRef> operands) const;

  // A 0-d constant of dtype t (an integer value for integer dtypes).
  NodeRef constant(double v, DType t) const;
  // `v` at every element of shape s: a constant, broadcast when s is not 0-d.
  NodeRef full(double v, DType t, const Shape& s) const;
  NodeRef full_int(int64_t v, DType t, const Shape& s) const;
  NodeRef full_like(double v, const NodeRef& like) const { return full(v, like->dtype(), like->shape()); }
  // Whether n is the constant v (perhaps broadcast). Caller holds the graph read lock.
  static bool is_constant(const NodeRef& n, double v);

  NodeRef un(Op op, const NodeRef& x) const { return node(op, {x}); }
  NodeRef bin(Op op, const NodeRef& a, const NodeRef& b) const { return node(op, {a, b}); }
  // a + b where either may be absent (empty: zero); empty when both are.
  NodeRef accumulate(const NodeRef& a, const NodeRef& b) const;
  NodeRef add(const NodeRef& a, const NodeRef& b) const { return bin(Op::Add, a, b); }
  NodeRef sub(const NodeRef& a, const NodeRef& b) const { return bin(Op::Sub, a, b); }
  // a * b; a factor that is the constant 1 (or -1) gives the other factor (or its negation).
  NodeRef mul(const NodeRef& a, const NodeRef& b) const;
  // a / b; b the constant 1 gives a.
  NodeRef div(const NodeRef& a, const NodeRef& b) const;
  // -x; the negation of a negation is the value.
  NodeRef neg(const NodeRef& x) const;
  NodeRef square(const NodeRef& x) const { return un(Op::Square, x); }
  NodeRef where(const NodeRef& c, const NodeRef& a, const NodeRef& b) const { return node(Op::Where, {c, a, b}); }
  NodeRef cast(const NodeRef& x, DType t) const;

  NodeRef reshape(const NodeRef& x, const Shape& s) const;
  NodeRef broadcast(const NodeRef& x, const Shape& s) const;
  NodeRef permute(const NodeRef& x, const std::vector<int64_t>& perm) const;
  // x with its last two axes swapped.
  NodeRef transpose(const NodeRef& x) const;
  NodeRef reduce_sum(const NodeRef& x, const std::vector<int64_t>& axes) const;
  NodeRef flip(const NodeRef& x, const std::vector<int64_t>& axes) const;
  NodeRef pad_zeros(const NodeRef& x, const std::vector<int64_t>& low, const std::vector<int64_t>& high) const;
  NodeRef slice(const NodeRef& x, const std::vector<int64_t>& start, const std::vector<int64_t>& step,
                const Shape& shape) const;

  // The adjoint of broadcasting to g's shape: g summed over the axes that broadcasting `shape`
  // to g's shape added or stretched, reshaped to `shape`.
  NodeRef sum_to(const NodeRef& g, const Shape& shape) const;
  // The adjoint of summing over `axes` of shape `in`: g (of the reduced shape) broadcast back.
  NodeRef expand_reduced(const NodeRef& g, const Shape& in, const std::vector<int64_t>& axes) const;

 private:
  SourceLoc loc_;
  Device device_;
};

// `in` with the reduced `axes` kept as size-1 axes.
Shape keepdims_shape(const Shape& in, const std::vector<int64_t>& axes);

}  // namespace kiln::ad
