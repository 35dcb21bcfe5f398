// Scalar code for kernel IR values: loads/stores, parameters, constants, casts and every
// elementwise op, matching the reference interpreter bit for bit where it can.
//
// The interpreter computes float ops in f64 and rounds once. Here f64 ops compute in f64 and
// f32/f16/bf16 ops in f32, which gives the same correctly rounded result for + - * / sqrt
// (f64 -> f32 double rounding is innocuous for them, and so is f32 -> f16/bf16). The few
// float ops whose f32 evaluation would differ (rsqrt, fma, floordiv/mod, sigmoid) compute in
// f64 for every float dtype. Transcendentals call the f32 or f64 libm/libmvec function and are
// accurate to a few ulp, not correctly rounded. Integer ops guard every case that LLVM leaves
// undefined (division by 0, INT_MIN / -1, shifts >= width) with selects.
#include "compiler/llvm/scalar.hpp"

#include <llvm/IR/Intrinsics.h>

#include "compiler/ir/element.hpp"

namespace kiln::llvm_backend::detail {

using llvm::Value;

llvm::Type* ScalarEmitter::reg_type(DType t) const {
  llvm::LLVMContext& c = m_.getContext();
  switch (t) {
    case DType::Bool: return llvm::Type::getInt1Ty(c);
    case DType::I32:
    case DType::U32: return llvm::Type::getInt32Ty(c);
    case DType::I64: return llvm::Type::getInt64Ty(c);
    case DType::F16:
    case DType::BF16:
    case DType::F32: return llvm::Type::getFloatTy(c);
    case DType::F64: return llvm::Type::getDoubleTy(c);
  }
  return nullptr;
}

llvm::Type* ScalarEmitter::mem_type(DType t) const {
  llvm::LLVMContext& c = m_.getContext();
  switch (t) {
    case DType::Bool: return llvm::Type::getInt8Ty(c);
    case DType::F16: return llvm::Type::getHalfTy(c);
    case DType::BF16: return llvm::Type::getInt16Ty(c);
    case DType::I32:
    case DType::U32:
    case DType::I64:
    case DType::F32:
    case DType::F64: return reg_type(t);
  }
  return nullptr;
}

Value* ScalarEmitter::from_memory(Value* v, DType t) {
  switch (t) {
    case DType::Bool: return b_.CreateICmpNE(v, b_.getInt8(0));
    case DType::F16: return b_.CreateFPExt(v, b_.getFloatTy());
    case DType::BF16: return b_.CreateBitCast(b_.CreateShl(b_.CreateZExt(v, b_.getInt32Ty()), 16), b_.getFloatTy());
    case DType::I32:
    case DType::U32:
    case DType::I64:
    case DType::F32:
    case DType::F64: return v;
  }
  return v;
}

Value* ScalarEmitter::to_memory(Value* v, DType t) {
  switch (t) {
    case DType::Bool: return b_.CreateZExt(v, b_.getInt8Ty());
    case DType::F16: return b_.CreateFPTrunc(v, b_.getHalfTy());  // exact: v is on the f16 grid
    case DType::BF16: return b_.CreateTrunc(b_.CreateLShr(b_.CreateBitCast(v, b_.getInt32Ty()), 16), b_.getInt16Ty());
    case DType::I32:
    case DType::U32:
    case DType::I64:
    case DType::F32:
    case DType::F64: return v;
  }
  return v;
}

Value* ScalarEmitter::from_param_bits(Value* bits, DType t) {
  switch (t) {
    case DType::Bool: return b_.CreateICmpNE(bits, b_.getInt64(0));
    case DType::I32:
    case DType::U32: return b_.CreateTrunc(bits, b_.getInt32Ty());
    case DType::I64: return bits;
    case DType::F32: return b_.CreateBitCast(b_.CreateTrunc(bits, b_.getInt32Ty()), b_.getFloatTy());
    case DType::F64: return b_.CreateBitCast(bits, b_.getDoubleTy());
    case DType::F16: return from_memory(b_.CreateBitCast(b_.CreateTrunc(bits, b_.getInt16Ty()), b_.getHalfTy()), t);
    case DType::BF16: return from_memory(b_.CreateTrunc(bits, b_.getInt16Ty()), t);
  }
  return bits;
}

llvm::Constant* ScalarEmitter::constant(DType t, const Scalar& v) {
  if (is_float(t)) {
    double d = v.is_float ? v.f : static_cast<double>(v.i);
    if (t == DType::F64) return llvm::ConstantFP::get(b_.getDoubleTy(), d);
    double rounded = t == DType::F32 ? static_cast<double>(static_cast<float>(d)) : round_to_dtype(d, t);
    return llvm::ConstantFP::get(b_.getFloatTy(), static_cast<float>(rounded));
  }
  int64_t i = v.is_float ? float_to_int_saturating(v.f, t) : v.i;
  if (t == DType::Bool) return b_.getInt1(i != 0);
  if (t == DType::I64) return b_.getInt64(static_cast<uint64_t>(i));
  return b_.getInt32(static_cast<uint32_t>(static_cast<uint64_t>(i)));
}

Value* ScalarEmitter::intrinsic(llvm::Intrinsic::ID id, std::span<Value* const> args) {
  return b_.CreateIntrinsic(id, {args[0]->getType()}, llvm::ArrayRef<Value*>(args.data(), args.size()));
}

// A libm function, declared without side effects (kiln never reads errno) so that the loop
// vectoriser may replace it with its libmvec variant.
Value* ScalarEmitter::libm(const char* name, std::span<Value* const> args) {
  llvm::Type* t = args[0]->getType();
  std::string fname = std::string(name) + (t->isFloatTy() ? "f" : "");
  std::vector<llvm::Type*> params(args.size(), t);
  llvm::FunctionCallee callee = m_.getOrInsertFunction(fname, llvm::FunctionType::get(t, params, false));
  auto* f = llvm::cast<llvm::Function>(callee.getCallee());
  f->setDoesNotAccessMemory();
  f->setDoesNotThrow();
  f->setWillReturn();
  auto* call = b_.CreateCall(callee, llvm::ArrayRef<Value*>(args.data(), args.size()));
  call->setDoesNotAccessMemory();
  return call;
}

Value* ScalarEmitter::round_to_bf16(Value* f) {
  // Round to nearest even on the bit pattern; a NaN is quieted instead (as f32_to_bf16_bits).
  Value* bits = b_.CreateBitCast(f, b_.getInt32Ty());
  Value* odd = b_.CreateAnd(b_.CreateLShr(bits, 16), 1);
  Value* rounded = b_.CreateAnd(b_.CreateAdd(bits, b_.CreateAdd(odd, b_.getInt32(0x7fff))), 0xffff0000u);
  Value* nan = b_.CreateAnd(b_.CreateOr(bits, 0x400000u), 0xffff0000u);
  return b_.CreateBitCast(b_.CreateSelect(b_.CreateFCmpUNO(f, f), nan, rounded), b_.getFloatTy());
}

Value* ScalarEmitter::round_to_odd_f32(Value* d) {
  // Round to nearest, then, if inexact and the result's last bit is even, step one ulp toward
  // d: that is the round-to-odd f32 of d (overflow gives ±FLT_MAX, underflow ±min subnormal).
  Value* f = b_.CreateFPTrunc(d, b_.getFloatTy());
  Value* back = b_.CreateFPExt(f, b_.getDoubleTy());
  Value* inexact = b_.CreateFCmpONE(back, d);
  Value* bits = b_.CreateBitCast(f, b_.getInt32Ty());
  Value* even = b_.CreateICmpEQ(b_.CreateAnd(bits, 1), b_.getInt32(0));
  Value* fabs_back = b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, back);
  Value* fabs_d = b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, d);
  Value* step = b_.CreateSelect(b_.CreateFCmpOLT(fabs_back, fabs_d), b_.getInt32(1), b_.getInt32(-1));
  Value* odd = b_.CreateSelect(b_.CreateAnd(inexact, even), b_.CreateAdd(bits, step), bits);
  return b_.CreateBitCast(odd, b_.getFloatTy());
}

