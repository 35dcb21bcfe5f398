// Private to compiler/llvm: scalar code for kernel IR values, one op at a time, with exactly
// the semantics of the reference interpreter (compiler/ir/interpret_elementwise.cpp).
//
// Register form of each dtype: bool i1; i32 and u32 i32; i64 i64; f32 float; f64 double;
// f16 and bf16 float holding a value already rounded to the 16-bit format. Memory form: bool
// i8 (0/1), f16 half, bf16 i16 (the top half of an f32), the others as in registers.
#pragma once

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <span>

#include "compiler/ir/node.hpp"

namespace kiln::llvm_backend::detail {

// The interpreter's NaN-propagating minimum/maximum that orders -0.0 below 0.0, on scalars or
// vectors of floats: a NaN operand is returned (the first if both are), on equal values the
// one with the right sign. Written with compares and selects rather than llvm.minimum/maximum,
// whose x86 lowering in LLVM 19 loses the NaN of f16 values narrowed by InstCombine
// (minimum(NaN, -0.0) gave -0.0).
llvm::Value* float_min_max(llvm::IRBuilder<>& b, bool max, llvm::Value* x, llvm::Value* y);

class ScalarEmitter {
 public:
  ScalarEmitter(llvm::IRBuilder<>& b, llvm::Module& m) : b_(b), m_(m) {}

  llvm::Type* reg_type(DType t) const;
  llvm::Type* mem_type(DType t) const;

  // Memory form <-> register form.
  llvm::Value* from_memory(llvm::Value* v, DType t);
  llvm::Value* to_memory(llvm::Value* v, DType t);
  // A scalar parameter's 64 launch bits (kernel.hpp) -> register form.
  llvm::Value* from_param_bits(llvm::Value* bits, DType t);
  // A constant; float values are rounded to t once, integers wrapped.
  llvm::Constant* constant(DType t, const Scalar& v);

  // Elementwise op `op` on `args` (register form). `t` is the operands' dtype (for where: of
  // the data operands), `result` the result dtype (it differs for cast and comparisons).
  llvm::Value* op(Op op, DType t, DType result, std::span<llvm::Value* const> args);
  llvm::Value* cast(llvm::Value* v, DType from, DType to);

  // Rounds a float (or double) holding an exact/unrounded value once to float dtype t and
  // returns its register form. A double is rounded to f32 with round-to-odd first, which
  // makes the two steps equal to one rounding for f16/bf16.
  llvm::Value* round_float(llvm::Value* v, DType t);

 private:
  llvm::Value* float_op(Op op, DType t, std::span<llvm::Value* const> x);
  llvm::Value* int_op(Op op, DType t, std::span<llvm::Value* const> x);
  llvm::Value* int_div(Op op, DType t, llvm::Value* a, llvm::Value* b);
  llvm::Value* int_pow(DType t, llvm::Value* x, llvm::Value* n);
  llvm::Value* python_divmod(Op op, llvm::Value* a, llvm::Value* b);
  llvm::Value* int_to_float(llvm::Value* v, DType from, DType to);
  llvm::Value* round_to_bf16(llvm::Value* f);
  llvm::Value* round_to_odd_f32(llvm::Value* d);
  llvm::Value* intrinsic(llvm::Intrinsic::ID id, std::span<llvm::Value* const> args);
  llvm::Value* libm(const char* name, std::span<llvm::Value* const> args);

  llvm::IRBuilder<>& b_;
  llvm::Module& m_;
};

}  // namespace kiln::llvm_backend::detail
