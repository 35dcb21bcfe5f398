// The operations of the lazy array API: creation, elementwise math, reductions, shape and
// movement ops, indexing, matmul, random numbers. All of them build graph nodes; none
// computes. Broadcasting and type promotion follow NumPy / the Array API (see promote.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "frontend/array.hpp"

namespace kiln {

// The dtype of results that must be floating point when the inputs are not (true division,
// sin of an integer array, mean of integers, random floats): f32, as in PyTorch and JAX.
inline constexpr DType kDefaultFloat = DType::F32;

// ---- Creation ------------------------------------------------------------------------
Array zeros(const Shape& shape, DType dtype = kDefaultFloat, KILN_HERE);
Array ones(const Shape& shape, DType dtype = kDefaultFloat, KILN_HERE);
Array full(const Shape& shape, double value, DType dtype = kDefaultFloat, KILN_HERE);
// A 0-d array holding `value`. Compiled code receives it at launch, so running the same
// program with another value does not compile again (C++ numbers in expressions behave so).
Array scalar(double value, DType dtype = kDefaultFloat, KILN_HERE);
// A 0-d array holding `value` baked into compiled code as a constant: a different value is
// a different kernel. For values that never change and that the compiler should see.
Array constant(double value, DType dtype = kDefaultFloat, KILN_HERE);
// start, start + step, ... up to (excluding) stop; as numpy.arange.
Array arange(double start, double stop, double step = 1.0, DType dtype = kDefaultFloat, KILN_HERE);
Array arange(int64_t stop, DType dtype = DType::I64, KILN_HERE);
// `num` evenly spaced values from start to stop (both included when num > 1).
Array linspace(double start, double stop, int64_t num, DType dtype = kDefaultFloat, KILN_HERE);
// n x m matrix with ones on the diagonal (m = n when negative).
Array eye(int64_t n, int64_t m = -1, DType dtype = kDefaultFloat, KILN_HERE);
// Copies host data (row-major) into a new array on the default device (device.hpp).
Array from_data(const void* data, DType dtype, const Shape& shape, KILN_HERE);
template <class T>
Array from_vector(const std::vector<T>& values, const Shape& shape, KILN_HERE) {
  if constexpr (std::is_same_v<T, bool>) {
    std::vector<uint8_t> bytes(values.begin(), values.end());
    return from_vector_checked(bytes.data(), values.size(), DType::Bool, shape, loc);
  } else {
    return from_vector_checked(values.data(), values.size(), dtype_of<T>(), shape, loc);
  }
}
// A 1-D array of the values.
template <class T>
Array from_vector(const std::vector<T>& values, KILN_HERE) {
  return from_vector(values, Shape{static_cast<int64_t>(values.size())}, loc);
}
// Wraps host memory without copying. The caller keeps `data` alive and unchanged until
// `release` runs (it is called once no array uses the memory; may be empty). When the default
// device is a GPU, the data is copied there instead and `release` runs before this returns.
Array from_pointer(void* data, DType dtype, const Shape& shape, std::function<void(void*)> release = {},
                   KILN_HERE);
Array from_vector_checked(const void* data, size_t count, DType dtype, const Shape& shape, SourceLocation loc);

// ---- Random numbers (counter-based: the same seed gives the same numbers everywhere) -----
// Raw 32-bit random words; `stream` selects an independent sequence for the same seed.
Array random_bits(const Shape& shape, uint64_t seed, uint64_t stream = 0, KILN_HERE);
// Uniform in [low, high).
Array random_uniform(const Shape& shape, uint64_t seed, DType dtype = kDefaultFloat, double low = 0.0,
                     double high = 1.0, KILN_HERE);
// Normal with the given mean and standard deviation (Box-Muller).
Array random_normal(const Shape& shape, uint64_t seed, DType dtype = kDefaultFloat, double mean = 0.0,
                    double stddev = 1.0, KILN_HERE);

// ---- Elementwise: unary ---------------------------------------------------------------
// Float-only functions (exp, sin, ...) convert integer and bool inputs to f32 first.
Array neg(const Array& x, KILN_HERE);
Array abs(const Array& x, KILN_HERE);
Array sign(const Array& x, KILN_HERE);
Array floor(const Array& x, KILN_HERE);
Array ceil(const Array& x, KILN_HERE);
Array round(const Array& x, KILN_HERE);  // half to even
Array trunc(const Array& x, KILN_HERE);
Array exp(const Array& x, KILN_HERE);
Array exp2(const Array& x, KILN_HERE);
Array expm1(const Array& x, KILN_HERE);
Array log(const Array& x, KILN_HERE);
Array log2(const Array& x, KILN_HERE);
Array log1p(const Array& x, KILN_HERE);
Array sqrt(const Array& x, KILN_HERE);
Array rsqrt(const Array& x, KILN_HERE);
Array reciprocal(const Array& x, KILN_HERE);
Array square(const Array& x, KILN_HERE);
Array sin(const Array& x, KILN_HERE);
Array cos(const Array& x, KILN_HERE);
Array tan(const Array& x, KILN_HERE);
Array asin(const Array& x, KILN_HERE);
Array acos(const Array& x, KILN_HERE);
Array atan(const Array& x, KILN_HERE);
Array sinh(const Array& x, KILN_HERE);
Array cosh(const Array& x, KILN_HERE);
Array tanh(const Array& x, KILN_HERE);
Array sigmoid(const Array& x, KILN_HERE);
Array erf(const Array& x, KILN_HERE);
Array isnan(const Array& x, KILN_HERE);
Array isinf(const Array& x, KILN_HERE);
Array isfinite(const Array& x, KILN_HERE);
Array logical_not(const Array& x, KILN_HERE);  // any dtype: x == 0
Array bitwise_not(const Array& x, KILN_HERE);  // integers and bool
Array cast(const Array& x, DType dtype, KILN_HERE);
// x's value unchanged, but a constant for grad/vjp/jvp: no gradient flows through it (its
// derivative is zero). A number becomes a 0-d array of its default dtype.
Array stop_gradient(const Operand& x, KILN_HERE);

// ---- Elementwise: binary and ternary (NumPy broadcasting and promotion) ------------------
Array add(const Operand& a, const Operand& b);
Array sub(const Operand& a, const Operand& b);
Array mul(const Operand& a, const Operand& b);
// True division: integer inputs give kDefaultFloat.
Array div(const Operand& a, const Operand& b);
Array floordiv(const Operand& a, const Operand& b);
Array mod(const Operand& a, const Operand& b);  // Python semantics: sign of the divisor
Array pow(const Operand& a, const Operand& b);
Array minimum(const Operand& a, const Operand& b);
Array maximum(const Operand& a, const Operand& b);
Array atan2(const Operand& a, const Operand& b);
Array equal(const Operand& a, const Operand& b);
Array not_equal(const Operand& a, const Operand& b);
Array less(const Operand& a, const Operand& b);
Array less_equal(const Operand& a, const Operand& b);
Array greater(const Operand& a, const Operand& b);
Array greater_equal(const Operand& a, const Operand& b);
Array logical_and(const Operand& a, const Operand& b);  // any dtypes, compared with 0
Array logical_or(const Operand& a, const Operand& b);
Array logical_xor(const Operand& a, const Operand& b);
Array bitwise_and(const Operand& a, const Operand& b);
Array bitwise_or(const Operand& a, const Operand& b);
Array bitwise_xor(const Operand& a, const Operand& b);
Array left_shift(const Operand& a, const Operand& b);
Array right_shift(const Operand& a, const Operand& b);
// cond ? a : b elementwise; cond is converted to bool (!= 0) when it is not.
Array where(const Operand& cond, const Operand& a, const Operand& b);
Array clamp(const Operand& x, const Operand& lo, const Operand& hi);
Array fma(const Operand& a, const Operand& b, const Operand& c);  // a * b + c

Array operator+(const Operand& a, const Operand& b);
Array operator-(const Operand& a, const Operand& b);
Array operator*(const Operand& a, const Operand& b);
Array operator/(const Operand& a, const Operand& b);
Array operator%(const Operand& a, const Operand& b);
Array operator==(const Operand& a, const Operand& b);
Array operator!=(const Operand& a, const Operand& b);
Array operator<(const Operand& a, const Operand& b);
Array operator<=(const Operand& a, const Operand& b);
Array operator>(const Operand& a, const Operand& b);
Array operator>=(const Operand& a, const Operand& b);
Array operator&(const Operand& a, const Operand& b);
Array operator|(const Operand& a, const Operand& b);
Array operator^(const Operand& a, const Operand& b);
Array operator<<(const Operand& a, const Operand& b);
Array operator>>(const Operand& a, const Operand& b);
Array operator-(const Operand& x);
Array operator~(const Operand& x);
Array operator!(const Operand& x);

// ---- Reductions (axes: all by default; negative axes count from the end) ---------------
// sum and prod of bool and integer arrays accumulate in i64 (as NumPy).
Array sum(const Array& x, const Axes& axes = {}, bool keepdims = false, KILN_HERE);
Array prod(const Array& x, const Axes& axes = {}, bool keepdims = false, KILN_HERE);
Array max(const Array& x, const Axes& axes = {}, bool keepdims = false, KILN_HERE);
Array min(const Array& x, const Axes& axes = {}, bool keepdims = false, KILN_HERE);
Array any(const Array& x, const Axes& axes = {}, bool keepdims = false, KILN_HERE);
Array all(const Array& x, const Axes& axes = {}, bool keepdims = false, KILN_HERE);
// Index (i64) of the first maximum / minimum: over the flattened array by default, else
// the flat row-major index within the given axes.
Array argmax(const Array& x, const Axes& axes = {}, bool keepdims = false, KILN_HERE);
Array argmin(const Array& x, const Axes& axes = {}, bool keepdims = false, KILN_HERE);
// Compositions: integer inputs give kDefaultFloat.
Array mean(const Array& x, const Axes& axes = {}, bool keepdims = false, KILN_HERE);
Array var(const Array& x, const Axes& axes = {}, bool keepdims = false, int64_t ddof = 0, KILN_HERE);
// Standard deviation (NumPy's std: named stddev because `std` would clash with namespace std).
Array stddev(const Array& x, const Axes& axes = {}, bool keepdims = false, int64_t ddof = 0, KILN_HERE);
Array logsumexp(const Array& x, const Axes& axes = {}, bool keepdims = false, KILN_HERE);
Array softmax(const Array& x, int axis = -1, KILN_HERE);
Array log_softmax(const Array& x, int axis = -1, KILN_HERE);

// ---- Shape and movement (views: no data is copied) --------------------------------------
// One dimension may be -1 (inferred).
Array reshape(const Array& x, const Shape& shape, KILN_HERE);
Array flatten(const Array& x, KILN_HERE);
// Result axis i is x's axis perm[i].
Array permute(const Array& x, const std::vector<int>& perm, KILN_HERE);
// Reverses the axes (a matrix transpose for 2-D).
Array transpose(const Array& x, KILN_HERE);
Array swapaxes(const Array& x, int a, int b, KILN_HERE);
Array broadcast_to(const Array& x, const Shape& shape, KILN_HERE);
Array expand_dims(const Array& x, int axis, KILN_HERE);
// Removes the given size-1 axes (all size-1 axes by default).
Array squeeze(const Array& x, const Axes& axes = {}, KILN_HERE);
// NumPy basic slicing: one Range per leading axis, the rest kept whole.
Array slice(const Array& x, const std::vector<Range>& ranges, KILN_HERE);
Array flip(const Array& x, const Axes& axes = {}, KILN_HERE);
// Constant padding: (before, after) per axis.
Array pad(const Array& x, const std::vector<std::pair<int64_t, int64_t>>& widths, double value = 0.0,
          KILN_HERE);
Array concat(const std::vector<Array>& xs, int axis = 0, KILN_HERE);
Array stack(const std::vector<Array>& xs, int axis = 0, KILN_HERE);

// ---- Indexing ------------------------------------------------------------------------
// take_along_axis: result[p] = x[p with coordinate `axis` replaced by index[p]]. index has
// x's rank and x's dims except along `axis`. Out-of-range indices: i < 0 means i + n, then
// clamped into [0, n-1].
Array gather(const Array& x, const Array& index, int axis, KILN_HERE);
// result = dst, then result[p with `axis` coordinate index[p]] += src[p] for every p.
// i < 0 means i + n; indices still out of range are dropped.
Array scatter_add(const Array& dst, const Array& index, const Array& src, int axis, KILN_HERE);

// ---- Linear algebra ------------------------------------------------------------------
// NumPy matmul: 1-D operands are promoted to a row / column and the axis removed again;
// batch dims broadcast.
Array matmul(const Array& a, const Array& b, KILN_HERE);

}  // namespace kiln