Value* ScalarEmitter::round_float(Value* v, DType t) {
  if (v->getType()->isDoubleTy()) {
    if (t == DType::F64) return v;
    if (t == DType::F32) return b_.CreateFPTrunc(v, b_.getFloatTy());
    return round_float(round_to_odd_f32(v), t);
  }
  switch (t) {
    case DType::F64: return b_.CreateFPExt(v, b_.getDoubleTy());
    case DType::F16: return b_.CreateFPExt(b_.CreateFPTrunc(v, b_.getHalfTy()), b_.getFloatTy());
    case DType::BF16: return round_to_bf16(v);
    case DType::F32:
    case DType::Bool:
    case DType::I32:
    case DType::I64:
    case DType::U32: return v;
  }
  return v;
}

Value* ScalarEmitter::int_to_float(Value* v, DType from, DType to) {
  const bool sgn = is_signed(from);
  if (to == DType::F64) return sgn ? b_.CreateSIToFP(v, b_.getDoubleTy()) : b_.CreateUIToFP(v, b_.getDoubleTy());
  Value* f = sgn ? b_.CreateSIToFP(v, b_.getFloatTy()) : b_.CreateUIToFP(v, b_.getFloatTy());
  // An integer converts to f32 with one rounding. For f16 that rounding is harmless: every
  // integer below f16's overflow threshold (65520) is exact in f32, every larger one stays
  // >= 65520 and becomes inf. bf16 needs care (integers above 2^24): see below.
  if (to != DType::BF16 || from == DType::Bool) return round_float(f, to);
  // bf16: keep the top 24 significant bits of |v| plus a sticky bit for the rest, so that the
  // f32 value rounds to bf16 exactly as v itself would (one rounding, not two).
  Value* wide = sgn ? b_.CreateSExt(v, b_.getInt64Ty()) : b_.CreateZExt(v, b_.getInt64Ty());
  Value* neg = b_.CreateICmpSLT(wide, b_.getInt64(0));
  Value* mag = b_.CreateSelect(neg, b_.CreateSub(b_.getInt64(0), wide), wide);  // INT64_MIN: 2^63 unsigned
  Value* lz = b_.CreateBinaryIntrinsic(llvm::Intrinsic::ctlz, mag, b_.getFalse());
  Value* excess = b_.CreateSub(b_.getInt64(64 - 24), lz);  // significant bits beyond 24
  Value* shift = b_.CreateSelect(b_.CreateICmpSGT(excess, b_.getInt64(0)), excess, b_.getInt64(0));
  Value* low = b_.CreateAnd(mag, b_.CreateSub(b_.CreateShl(b_.getInt64(1), shift), b_.getInt64(1)));
  Value* kept = b_.CreateOr(b_.CreateLShr(mag, shift), b_.CreateZExt(b_.CreateICmpNE(low, b_.getInt64(0)), b_.getInt64Ty()));
  Value* scale = b_.CreateBitCast(b_.CreateShl(b_.CreateTrunc(b_.CreateAdd(shift, b_.getInt64(127)), b_.getInt32Ty()), 23),
                                  b_.getFloatTy());  // 2^shift
  Value* exact = b_.CreateFMul(b_.CreateUIToFP(kept, b_.getFloatTy()), scale);
  return round_to_bf16(b_.CreateSelect(neg, b_.CreateFNeg(exact), exact));
}

