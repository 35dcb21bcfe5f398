// The derivative rules of the graph ops: one rule per op of ops.def.
//
// derivative_rule(op) is the table: a `switch` over every op without `default:`, so a new op
// does not compile until it has a rule (derivatives.cpp). A rule is one of:
//   Leaf         a source op with no operands (param, literal, constant): a value, never a
//                function of other nodes;
//   Zero         not differentiable, derivative zero by rule (piecewise constant functions,
//                integer and bool results, random bits, stop_gradient);
//   Elementwise  an elementwise op given by its partial derivatives d y / d x_i; reverse and
//                forward mode both follow from them (ct * d_i, and sum_i t_i * d_i);
//   Structural   reverse mode (vjp) and forward mode (jvp) written out: linear maps (views,
//                reductions, gather/scatter, matmul, cast) and selections (where, minimum,
//                maximum, clamp, reduce_max/min) that route a value to one winner.
// Rules only ever see float nodes with float cotangents/tangents (the walks in autodiff.cpp
// drop integer and bool values), and build their results from differentiable ops only, so a
// derivative can be differentiated again.
#pragma once

#include <span>
#include <vector>

#include "passes/grad_builder.hpp"

namespace kiln::ad {

enum class RuleKind : uint8_t { Leaf, Zero, Elementwise, Structural };

// d y / d x_i of an elementwise op, as what a cotangent or tangent is multiplied by.
struct Partial {
  enum class Kind : uint8_t { None, One, MinusOne, Times, Over };
  Kind kind = Kind::None;  // None: no derivative wanted (or none exists) for this operand
  NodeRef factor;          // Times: * factor; Over: / factor

  static Partial none() { return {}; }
  static Partial one() { return {Kind::One, {}}; }
  static Partial minus_one() { return {Kind::MinusOne, {}}; }
  static Partial times(NodeRef f) { return {Kind::Times, std::move(f)}; }
  static Partial over(NodeRef f) { return {Kind::Over, std::move(f)}; }
};

// What a rule sees: the forward node y (its operands are x(i)), which operands need a
// derivative, and the builder for new nodes. Caller holds the graph read lock.
struct RuleArgs {
  const GradBuilder& g;
  const NodeRef& y;
  const std::vector<bool>& wanted;

  const NodeRef& x(size_t i) const { return y->operands()[i]; }
  bool wants(size_t i) const { return wanted[i]; }
};

// One partial per operand (Partial::none() for the unwanted ones).
using PartialsFn = std::vector<Partial> (*)(const RuleArgs&);
// Reverse mode: the cotangent of each operand given y's cotangent `ct` (empty: none).
using VjpFn = std::vector<NodeRef> (*)(const RuleArgs&, const NodeRef& ct);
// Forward mode: y's tangent given each operand's tangent (empty: zero); empty when zero.
using JvpFn = NodeRef (*)(const RuleArgs&, std::span<const NodeRef> tangents);

struct DerivativeRule {
  RuleKind kind = RuleKind::Zero;
  PartialsFn partials = nullptr;  // Elementwise
  VjpFn vjp = nullptr;            // Structural
  JvpFn jvp = nullptr;            // Structural
};

DerivativeRule derivative_rule(Op op);
// Whether gradients flow through op (its rule is Elementwise or Structural).
bool is_differentiable(Op op);

// Reverse and forward mode of any rule (Elementwise rules through their partials).
std::vector<NodeRef> apply_vjp(const DerivativeRule& rule, const RuleArgs& args, const NodeRef& ct);
NodeRef apply_jvp(const DerivativeRule& rule, const RuleArgs& args, std::span<const NodeRef> tangents);

// The Structural rules, by op family (derivatives_select.cpp, derivatives_linear.cpp).
DerivativeRule where_rule();
DerivativeRule min_max_rule();
DerivativeRule clamp_rule();
DerivativeRule reduce_extreme_rule();  // reduce_max, reduce_min
DerivativeRule reduce_prod_rule();
DerivativeRule cast_rule();
DerivativeRule reduce_sum_rule();
DerivativeRule reshape_rule();
DerivativeRule permute_rule();
DerivativeRule broadcast_rule();
DerivativeRule flip_rule();
DerivativeRule slice_rule();
DerivativeRule pad_rule();
DerivativeRule concat_rule();
DerivativeRule gather_rule();
DerivativeRule scatter_add_rule();
DerivativeRule matmul_rule();

}  // namespace kiln::ad
