// Elementwise ops of the user API: promotion, broadcasting, then one graph node.
//
// A binary op promotes its operands to a common dtype (promote.hpp), turns numbers into
// literals, broadcasts both to the NumPy broadcast shape and builds the op. Float-only
// functions convert integer inputs to kDefaultFloat first; logical ops compare with zero.
#include <algorithm>

#include "compiler/ir/infer.hpp"
#include "frontend/build.hpp"
#include "frontend/promote.hpp"

namespace kiln {
using namespace frontend;

namespace {

Array unary(Op op, const Array& x, SourceLocation loc) {
  node_of(x, op_name(op), loc);
  bool float_only = op_info(op).accepts == Accepts::Float;
  Array in = float_only && !is_float(x.dtype()) ? to_dtype(x, kDefaultFloat, loc) : x;
  return apply(op, {in.node()}, loc);
}

// The broadcast shape of the operands' arrays; ShapeError naming both when they do not fit.
Shape broadcast_operands(Op op, std::initializer_list<const Operand*> operands, SourceLocation loc) {
  Shape shape;
  bool first = true;
  for (const Operand* o : operands) {
    if (!o->is_array()) continue;
    const Array& a = o->array();
    node_of(a, op_name(op), loc);
    if (first || a.shape() == shape) {
      if (first) shape = a.shape();
      first = false;
      continue;
    }
    std::optional<Shape> b = broadcast_shapes(shape, a.shape());
    if (!b) {
      // Name every array operand up to this one.
      std::string seen;
      for (const Operand* p : operands) {
        if (!p->is_array()) continue;
        if (p == o) break;
        seen += (seen.empty() ? "" : " and ") + type_str(p->array().node()->type());
      }
      fail<ShapeError>(loc, op_name(op), "cannot broadcast {} with {}", seen, type_str(a.node()->type()));
    }
    shape = std::move(*b);
  }
  return shape;
}

Array elementwise(Op op, std::initializer_list<const Operand*> operands, DType t, SourceLocation loc) {
  Shape shape = broadcast_operands(op, operands, loc);
  std::vector<NodeRef> nodes;
  nodes.reserve(operands.size());
  for (const Operand* o : operands)
    nodes.push_back(broadcast_array(operand_as(*o, t, loc), shape, op_name(op), loc).node());
  return apply(op, std::move(nodes), loc);
}

Array binary(Op op, const Operand& a, const Operand& b) {
  DType t = result_dtype(a, b);
  if (op_info(op).accepts == Accepts::Float && !is_float(t)) t = kDefaultFloat;
  return elementwise(op, {&a, &b}, t, a.loc());
}

// An operand as bool: bool arrays as they are, others compared with zero.
Operand truth(const Operand& o) {
  if (!o.is_array()) return Operand(o.scalar().is_float ? o.scalar().f != 0.0 : o.scalar().i != 0, o.loc());
  const Array& a = o.array();
  node_of(a, "logical op", o.loc());
  if (a.dtype() == DType::Bool) return o;
  return Operand(not_equal(Operand(a, o.loc()), Operand(0, o.loc())), o.loc());
}

Array logical(Op op, const Operand& a, const Operand& b) {
  Operand ta = truth(a), tb = truth(b);
  return elementwise(op, {&ta, &tb}, DType::Bool, a.loc());
}

}  // namespace

Array neg(const Array& x, SourceLocation loc) { return unary(Op::Neg, x, loc); }
Array abs(const Array& x, SourceLocation loc) { return unary(Op::Abs, x, loc); }
Array sign(const Array& x, SourceLocation loc) { return unary(Op::Sign, x, loc); }
Array floor(const Array& x, SourceLocation loc) { return unary(Op::Floor, x, loc); }
Array ceil(const Array& x, SourceLocation loc) { return unary(Op::Ceil, x, loc); }
Array round(const Array& x, SourceLocation loc) { return unary(Op::Round, x, loc); }
Array trunc(const Array& x, SourceLocation loc) { return unary(Op::Trunc, x, loc); }
Array exp(const Array& x, SourceLocation loc) { return unary(Op::Exp, x, loc); }
Array exp2(const Array& x, SourceLocation loc) { return unary(Op::Exp2, x, loc); }
Array expm1(const Array& x, SourceLocation loc) { return unary(Op::Expm1, x, loc); }
Array log(const Array& x, SourceLocation loc) { return unary(Op::Log, x, loc); }
Array log2(const Array& x, SourceLocation loc) { return unary(Op::Log2, x, loc); }
Array log1p(const Array& x, SourceLocation loc) { return unary(Op::Log1p, x, loc); }
Array sqrt(const Array& x, SourceLocation loc) { return unary(Op::Sqrt, x, loc); }
Array rsqrt(const Array& x, SourceLocation loc) { return unary(Op::Rsqrt, x, loc); }
Array reciprocal(const Array& x, SourceLocation loc) { return unary(Op::Reciprocal, x, loc); }
Array square(const Array& x, SourceLocation loc) { return unary(Op::Square, x, loc); }
Array sin(const Array& x, SourceLocation loc) { return unary(Op::Sin, x, loc); }
Array cos(const Array& x, SourceLocation loc) { return unary(Op::Cos, x, loc); }
Array tan(const Array& x, SourceLocation loc) { return unary(Op::Tan, x, loc); }
Array asin(const Array& x, SourceLocation loc) { return unary(Op::Asin, x, loc); }
Array acos(const Array& x, SourceLocation loc) { return unary(Op::Acos, x, loc); }
Array atan(const Array& x, SourceLocation loc) { return unary(Op::Atan, x, loc); }
Array sinh(const Array& x, SourceLocation loc) { return unary(Op::Sinh, x, loc); }
Array cosh(const Array& x, SourceLocation loc) { return unary(Op::Cosh, x, loc); }
Array tanh(const Array& x, SourceLocation loc) { return unary(Op::Tanh, x, loc); }
Array sigmoid(const Array& x, SourceLocation loc) { return unary(Op::Sigmoid, x, loc); }
Array erf(const Array& x, SourceLocation loc) { return unary(Op::Erf, x, loc); }
Array isnan(const Array& x, SourceLocation loc) { return unary(Op::IsNan, x, loc); }
Array isinf(const Array& x, SourceLocation loc) { return unary(Op::IsInf, x, loc); }
Array isfinite(const Array& x, SourceLocation loc) { return unary(Op::IsFinite, x, loc); }
Array bitwise_not(const Array& x, SourceLocation loc) { return unary(Op::BitwiseNot, x, loc); }

Array stop_gradient(const Operand& x, SourceLocation loc) {
  Array a = x.is_array() ? x.array() : operand_as(x, result_dtype({&x}), loc);
  return unary(Op::StopGradient, a, loc);
}

Array logical_not(const Array& x, SourceLocation loc) {
  Operand t = truth(Operand(x, loc));
  return apply(Op::LogicalNot, {t.array().node()}, loc);
}

Array cast(const Array& x, DType dtype, SourceLocation loc) {
  node_of(x, "cast", loc);
  return to_dtype(x, dtype, loc);
}

Array add(const Operand& a, const Operand& b) { return binary(Op::Add, a, b); }
Array sub(const Operand& a, const Operand& b) { return binary(Op::Sub, a, b); }
Array mul(const Operand& a, const Operand& b) { return binary(Op::Mul, a, b); }
Array floordiv(const Operand& a, const Operand& b) { return binary(Op::FloorDiv, a, b); }
Array mod(const Operand& a, const Operand& b) { return binary(Op::Mod, a, b); }
Array pow(const Operand& a, const Operand& b) { return binary(Op::Pow, a, b); }
Array minimum(const Operand& a, const Operand& b) { return binary(Op::Minimum, a, b); }
Array maximum(const Operand& a, const Operand& b) { return binary(Op::Maximum, a, b); }
Array atan2(const Operand& a, const Operand& b) { return binary(Op::Atan2, a, b); }
Array equal(const Operand& a, const Operand& b) { return binary(Op::Eq, a, b); }
Array not_equal(const Operand& a, const Operand& b) { return binary(Op::Ne, a, b); }
Array less(const Operand& a, const Operand& b) { return binary(Op::Lt, a, b); }
Array less_equal(const Operand& a, const Operand& b) { return binary(Op::Le, a, b); }
Array greater(const Operand& a, const Operand& b) { return binary(Op::Gt, a, b); }
Array greater_equal(const Operand& a, const Operand& b) { return binary(Op::Ge, a, b); }
Array bitwise_and(const Operand& a, const Operand& b) { return binary(Op::BitwiseAnd, a, b); }
Array bitwise_or(const Operand& a, const Operand& b) { return binary(Op::BitwiseOr, a, b); }
Array bitwise_xor(const Operand& a, const Operand& b) { return binary(Op::BitwiseXor, a, b); }
Array left_shift(const Operand& a, const Operand& b) { return binary(Op::ShiftLeft, a, b); }
Array right_shift(const Operand& a, const Operand& b) { return binary(Op::ShiftRight, a, b); }
Array logical_and(const Operand& a, const Operand& b) { return logical(Op::LogicalAnd, a, b); }
Array logical_or(const Operand& a, const Operand& b) { return logical(Op::LogicalOr, a, b); }
Array logical_xor(const Operand& a, const Operand& b) { return logical(Op::LogicalXor, a, b); }

Array div(const Operand& a, const Operand& b) {
  DType t = result_dtype(a, b);
  return elementwise(Op::Div, {&a, &b}, is_float(t) ? t : kDefaultFloat, a.loc());
}

Array where(const Operand& cond, const Operand& a, const Operand& b) {
  Operand c = truth(cond);
  DType t = result_dtype(a, b);
  SourceLocation loc = cond.loc();
  Shape shape = broadcast_operands(Op::Where, {&c, &a, &b}, loc);
  return apply(Op::Where,
               {broadcast_array(operand_as(c, DType::Bool, loc), shape, "where", loc).node(),
                broadcast_array(operand_as(a, t, loc), shape, "where", loc).node(),
                broadcast_array(operand_as(b, t, loc), shape, "where", loc).node()},
               loc);
}

Array clamp(const Operand& x, const Operand& lo, const Operand& hi) {
  return elementwise(Op::Clamp, {&x, &lo, &hi}, result_dtype({&x, &lo, &hi}), x.loc());
}

Array fma(const Operand& a, const Operand& b, const Operand& c) {
  return elementwise(Op::Fma, {&a, &b, &c}, result_dtype({&a, &b, &c}), a.loc());
}

Array operator+(const Operand& a, const Operand& b) { return add(a, b); }
Array operator-(const Operand& a, const Operand& b) { return sub(a, b); }
Array operator*(const Operand& a, const Operand& b) { return mul(a, b); }
Array operator/(const Operand& a, const Operand& b) { return div(a, b); }
Array operator%(const Operand& a, const Operand& b) { return mod(a, b); }
Array operator==(const Operand& a, const Operand& b) { return equal(a, b); }
Array operator!=(const Operand& a, const Operand& b) { return not_equal(a, b); }
Array operator<(const Operand& a, const Operand& b) { return less(a, b); }
Array operator<=(const Operand& a, const Operand& b) { return less_equal(a, b); }
Array operator>(const Operand& a, const Operand& b) { return greater(a, b); }
Array operator>=(const Operand& a, const Operand& b) { return greater_equal(a, b); }
Array operator&(const Operand& a, const Operand& b) { return bitwise_and(a, b); }
Array operator|(const Operand& a, const Operand& b) { return bitwise_or(a, b); }
Array operator^(const Operand& a, const Operand& b) { return bitwise_xor(a, b); }
Array operator<<(const Operand& a, const Operand& b) { return left_shift(a, b); }
Array operator>>(const Operand& a, const Operand& b) { return right_shift(a, b); }

Array operator-(const Operand& x) {
  KILN_CHECK(x.is_array()) << "unary minus of a number is built in";
  return neg(x.array(), x.loc());
}
Array operator~(const Operand& x) {
  KILN_CHECK(x.is_array()) << "~ of a number is built in";
  return bitwise_not(x.array(), x.loc());
}
Array operator!(const Operand& x) {
  KILN_CHECK(x.is_array()) << "! of a number is built in";
  return logical_not(x.array(), x.loc());
}

}  // namespace kiln
