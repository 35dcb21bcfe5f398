// Private to compiler/cuda: the pieces of CUDA C that kernel structure (codegen.cpp) and
// scalar values (codegen_ops.cpp) share. Every function returns a C expression.
//
// Register form of each dtype: bool `bool`; i32 `int`; i64 `long long`; u32 `unsigned int`;
// f32, f16 and bf16 `float` (f16/bf16 hold a value already rounded to their format); f64
// `double`. Memory form: bool `unsigned char` (0/1), f16 and bf16 `unsigned short` (bit
// patterns), the others as in registers.
#pragma once

#include <string>
#include <vector>

#include "compiler/ir/node.hpp"

namespace kiln::cuda::detail {

const char* reg_type(DType t);
const char* mem_type(DType t);

std::string from_memory(const std::string& e, DType t);
std::string to_memory(const std::string& e, DType t);
// A parameter's 64 launch bits (an unsigned long long expression) in register form.
std::string from_param_bits(const std::string& bits, DType t);
// A constant of dtype t, bit-exact: floats as __int_as_float / __longlong_as_double of their
// bits (NaN and inf by construction), rounded once to t; integers wrapped to t.
std::string constant(DType t, const Scalar& v);
// A float's bits as an f32 / f64 constant expression.
std::string f32_bits(float f);
std::string f64_bits(double d);
// The largest and smallest value of a dtype in register form (reduction identities).
std::string max_value(DType t);
std::string min_value(DType t);

// Elementwise op `op` on `args` (register form). `t` is the operands' dtype (for where: of
// the data operands), `result` the result dtype.
std::string op_expr(Op op, DType t, DType result, const std::vector<std::string>& args);
std::string cast_expr(const std::string& e, DType from, DType to);
// A double (or, with `from_double` false, a float) value rounded once to float dtype t.
std::string round_float(const std::string& e, bool from_double, DType t);

}  // namespace kiln::cuda::detail
