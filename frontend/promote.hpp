// Type promotion for the user API, after NumPy 2 / the Array API with JAX's weak scalars.
//
// Between arrays (strong types): bool < integers < floats. Two signed or two unsigned
// integers give the wider; u32 with i32 or i64 gives i64. An integer with a float gives the
// float. f16 with bf16 gives f32; other floats give the wider.
// A C++ number (weak) takes the array's dtype when its kind fits: an int with any integer or
// float array, a float with any float array, a bool with anything. A float number with an
// integer or bool array gives f32; an int number with a bool array gives i32.
#pragma once

#include "frontend/array.hpp"

namespace kiln {

DType promote_types(DType a, DType b);

// The dtype of an operation on these operands: the arrays' dtypes promoted together, then
// each number applied as a weak scalar.
DType result_dtype(std::initializer_list<const Operand*> operands);
inline DType result_dtype(const Operand& a, const Operand& b) { return result_dtype({&a, &b}); }

}  // namespace kiln
