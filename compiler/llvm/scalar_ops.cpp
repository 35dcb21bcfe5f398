// The arithmetic of the elementwise ops (ScalarEmitter::float_op / int_op), one case per op
// of ops.def, each with the interpreter's rule for its corner cases.
#include <llvm/IR/Intrinsics.h>

#include <limits>

#include "compiler/llvm/scalar.hpp"

namespace kiln::llvm_backend::detail {

using llvm::Value;
using llvm::Intrinsic::ID;
namespace intr = llvm::Intrinsic;

namespace {

// Float ops whose f32 evaluation would not round like the interpreter's f64 one; they are
// computed in f64 for every float dtype. (sigmoid: exp(-x) overflows f32 for x < -88.7 while
// the result is still a representable bf16/f32 subnormal.)
bool computes_in_f64(Op op) {
  return op == Op::Rsqrt || op == Op::Fma || op == Op::FloorDiv || op == Op::Mod || op == Op::Sigmoid;
}

// Float ops whose result is exactly representable in the operands' dtype (no rounding).
bool is_exact(Op op) {
  switch (op) {
    case Op::Neg: case Op::Abs: case Op::Sign: case Op::Floor: case Op::Ceil: case Op::Round:
    case Op::Trunc: case Op::Minimum: case Op::Maximum: case Op::Clamp: return true;
    default: return false;
  }
}

}  // namespace

Value* float_min_max(llvm::IRBuilder<>& b, bool max, Value* x, Value* y) {
  llvm::Type* int_type = b.getIntNTy(x->getType()->getScalarSizeInBits());
  if (auto* vt = llvm::dyn_cast<llvm::VectorType>(x->getType())) int_type = llvm::VectorType::get(int_type, vt->getElementCount());
  Value* x_negative = b.CreateICmpSLT(b.CreateBitCast(x, int_type), llvm::Constant::getNullValue(int_type));
  Value* wins = max ? b.CreateFCmpOGT(x, y) : b.CreateFCmpOLT(x, y);
  Value* tie_to_x = b.CreateAnd(b.CreateFCmpOEQ(x, y), max ? b.CreateNot(x_negative) : x_negative);
  Value* r = b.CreateSelect(b.CreateOr(wins, tie_to_x), x, y);  // y also when only y is NaN
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, r);
}

Value* ScalarEmitter::python_divmod(Op op, Value* a, Value* b) {
  // CPython's float_divmod on doubles (see python_divmod in interpret_elementwise.cpp).
  llvm::Type* t = a->getType();
  auto c = [&](double v) { return llvm::ConstantFP::get(t, v); };
  Value* mod0 = b_.CreateFRem(a, b);  // fmod: exact, with a's sign
  Value* div0 = b_.CreateFDiv(b_.CreateFSub(a, mod0), b);
  Value* mod_nonzero = b_.CreateFCmpUNE(mod0, c(0.0));
  Value* signs_differ = b_.CreateXor(b_.CreateFCmpOLT(b, c(0.0)), b_.CreateFCmpOLT(mod0, c(0.0)));
  Value* fix = b_.CreateAnd(mod_nonzero, signs_differ);
  Value* zero_mod = b_.CreateIntrinsic(intr::copysign, {t}, {c(0.0), b});
  Value* mod = b_.CreateSelect(mod_nonzero, b_.CreateSelect(fix, b_.CreateFAdd(mod0, b), mod0), zero_mod);
  Value* div = b_.CreateSelect(fix, b_.CreateFSub(div0, c(1.0)), div0);
  Value* fl = b_.CreateUnaryIntrinsic(intr::floor, div);
  Value* snapped = b_.CreateSelect(b_.CreateFCmpOGT(b_.CreateFSub(div, fl), c(0.5)), b_.CreateFAdd(fl, c(1.0)), fl);
  Value* quotient = b_.CreateFDiv(a, b);
  Value* zero_div = b_.CreateIntrinsic(intr::copysign, {t}, {c(0.0), quotient});
  Value* floordiv = b_.CreateSelect(b_.CreateFCmpUNE(div, c(0.0)), snapped, zero_div);
  Value* by_zero = b_.CreateFCmpOEQ(b, c(0.0));
  if (op == Op::FloorDiv) return b_.CreateSelect(by_zero, quotient, floordiv);
  return b_.CreateSelect(by_zero, c(std::numeric_limits<double>::quiet_NaN()), mod);
}

