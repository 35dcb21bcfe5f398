// Reading and writing single elements of a host buffer, whatever its dtype. Slow and
// obvious: for the interpreter, printing and tests, never for a fast path.
#pragma once

#include <cstdint>

#include "compiler/ir/dtype.hpp"

namespace kiln {

// Element i as a double (ints and bool converted; f16/bf16 widened exactly).
double load_as_double(const void* data, DType t, int64_t i);
// Element i as an int64 (u32 zero-extended, bool 0/1). Float dtypes: the `cast` rule.
int64_t load_as_int(const void* data, DType t, int64_t i);
// Stores v into element i with the `cast` rules of op.hpp (round to the float dtype; for
// integer dtypes truncate, saturate, NaN -> 0; bool is v != 0).
void store_double(void* data, DType t, int64_t i, double v);
// Stores v into element i: integers wrap to the dtype's width, bool is v != 0, floats round.
void store_int(void* data, DType t, int64_t i, int64_t v);

// The `cast` rule for float -> integer dtype t (truncate, saturate, NaN -> 0), result wrapped
// into int64 (u32 values are non-negative).
int64_t float_to_int_saturating(double v, DType t);
// Wraps v to the width of integer dtype t (i32 sign-extends, u32 zero-extends; bool: v != 0).
int64_t wrap_int(int64_t v, DType t);

// Rounds x once (to nearest, ties to even) to a value of float dtype t and returns that value
// as a double: ±inf past the dtype's largest finite value, NaN stays NaN, subnormals kept.
// Rounding through an intermediate type (long double -> double -> f16, or i64 -> double ->
// f32) can differ from this in the last bit, so every conversion to a float dtype goes here.
double round_to_dtype(long double x, DType t);

}  // namespace kiln
