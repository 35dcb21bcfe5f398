// Array creation: constants, ranges, host data, random numbers.
//
// Constants are a 0-d literal broadcast to the shape (a view, nothing is written until a
// consumer needs it). Host data becomes a param node that holds its buffer. Random numbers
// come from the counter-based random_bits op (Philox), so the same seed gives the same
// numbers on every backend; uniform and normal floats are compositions on those bits.
#include <cmath>
#include <cstring>
#include <numbers>

#include "frontend/build.hpp"
#include "frontend/device.hpp"

namespace kiln {
using namespace frontend;

namespace {

TensorType checked_type(DType dtype, const Shape& shape, std::string_view what, SourceLocation loc) {
  try {
    checked_numel(shape, std::string(what).c_str());
  } catch (const ValueError& e) {
    fail<ValueError>(loc, what, "{}", e.what());
  }
  return {dtype, shape};
}

Array iota(DType dtype, const Shape& shape, int64_t axis, SourceLocation loc) {
  TensorType t = checked_type(dtype, shape, "iota", loc);
  Attrs a;
  a.axis = axis;
  return apply(Op::Iota, {}, loc, std::move(a), &t);
}

Array number(double v, DType t, SourceLocation loc) { return literal(Scalar::of_float(v), t, loc); }

// Uniform floats in [0, 1) of dtype t from the random words of `stream`.
Array unit_uniform(const Shape& shape, uint64_t seed, uint64_t stream, DType t, SourceLocation loc) {
  Array bits = random_bits(shape, seed, stream, loc);
  if (t == DType::F64) {
    // 53 random bits from two words: (hi >> 5) * 2^26 + (lo >> 6), scaled by 2^-53.
    Array lo = random_bits(shape, seed, stream + 1, loc);
    Array hi = cast(right_shift(Operand(bits, loc), Operand(5, loc)), DType::F64, loc);
    Array low = cast(right_shift(Operand(lo, loc), Operand(6, loc)), DType::F64, loc);
    Array v = add(Operand(mul(Operand(hi, loc), Operand(67108864.0, loc)), loc), Operand(low, loc));
    return mul(Operand(v, loc), Operand(std::ldexp(1.0, -53), loc));
  }
  // As many bits as the dtype's significand holds, so that the value is exact and < 1.
  int bits_kept = t == DType::F16 ? 11 : t == DType::BF16 ? 8 : 24;
  Array k = cast(right_shift(Operand(bits, loc), Operand(32 - bits_kept, loc)), DType::F32, loc);
  return mul(Operand(k, loc), Operand(std::ldexp(1.0f, -bits_kept), loc));
}

void require_float(DType t, std::string_view what, SourceLocation loc) {
  if (!is_float(t)) fail<DTypeError>(loc, what, "needs a floating-point dtype, got {}", dtype_name(t));
}

}  // namespace

Array scalar(double value, DType dtype, SourceLocation loc) { return number(value, dtype, loc); }

Array constant(double value, DType dtype, SourceLocation loc) {
  Attrs a;
  a.value = scalar_to_dtype(Scalar::of_float(value), dtype);
  TensorType type{dtype, {}};
  return apply(Op::Constant, {}, loc, std::move(a), &type);
}

Array full(const Shape& shape, double value, DType dtype, SourceLocation loc) {
  checked_type(dtype, shape, "full", loc);
  return broadcast_array(number(value, dtype, loc), shape, "full", loc);
}

Array zeros(const Shape& shape, DType dtype, SourceLocation loc) { return full(shape, 0.0, dtype, loc); }
Array ones(const Shape& shape, DType dtype, SourceLocation loc) { return full(shape, 1.0, dtype, loc); }

Array arange(double start, double stop, double step, DType dtype, SourceLocation loc) {
  if (step == 0.0 || !std::isfinite(step) || !std::isfinite(start) || !std::isfinite(stop))
    fail<ValueError>(loc, "arange", "needs finite start, stop and a non-zero step, got {}, {}, {}", start, stop, step);
  if (dtype == DType::Bool) fail<DTypeError>(loc, "arange", "cannot make a range of bool");
  double count = std::ceil((stop - start) / step);
  if (count > static_cast<double>(kMaxElements)) fail<ValueError>(loc, "arange", "{} elements is too many", count);
  int64_t n = count > 0 ? static_cast<int64_t>(count) : 0;
  bool integral = start == std::trunc(start) && step == std::trunc(step);
  if (start == 0.0 && step == 1.0) return iota(dtype, Shape{n}, 0, loc);
  // Integer ranges compute in the integer dtype; others in f64, rounded once at the end.
  DType t = is_integer(dtype) && integral ? dtype : DType::F64;
  Array i = iota(t, Shape{n}, 0, loc);
  Array v = add(Operand(mul(Operand(i, loc), Operand(number(step, t, loc), loc)), loc), Operand(number(start, t, loc), loc));
  return cast(v, dtype, loc);
}

Array arange(int64_t stop, DType dtype, SourceLocation loc) {
  return arange(0.0, static_cast<double>(stop), 1.0, dtype, loc);
}

Array linspace(double start, double stop, int64_t num, DType dtype, SourceLocation loc) {
  if (num < 0) fail<ValueError>(loc, "linspace", "num must be >= 0, got {}", num);
  if (num <= 1) return full(Shape{num}, start, dtype, loc);
  double delta = (stop - start) / static_cast<double>(num - 1);
  Array i = iota(DType::F64, Shape{num}, 0, loc);
  Array v = add(Operand(mul(Operand(i, loc), Operand(delta, loc)), loc), Operand(start, loc));
  // The last element is exactly `stop`.
  Array last = equal(Operand(i, loc), Operand(static_cast<double>(num - 1), loc));
  return cast(where(Operand(last, loc), Operand(stop, loc), Operand(v, loc)), dtype, loc);
}

Array eye(int64_t n, int64_t m, DType dtype, SourceLocation loc) {
  if (m < 0) m = n;
  if (n < 0) fail<ValueError>(loc, "eye", "n must be >= 0, got {}", n);
  Array rows = iota(DType::I64, Shape{n, m}, 0, loc);
  Array cols = iota(DType::I64, Shape{n, m}, 1, loc);
  return cast(equal(Operand(rows, loc), Operand(cols, loc)), dtype, loc);
}

Array from_data(const void* data, DType dtype, const Shape& shape, SourceLocation loc) {
  TensorType t = checked_type(dtype, shape, "from_data", loc);
  size_t bytes = static_cast<size_t>(numel(shape)) * dtype_size(dtype);
  if (bytes > 0 && !data) fail<ValueError>(loc, "from_data", "null data pointer for {}", type_str(t));
  const Device device = default_device();
  if (device.is_cuda()) return Array(make_param(std::move(t), "", cuda_upload(device.index, data, bytes), to_loc(loc)));
  BufferPtr buf = Buffer::allocate(bytes);
  if (bytes) std::memcpy(buf->data(), data, bytes);
  return Array(make_param(std::move(t), "", std::move(buf), to_loc(loc)));
}

Array from_vector_checked(const void* data, size_t count, DType dtype, const Shape& shape, SourceLocation loc) {
  TensorType t = checked_type(dtype, shape, "from_vector", loc);
  if (static_cast<size_t>(numel(shape)) != count)
    fail<ShapeError>(loc, "from_vector", "{} values do not fill shape {} ({} elements)", count, shape_str(shape),
                     numel(shape));
  return from_data(data, dtype, shape, loc);
}

Array from_pointer(void* data, DType dtype, const Shape& shape, std::function<void(void*)> release, SourceLocation loc) {
  TensorType t = checked_type(dtype, shape, "from_pointer", loc);
  size_t bytes = static_cast<size_t>(numel(shape)) * dtype_size(dtype);
  if (bytes > 0 && !data) fail<ValueError>(loc, "from_pointer", "null data pointer for {}", type_str(t));
  BufferPtr buf = Buffer::wrap(data, bytes, std::move(release));
  // On a GPU default device the data is copied there; the wrapper (and so `release`) goes
  // once the copy is done.
  const Device device = default_device();
  if (device.is_cuda()) buf = cuda_upload(device.index, data, bytes);
  return Array(make_param(std::move(t), "", std::move(buf), to_loc(loc)));
}

Array random_bits(const Shape& shape, uint64_t seed, uint64_t stream, SourceLocation loc) {
  TensorType t = checked_type(DType::U32, shape, "random_bits", loc);
  Attrs a;
  a.seed = seed;
  a.stream = stream;
  return apply(Op::RandomBits, {}, loc, std::move(a), &t);
}

Array random_uniform(const Shape& shape, uint64_t seed, DType dtype, double low, double high, SourceLocation loc) {
  require_float(dtype, "random_uniform", loc);
  DType t = dtype == DType::F64 ? DType::F64 : DType::F32;
  Array u = unit_uniform(shape, seed, 0, dtype, loc);
  if (low == 0.0 && high == 1.0) return cast(u, dtype, loc);
  Array v = add(Operand(mul(Operand(u, loc), Operand(number(high - low, t, loc), loc)), loc),
                Operand(number(low, t, loc), loc));
  return cast(v, dtype, loc);
}

Array random_normal(const Shape& shape, uint64_t seed, DType dtype, double mean, double stddev, SourceLocation loc) {
  require_float(dtype, "random_normal", loc);
  DType t = dtype == DType::F64 ? DType::F64 : DType::F32;
  // Box-Muller on u1 in (0, 1] and u2 in [0, 1), from streams 2.. so they differ from uniform's.
  Array u1 = sub(Operand(1.0, loc), Operand(unit_uniform(shape, seed, 2, t, loc), loc));
  Array u2 = unit_uniform(shape, seed, 4, t, loc);
  Array r = sqrt(mul(Operand(-2.0, loc), Operand(log(u1, loc), loc)), loc);
  Array z = mul(Operand(r, loc), Operand(cos(mul(Operand(2.0 * std::numbers::pi, loc), Operand(u2, loc)), loc), loc));
  if (mean != 0.0 || stddev != 1.0)
    z = add(Operand(mul(Operand(z, loc), Operand(number(stddev, t, loc), loc)), loc), Operand(number(mean, t, loc), loc));
  return cast(z, dtype, loc);
}

}  // namespace kiln