Value* ScalarEmitter::cast(Value* v, DType from, DType to) {
  if (from == to) return v;
  if (is_float(from)) {
    if (is_float(to)) return round_float(v, to);  // f16/bf16/f32 -> f32 and f64 -> f64 are exact
    if (to == DType::Bool) return b_.CreateFCmpUNE(v, llvm::ConstantFP::get(v->getType(), 0.0));  // NaN -> true
    // Truncate toward zero, saturate, NaN -> 0: exactly LLVM's fpto[su]i.sat.
    auto id = to == DType::U32 ? llvm::Intrinsic::fptoui_sat : llvm::Intrinsic::fptosi_sat;
    return b_.CreateIntrinsic(id, {reg_type(to), v->getType()}, {v});
  }
  if (is_float(to)) return int_to_float(v, from, to);
  if (to == DType::Bool) return b_.CreateICmpNE(v, llvm::ConstantInt::get(v->getType(), 0));
  llvm::Type* rt = reg_type(to);
  unsigned wf = v->getType()->getIntegerBitWidth(), wt = rt->getIntegerBitWidth();
  if (wt > wf) return is_signed(from) ? b_.CreateSExt(v, rt) : b_.CreateZExt(v, rt);
  if (wt < wf) return b_.CreateTrunc(v, rt);
  return v;  // i32 <-> u32: the same bits
}

Value* ScalarEmitter::op(Op op, DType t, DType result, std::span<Value* const> args) {
  if (op == Op::Cast) return cast(args[0], t, result);
  if (op == Op::Where) return b_.CreateSelect(args[0], args[1], args[2]);
  if (op == Op::StopGradient) return args[0];  // the value unchanged
  return is_float(t) ? float_op(op, t, args) : int_op(op, t, args);
}

}  // namespace kiln::llvm_backend::detail
