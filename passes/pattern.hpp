// A small pattern language for graph rewrite rules: patterns that match a node and the
// nodes below it, binding variables, and replacements built from those variables.
//
// A pattern is a tree of three kinds of leaves and inner nodes: a variable (`x`, `y`, `c`:
// any node; a variable used twice must bind the same node), a constant (`K(1)`: a splat of
// that value, see splat.hpp; never a literal) and an op with operand patterns. An op that
// is commutative matches its operands in either order, so `x * 1` also matches `1 * x`.
// A replacement is a variable, an op on replacements, a splat of a value of the matched
// node's type, or a named function for what algebra alone does not say (composing two
// permutations). The rule tables (simplify_rules.cpp) are written in these terms.
#pragma once

#include <array>
#include <functional>
#include <span>
#include <vector>

#include "compiler/ir/node.hpp"

namespace kiln {

// Whether op(a, b) == op(b, a) for every a and b (for floats: up to which NaN's sign and
// payload a NaN result carries when both operands are NaN; IEEE 754 leaves it open).
bool is_commutative(Op op);

inline constexpr int kMaxPatternVars = 3;

// Builds a node for a replacement: make_node at the matched node's location, then whatever
// the caller does with new nodes (simplify simplifies them too).
using NodeBuilder = std::function<NodeRef(Op, std::vector<NodeRef>, Attrs, const TensorType*, SourceLoc)>;

// What a pattern matched: the root node, its operands (already rewritten), the variables.
struct Match {
  const Node* root = nullptr;
  std::span<const NodeRef> operands;
  std::array<const Node*, kMaxPatternVars> vars{};
  const NodeBuilder* builder = nullptr;

  const Node& operand(size_t i) const { return *operands[i]; }
  NodeRef var(int v) const { return NodeRef(const_cast<Node*>(vars[v])); }
  NodeRef make(Op op, std::vector<NodeRef> operands, Attrs attrs = {}, const TensorType* given = nullptr) const {
    return (*builder)(op, std::move(operands), std::move(attrs), given, root->loc());
  }
};

struct Pat {
  enum class Kind : uint8_t { Var, Const, Node };
  Kind kind = Kind::Var;
  int var = 0;          // Var: which variable
  Scalar value;         // Const: the value, compared after conversion to the node's dtype
  Op op = Op::Literal;  // Node
  std::vector<Pat> operands;
};

struct Rep {
  enum class Kind : uint8_t { Var, Splat, Node, Fn };
  Kind kind = Kind::Var;
  int var = 0;
  Scalar value;
  Op op = Op::Literal;  // Node: an op whose result type follows from its operands
  std::vector<Rep> operands;
  NodeRef (*fn)(const Match&) = nullptr;
};

// A pattern variable; stands for itself on both sides of a rule.
struct PatVar {
  int index;
  operator Pat() const { return Pat{Pat::Kind::Var, index, {}, Op::Literal, {}}; }
  operator Rep() const { return Rep{Rep::Kind::Var, index, {}, Op::Literal, {}, nullptr}; }
};

// Pattern builders: P(Op::Mul, {x, K(1)}) is `x * 1`.
inline Pat P(Op op, std::vector<Pat> operands) { return Pat{Pat::Kind::Node, 0, {}, op, std::move(operands)}; }
inline Pat K(int64_t v) { return Pat{Pat::Kind::Const, 0, Scalar::of_int(v), Op::Literal, {}}; }
inline Pat Kf(double v) { return Pat{Pat::Kind::Const, 0, Scalar::of_float(v), Op::Literal, {}}; }

// Replacement builders: R(Op::Neg, {x}) is `-x`; S(0) a splat of 0; F(fn) a function.
inline Rep R(Op op, std::vector<Rep> operands) { return Rep{Rep::Kind::Node, 0, {}, op, std::move(operands), nullptr}; }
inline Rep S(int64_t v) { return Rep{Rep::Kind::Splat, 0, Scalar::of_int(v), Op::Literal, {}, nullptr}; }
inline Rep F(NodeRef (*fn)(const Match&)) { return Rep{Rep::Kind::Fn, 0, {}, Op::Literal, {}, fn}; }

// Whether `p` (an op pattern) matches node `n` whose operands are `operands`; fills m.root,
// m.operands and m.vars. An evaluated node matches nothing but a variable. Caller holds the
// graph read lock.
bool match(const Pat& p, const Node& n, std::span<const NodeRef> operands, Match& m);

// The node `r` describes for match `m` (m.builder set).
NodeRef build(const Rep& r, const Match& m);

// Whether pattern `p` mentions variable v.
bool binds(const Pat& p, int v);

}  // namespace kiln