Value* ScalarEmitter::float_op(Op op, DType t, std::span<Value* const> args) {
  llvm::Type* ct = (t == DType::F64 || computes_in_f64(op)) ? b_.getDoubleTy() : b_.getFloatTy();
  Value* x[3] = {};
  for (size_t i = 0; i < args.size(); ++i)
    x[i] = args[i]->getType() == ct ? args[i] : b_.CreateFPExt(args[i], ct);
  auto c = [&](double v) { return llvm::ConstantFP::get(ct, v); };
  auto un = [&](ID id) { return b_.CreateUnaryIntrinsic(id, x[0]); };
  auto bin = [&](ID id, Value* p, Value* q) { return b_.CreateBinaryIntrinsic(id, p, q); };
  auto call = [&](const char* name) { return libm(name, std::span<Value* const>(x, args.size())); };
  const double inf = std::numeric_limits<double>::infinity();
  Value* r = nullptr;
  switch (op) {
    case Op::Neg: r = b_.CreateFNeg(x[0]); break;
    case Op::Abs: r = un(intr::fabs); break;
    case Op::Sign:  // -1, 1, or x itself for ±0.0 and NaN
      r = b_.CreateSelect(b_.CreateFCmpOGT(x[0], c(0)), c(1),
                          b_.CreateSelect(b_.CreateFCmpOLT(x[0], c(0)), c(-1), x[0]));
      break;
    case Op::Floor: r = un(intr::floor); break;
    case Op::Ceil: r = un(intr::ceil); break;
    case Op::Round: r = un(intr::roundeven); break;
    case Op::Trunc: r = un(intr::trunc); break;
    case Op::Exp: r = un(intr::exp); break;
    case Op::Exp2: r = un(intr::exp2); break;
    case Op::Expm1: r = call("expm1"); break;
    case Op::Log: r = un(intr::log); break;
    case Op::Log2: r = un(intr::log2); break;
    case Op::Log1p: r = call("log1p"); break;
    case Op::Sqrt: r = un(intr::sqrt); break;
    case Op::Rsqrt: r = b_.CreateFDiv(c(1), un(intr::sqrt)); break;
    case Op::Reciprocal: r = b_.CreateFDiv(c(1), x[0]); break;
    case Op::Square: r = b_.CreateFMul(x[0], x[0]); break;
    case Op::Sin: r = un(intr::sin); break;
    case Op::Cos: r = un(intr::cos); break;
    case Op::Tan: r = call("tan"); break;
    case Op::Asin: r = call("asin"); break;
    case Op::Acos: r = call("acos"); break;
    case Op::Atan: r = call("atan"); break;
    case Op::Sinh: r = call("sinh"); break;
    case Op::Cosh: r = call("cosh"); break;
    case Op::Tanh: r = call("tanh"); break;
    case Op::Sigmoid:  // 1 / (1 + exp(-x)): 0 at -inf, 1 at +inf
      r = b_.CreateFDiv(c(1), b_.CreateFAdd(c(1), b_.CreateUnaryIntrinsic(intr::exp, b_.CreateFNeg(x[0]))));
      break;
    case Op::Erf: r = call("erf"); break;
    case Op::IsNan: return b_.CreateFCmpUNO(x[0], x[0]);
    case Op::IsInf: return b_.CreateFCmpOEQ(un(intr::fabs), c(inf));
    case Op::IsFinite: return b_.CreateFCmpOLT(un(intr::fabs), c(inf));
    case Op::Add: r = b_.CreateFAdd(x[0], x[1]); break;
    case Op::Sub: r = b_.CreateFSub(x[0], x[1]); break;
    case Op::Mul: r = b_.CreateFMul(x[0], x[1]); break;
    case Op::Div: r = b_.CreateFDiv(x[0], x[1]); break;
    case Op::FloorDiv:
    case Op::Mod: r = python_divmod(op, x[0], x[1]); break;
    case Op::Pow: r = bin(intr::pow, x[0], x[1]); break;
    case Op::Minimum: r = float_min_max(b_, false, x[0], x[1]); break;
    case Op::Maximum: r = float_min_max(b_, true, x[0], x[1]); break;
    case Op::Atan2: r = call("atan2"); break;
    case Op::Eq: return b_.CreateFCmpOEQ(x[0], x[1]);
    case Op::Ne: return b_.CreateFCmpUNE(x[0], x[1]);
    case Op::Lt: return b_.CreateFCmpOLT(x[0], x[1]);
    case Op::Le: return b_.CreateFCmpOLE(x[0], x[1]);
    case Op::Gt: return b_.CreateFCmpOGT(x[0], x[1]);
    case Op::Ge: return b_.CreateFCmpOGE(x[0], x[1]);
    case Op::Clamp: r = float_min_max(b_, false, float_min_max(b_, true, x[0], x[1]), x[2]); break;
    case Op::Fma: r = b_.CreateIntrinsic(intr::fma, {ct}, {x[0], x[1], x[2]}); break;
    case Op::LogicalNot: case Op::BitwiseNot: case Op::LogicalAnd: case Op::LogicalOr:
    case Op::LogicalXor: case Op::BitwiseAnd: case Op::BitwiseOr: case Op::BitwiseXor:
    case Op::ShiftLeft: case Op::ShiftRight: case Op::Cast: case Op::Where: case Op::StopGradient:
    case Op::Literal: case Op::Constant: case Op::Param: case Op::Iota: case Op::RandomBits:
    case Op::ReduceSum: case Op::ReduceProd: case Op::ReduceMax: case Op::ReduceMin:
    case Op::ArgMax: case Op::ArgMin: case Op::ReduceAny: case Op::ReduceAll:
    case Op::Reshape: case Op::Permute: case Op::Broadcast: case Op::Slice: case Op::Flip:
    case Op::Pad: case Op::Concat: case Op::Gather: case Op::ScatterAdd: case Op::Matmul:
      KILN_CHECK(false) << "LLVM backend: " << op_name(op) << " is not an elementwise op on " << dtype_name(t);
      return nullptr;
  }
  if (is_exact(op) && ct == reg_type(t)) return r;
  return round_float(r, t);
}

