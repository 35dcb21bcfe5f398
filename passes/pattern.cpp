// Matching patterns against nodes and building replacements (see pattern.hpp).
//
// Matching walks the pattern and the graph together, top-down. Variables bind on first use
// and must see the same node on later uses. For a commutative op the operands are tried in
// order first, then swapped, with the bindings of the failed try undone.
#include "passes/pattern.hpp"

#include "passes/splat.hpp"

namespace kiln {

bool is_commutative(Op op) {
  // The op lists read better packed, several cases a line.
  // clang-format off
  switch (op) {
    case Op::Add: case Op::Mul: case Op::Minimum: case Op::Maximum: case Op::Eq: case Op::Ne:
    case Op::LogicalAnd: case Op::LogicalOr: case Op::LogicalXor: case Op::BitwiseAnd:
    case Op::BitwiseOr: case Op::BitwiseXor:
      return true;
    case Op::Literal: case Op::Constant: case Op::Param: case Op::Iota: case Op::RandomBits:
    case Op::Neg: case Op::Abs: case Op::Sign: case Op::Floor: case Op::Ceil: case Op::Round:
    case Op::Trunc: case Op::Exp: case Op::Exp2: case Op::Expm1: case Op::Log: case Op::Log2:
    case Op::Log1p: case Op::Sqrt: case Op::Rsqrt: case Op::Reciprocal: case Op::Square:
    case Op::Sin: case Op::Cos: case Op::Tan: case Op::Asin: case Op::Acos: case Op::Atan:
    case Op::Sinh: case Op::Cosh: case Op::Tanh: case Op::Sigmoid: case Op::Erf: case Op::IsNan:
    case Op::IsInf: case Op::IsFinite: case Op::LogicalNot: case Op::BitwiseNot: case Op::Cast:
    case Op::Sub: case Op::Div: case Op::FloorDiv: case Op::Mod: case Op::Pow: case Op::Atan2:
    case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge: case Op::ShiftLeft: case Op::ShiftRight:
    case Op::Where: case Op::Clamp: case Op::Fma: case Op::ReduceSum: case Op::ReduceProd:
    case Op::ReduceMax: case Op::ReduceMin: case Op::ArgMax: case Op::ArgMin: case Op::ReduceAny:
    case Op::ReduceAll: case Op::Reshape: case Op::Permute: case Op::Broadcast: case Op::Slice:
    case Op::Flip: case Op::Pad: case Op::Concat: case Op::Gather: case Op::ScatterAdd:
    case Op::Matmul: case Op::StopGradient:
      return false;
  }
  // clang-format on
  return false;
}

namespace {

bool match_operand(const Pat& p, const Node& n, Match& m);

bool match_operands(const std::vector<Pat>& ps, std::span<const NodeRef> operands, bool swapped, Match& m) {
  for (size_t i = 0; i < ps.size(); ++i)
    if (!match_operand(ps[i], *operands[swapped ? ps.size() - 1 - i : i], m)) return false;
  return true;
}

bool match_op(const Pat& p, const Node& n, std::span<const NodeRef> operands, Match& m) {
  if (n.op() != p.op || n.evaluated() || operands.size() != p.operands.size()) return false;
  auto saved = m.vars;
  if (match_operands(p.operands, operands, false, m)) return true;
  m.vars = saved;
  if (operands.size() != 2 || !is_commutative(p.op)) return false;
  if (match_operands(p.operands, operands, true, m)) return true;
  m.vars = saved;
  return false;
}

bool match_operand(const Pat& p, const Node& n, Match& m) {
  switch (p.kind) {
    case Pat::Kind::Var: {
      const Node*& bound = m.vars[p.var];
      if (bound) return bound == &n;
      bound = &n;
      return true;
    }
    case Pat::Kind::Const: {
      const Node* c = splat_constant(n);
      return c != nullptr && constant_equals(*c, p.value);
    }
    case Pat::Kind::Node: return match_op(p, n, n.operands(), m);
  }
  return false;
}

}  // namespace

bool match(const Pat& p, const Node& n, std::span<const NodeRef> operands, Match& m) {
  KILN_CHECK(p.kind == Pat::Kind::Node) << "a rule's pattern must be an op";
  m.root = &n;
  m.operands = operands;
  m.vars = {};
  return match_op(p, n, operands, m);
}

NodeRef build(const Rep& r, const Match& m) {
  switch (r.kind) {
    case Rep::Kind::Var:
      KILN_CHECK(m.vars[r.var]) << "replacement uses a variable its pattern does not bind";
      return m.var(r.var);
    case Rep::Kind::Splat: return make_splat(r.value, m.root->type(), m.root->loc());
    case Rep::Kind::Node: {
      KILN_CHECK(op_info(r.op).rule != TypeRule::Given) << "replacement op " << op_name(r.op) << " needs a type";
      std::vector<NodeRef> operands;
      for (const Rep& o : r.operands) operands.push_back(build(o, m));
      return m.make(r.op, std::move(operands));
    }
    case Rep::Kind::Fn: return r.fn(m);
  }
  return {};
}

bool binds(const Pat& p, int v) {
  if (p.kind == Pat::Kind::Var) return p.var == v;
  for (const Pat& o : p.operands)
    if (binds(o, v)) return true;
  return false;
}

}  // namespace kiln
