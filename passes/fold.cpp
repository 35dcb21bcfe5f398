// fold (see fold.hpp): one rewrite walk; each node whose operands are splats is evaluated by
// the interpreter as a 0-d function, or, for ops that only pick elements, is the splat of
// the operand's constant.
#include "passes/fold.hpp"

#include "compiler/ir/element.hpp"
#include "compiler/ir/interpreter.hpp"
#include "passes/rewrite.hpp"
#include "passes/splat.hpp"

namespace kiln {

bool folds_exactly(Op op, DType t) {
  // The op lists read better packed, several cases a line.
  // clang-format off
  switch (op) {
    // Correctly rounded (or exact) in IEEE 754, or defined by kiln's integer rules and by
    // fixed algorithms (floor division, fma in f64) that the backends implement as written.
    case Op::Neg: case Op::Abs: case Op::Sign: case Op::Floor: case Op::Ceil: case Op::Round:
    case Op::Trunc: case Op::Sqrt: case Op::Rsqrt: case Op::Reciprocal: case Op::Square:
    case Op::IsNan: case Op::IsInf: case Op::IsFinite: case Op::LogicalNot: case Op::BitwiseNot:
    case Op::Cast: case Op::Add: case Op::Sub: case Op::Mul: case Op::Div: case Op::FloorDiv:
    case Op::Mod: case Op::Minimum: case Op::Maximum: case Op::Eq: case Op::Ne: case Op::Lt:
    case Op::Le: case Op::Gt: case Op::Ge: case Op::LogicalAnd: case Op::LogicalOr:
    case Op::LogicalXor: case Op::BitwiseAnd: case Op::BitwiseOr: case Op::BitwiseXor:
    case Op::ShiftLeft: case Op::ShiftRight: case Op::Where: case Op::Clamp: case Op::Fma:
    case Op::StopGradient:
      return true;
    // Integer pow is exact; float pow is a library function like the ones below.
    case Op::Pow: return !is_float(t);
    // Library functions: the backends' vector math is within an ulp or two of libm, not equal.
    case Op::Exp: case Op::Exp2: case Op::Expm1: case Op::Log: case Op::Log2: case Op::Log1p:
    case Op::Sin: case Op::Cos: case Op::Tan: case Op::Asin: case Op::Acos: case Op::Atan:
    case Op::Sinh: case Op::Cosh: case Op::Tanh: case Op::Sigmoid: case Op::Erf: case Op::Atan2:
      return false;
    // Not elementwise: fold_node handles them by category.
    case Op::Literal: case Op::Constant: case Op::Param: case Op::Iota: case Op::RandomBits:
    case Op::ReduceSum: case Op::ReduceProd: case Op::ReduceMax: case Op::ReduceMin:
    case Op::ArgMax: case Op::ArgMin: case Op::ReduceAny: case Op::ReduceAll: case Op::Reshape:
    case Op::Permute: case Op::Broadcast: case Op::Slice: case Op::Flip: case Op::Pad:
    case Op::Concat: case Op::Gather: case Op::ScatterAdd: case Op::Matmul:
      return false;
  }
  // clang-format on
  return false;
}

namespace {

NodeRef ref(const Node* n) { return NodeRef(const_cast<Node*>(n)); }

// The 0-d constant `op(constants)` of dtype `result`, as the interpreter computes it.
NodeRef evaluate_scalar(const Node& n, std::vector<NodeRef> constants) {
  TensorType scalar{n.dtype(), {}};
  const TensorType* given = op_info(n.op()).rule == TypeRule::Given ? &scalar : nullptr;
  NodeRef tmp = make_node(n.op(), std::move(constants), n.attrs(), given, n.loc());
  BufferPtr value = interpret(function_of({tmp}))[0];
  Attrs a;
  a.value = is_float(n.dtype()) ? Scalar::of_float(load_as_double(value->data(), n.dtype(), 0))
                                : Scalar::of_int(load_as_int(value->data(), n.dtype(), 0));
  return make_node(Op::Constant, {}, std::move(a), &scalar, n.loc());
}

NodeRef fold_elementwise(const Node& n, std::span<const NodeRef> operands) {
  std::vector<NodeRef> constants;
  for (const NodeRef& o : operands) {
    const Node* c = splat_constant(*o);
    if (!c) return {};
    constants.push_back(ref(c));
  }
  if (!folds_exactly(n.op(), operands[0]->dtype())) return {};
  return make_splat(evaluate_scalar(n, std::move(constants)), n.type(), n.loc());
}

// Ops that only copy elements of their operand(s): a splat in, the same splat out.
NodeRef fold_movement(const Node& n, std::span<const NodeRef> operands) {
  const Node* c = splat_constant(*operands[0]);
  if (!c) return {};
  if (n.op() == Op::Pad && !(n.attrs().value == c->attrs().value)) return {};
  if (n.op() == Op::Concat)
    for (const NodeRef& o : operands)
      if (splat_constant(*o) != c) return {};
  return make_splat(ref(c), n.type(), n.loc());
}

// max/min/any/all of copies of c are c; argmax/argmin the first, 0. Sums and products of
// copies are not folded here (simplify turns a sum into x * n where that is exact).
NodeRef fold_reduce(const Node& n, const Node& operand) {
  const Node* c = splat_constant(operand);
  if (!c || n.numel() == 0 || operand.numel() == 0) return {};
  const Op op = n.op();
  if (op == Op::ReduceMax || op == Op::ReduceMin || op == Op::ReduceAny || op == Op::ReduceAll)
    return make_splat(ref(c), n.type(), n.loc());
  if (op == Op::ArgMax || op == Op::ArgMin) return make_splat(Scalar::of_int(0), n.type(), n.loc());
  return {};
}

}  // namespace

NodeRef fold_node(const Node& n, std::span<const NodeRef> operands) {
  if (n.evaluated()) return {};  // data now; its operands are gone
  if (n.op() == Op::Broadcast && splat_constant(*operands[0]) == operands[0].get()) return {};  // a splat already
  switch (op_info(n.op()).category) {
    case OpCategory::Source: return {};
    case OpCategory::Unary:
    case OpCategory::Binary:
    case OpCategory::Ternary: return fold_elementwise(n, operands);
    case OpCategory::Movement: return fold_movement(n, operands);
    case OpCategory::Reduce: return fold_reduce(n, *operands[0]);
    case OpCategory::Index:  // gather reads elements of x only; scatter_add adds
      return n.op() == Op::Gather ? fold_movement(n, operands.first(1)) : NodeRef();
    case OpCategory::Matmul: return {};
  }
  return {};
}

Function fold(const Function& f) { return rewrite(f, fold_node); }

}  // namespace kiln