Value* ScalarEmitter::int_div(Op op, DType t, Value* a, Value* b) {
  llvm::Type* ty = a->getType();
  Value* zero = llvm::ConstantInt::get(ty, 0);
  Value* one = llvm::ConstantInt::get(ty, 1);
  Value* by_zero = b_.CreateICmpEQ(b, zero);
  if (!is_signed(t)) {  // u32: plain unsigned division, x / 0 = x % 0 = 0
    Value* safe = b_.CreateSelect(by_zero, one, b);
    Value* r = op == Op::Mod ? b_.CreateURem(a, safe) : b_.CreateUDiv(a, safe);
    return b_.CreateSelect(by_zero, zero, r);
  }
  // x / 0 = 0; x / -1 = -x wrapped (INT_MIN / -1 = INT_MIN); x % 0 = x % -1 = 0.
  Value* by_minus_one = b_.CreateICmpEQ(b, llvm::ConstantInt::get(ty, -1, true));
  Value* special = b_.CreateOr(by_zero, by_minus_one);
  Value* safe = b_.CreateSelect(special, one, b);
  Value* q = b_.CreateSDiv(a, safe);
  Value* r = b_.CreateSRem(a, safe);
  // Python: a nonzero remainder whose sign differs from the divisor's moves by one divisor.
  Value* adjust = b_.CreateAnd(b_.CreateICmpNE(r, zero), b_.CreateICmpSLT(b_.CreateXor(r, safe), zero));
  Value* neg_a = b_.CreateSub(zero, a);
  switch (op) {
    case Op::Div: return b_.CreateSelect(by_zero, zero, b_.CreateSelect(by_minus_one, neg_a, q));
    case Op::FloorDiv: {
      Value* fq = b_.CreateSub(q, b_.CreateZExt(adjust, ty));
      return b_.CreateSelect(by_zero, zero, b_.CreateSelect(by_minus_one, neg_a, fq));
    }
    default: return b_.CreateSelect(special, zero, b_.CreateSelect(adjust, b_.CreateAdd(r, safe), r));
  }
}

Value* ScalarEmitter::int_pow(DType t, Value* x, Value* n) {
  // Square-and-multiply over every bit of the exponent, unrolled (no loop: the kernel's loop
  // stays vectorisable). Wraps like the interpreter's uint64 arithmetic.
  llvm::Type* ty = x->getType();
  const unsigned bits = ty->getIntegerBitWidth();
  Value* one = llvm::ConstantInt::get(ty, 1);
  Value* result = one;
  Value* base = x;
  Value* e = n;
  for (unsigned i = 0; i < bits; ++i) {
    Value* bit = b_.CreateTrunc(e, b_.getInt1Ty());
    result = b_.CreateSelect(bit, b_.CreateMul(result, base), result);
    base = b_.CreateMul(base, base);
    e = b_.CreateLShr(e, 1);
  }
  if (!is_signed(t)) return result;
  // n < 0: 1/x^|n| is an integer only for x = ±1; otherwise it truncates to 0.
  Value* zero = llvm::ConstantInt::get(ty, 0);
  Value* minus_one = llvm::ConstantInt::get(ty, -1, true);
  Value* odd = b_.CreateTrunc(n, b_.getInt1Ty());
  Value* neg_result = b_.CreateSelect(b_.CreateICmpEQ(x, one), one,
                                      b_.CreateSelect(b_.CreateICmpEQ(x, minus_one),
                                                      b_.CreateSelect(odd, minus_one, one), zero));
  return b_.CreateSelect(b_.CreateICmpSLT(n, zero), neg_result, result);
}

Value* ScalarEmitter::int_op(Op op, DType t, std::span<Value* const> x) {
  const bool sgn = is_signed(t);
  llvm::Type* ty = x[0]->getType();
  Value* zero = llvm::ConstantInt::get(ty, 0);
  auto bin = [&](ID id, Value* p, Value* q) { return b_.CreateBinaryIntrinsic(id, p, q); };
  const ID min_id = sgn ? intr::smin : intr::umin, max_id = sgn ? intr::smax : intr::umax;
  switch (op) {
    case Op::Neg: return b_.CreateSub(zero, x[0]);
    case Op::Abs: return sgn ? b_.CreateSelect(b_.CreateICmpSLT(x[0], zero), b_.CreateSub(zero, x[0]), x[0]) : x[0];
    case Op::Sign: {
      Value* pos = b_.CreateZExt(b_.CreateICmpSGT(x[0], zero), ty);
      if (!sgn) return b_.CreateZExt(b_.CreateICmpNE(x[0], zero), ty);
      return b_.CreateSub(pos, b_.CreateZExt(b_.CreateICmpSLT(x[0], zero), ty));
    }
    case Op::Floor: case Op::Ceil: case Op::Round: case Op::Trunc: return x[0];
    case Op::Square: return b_.CreateMul(x[0], x[0]);
    case Op::IsNan: case Op::IsInf: return b_.getFalse();
    case Op::IsFinite: return b_.getTrue();
    case Op::LogicalNot: return b_.CreateNot(x[0]);
    case Op::BitwiseNot: return b_.CreateNot(x[0]);  // on i1 for bool: logical not
    case Op::Add: return b_.CreateAdd(x[0], x[1]);
    case Op::Sub: return b_.CreateSub(x[0], x[1]);
    case Op::Mul: return b_.CreateMul(x[0], x[1]);
    case Op::Div: case Op::FloorDiv: case Op::Mod: return int_div(op, t, x[0], x[1]);
    case Op::Pow: return int_pow(t, x[0], x[1]);
    case Op::Minimum: return bin(min_id, x[0], x[1]);  // bool: umin on i1
    case Op::Maximum: return bin(max_id, x[0], x[1]);
    case Op::Eq: return b_.CreateICmpEQ(x[0], x[1]);
    case Op::Ne: return b_.CreateICmpNE(x[0], x[1]);
    case Op::Lt: return sgn ? b_.CreateICmpSLT(x[0], x[1]) : b_.CreateICmpULT(x[0], x[1]);
    case Op::Le: return sgn ? b_.CreateICmpSLE(x[0], x[1]) : b_.CreateICmpULE(x[0], x[1]);
    case Op::Gt: return sgn ? b_.CreateICmpSGT(x[0], x[1]) : b_.CreateICmpUGT(x[0], x[1]);
    case Op::Ge: return sgn ? b_.CreateICmpSGE(x[0], x[1]) : b_.CreateICmpUGE(x[0], x[1]);
    case Op::LogicalAnd: case Op::BitwiseAnd: return b_.CreateAnd(x[0], x[1]);
    case Op::LogicalOr: case Op::BitwiseOr: return b_.CreateOr(x[0], x[1]);
    case Op::LogicalXor: case Op::BitwiseXor: return b_.CreateXor(x[0], x[1]);
    case Op::ShiftLeft: {
      // An amount < 0 or >= the width (unsigned compare catches both) shifts everything out.
      Value* width = llvm::ConstantInt::get(ty, ty->getIntegerBitWidth());
      Value* in_range = b_.CreateICmpULT(x[1], width);
      Value* amount = b_.CreateAnd(x[1], ty->getIntegerBitWidth() - 1);
      return b_.CreateSelect(in_range, b_.CreateShl(x[0], amount), zero);
    }
    case Op::ShiftRight: {
      Value* width = llvm::ConstantInt::get(ty, ty->getIntegerBitWidth());
      Value* last = llvm::ConstantInt::get(ty, ty->getIntegerBitWidth() - 1);
      Value* in_range = b_.CreateICmpULT(x[1], width);
      if (sgn)  // out of range: shifting by width-1 gives the interpreter's -1 or 0
        return b_.CreateAShr(x[0], b_.CreateSelect(in_range, x[1], last));
      return b_.CreateSelect(in_range, b_.CreateLShr(x[0], b_.CreateAnd(x[1], last)), zero);
    }
    case Op::Clamp: return bin(min_id, bin(max_id, x[0], x[1]), x[2]);
    case Op::Fma: return b_.CreateAdd(b_.CreateMul(x[0], x[1]), x[2]);
    case Op::Exp: case Op::Exp2: case Op::Expm1: case Op::Log: case Op::Log2: case Op::Log1p:
    case Op::Sqrt: case Op::Rsqrt: case Op::Reciprocal: case Op::Sin: case Op::Cos: case Op::Tan:
    case Op::Asin: case Op::Acos: case Op::Atan: case Op::Sinh: case Op::Cosh: case Op::Tanh:
    case Op::Sigmoid: case Op::Erf: case Op::Atan2: case Op::Cast: case Op::Where: case Op::StopGradient:
    case Op::Literal: case Op::Constant: case Op::Param: case Op::Iota: case Op::RandomBits:
    case Op::ReduceSum: case Op::ReduceProd: case Op::ReduceMax: case Op::ReduceMin:
    case Op::ArgMax: case Op::ArgMin: case Op::ReduceAny: case Op::ReduceAll:
    case Op::Reshape: case Op::Permute: case Op::Broadcast: case Op::Slice: case Op::Flip:
    case Op::Pad: case Op::Concat: case Op::Gather: case Op::ScatterAdd: case Op::Matmul: break;
  }
  KILN_CHECK(false) << "LLVM backend: " << op_name(op) << " is not an elementwise op on " << dtype_name(t);
  return nullptr;
}

}  // namespace kiln::llvm_backend::detail
