// Element access by dtype, with the conversion rules of `cast`.
#include "compiler/ir/element.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace kiln {

// An i64 converts to long double exactly, so rounding it to a float dtype happens once.
static_assert(std::numeric_limits<long double>::digits >= 64, "kiln needs an extended long double");

namespace {

template <class T>
T read(const void* data, int64_t i) {
  T v;
  std::memcpy(&v, static_cast<const char*>(data) + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
  return v;
}

template <class T>
void write(void* data, int64_t i, T v) {
  std::memcpy(static_cast<char*>(data) + i * static_cast<int64_t>(sizeof(T)), &v, sizeof(T));
}

// Rounds finite x to `digits` significant bits, ties to even. Exponents below `min_exp` (the
// smallest normal exponent) keep the spacing of min_exp, which gives subnormals; a result
// above `max_finite` becomes infinite. Scaling by powers of two and taking the fractional
// part are exact, so the comparison with 0.5 sees the true remainder.
long double round_to_precision(long double x, int digits, int min_exp, long double max_finite) {
  if (std::isnan(x) || std::isinf(x) || x == 0) return x;
  long double a = std::fabs(x);
  int ulp_exp = std::max(std::ilogb(a), min_exp) - (digits - 1);
  long double scaled = std::ldexp(a, -ulp_exp);
  long double whole = std::floor(scaled);
  long double frac = scaled - whole;
  if (frac > 0.5L || (frac == 0.5L && std::fmod(whole, 2.0L) != 0)) whole += 1;
  long double r = std::ldexp(whole, ulp_exp);
  if (r > max_finite) r = std::numeric_limits<long double>::infinity();
  return std::copysign(r, x);
}

}  // namespace

double round_to_dtype(long double x, DType t) {
  switch (t) {
    case DType::F16: return static_cast<double>(round_to_precision(x, 11, -14, 65504.0L));
    case DType::BF16: return static_cast<double>(round_to_precision(x, 8, -126, std::ldexp(255.0L, 120)));
    case DType::F32: return static_cast<float>(x);
    case DType::F64:
    case DType::Bool:
    case DType::I32:
    case DType::I64:
    case DType::U32: return static_cast<double>(x);
  }
  return static_cast<double>(x);
}

int64_t wrap_int(int64_t v, DType t) {
  switch (t) {
    case DType::Bool: return v != 0;
    case DType::I32: return static_cast<int32_t>(static_cast<uint32_t>(v));
    case DType::U32: return static_cast<uint32_t>(v);
    case DType::I64: return v;
    case DType::F16:
    case DType::BF16:
    case DType::F32:
    case DType::F64: return v;
  }
  return v;
}

int64_t float_to_int_saturating(double v, DType t) {
  if (std::isnan(v)) return 0;
  if (t == DType::Bool) return v != 0.0;
  v = std::trunc(v);
  switch (t) {
    case DType::I32: return v <= -2147483648.0 ? INT32_MIN : v >= 2147483647.0 ? INT32_MAX : static_cast<int64_t>(v);
    case DType::U32: return v <= 0.0 ? 0 : v >= 4294967295.0 ? UINT32_MAX : static_cast<int64_t>(v);
    default:
      if (v <= -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
      if (v >= 9223372036854775807.0) return std::numeric_limits<int64_t>::max();
      return static_cast<int64_t>(v);
  }
}

double load_as_double(const void* data, DType t, int64_t i) {
  switch (t) {
    case DType::Bool: return read<uint8_t>(data, i) != 0;
    case DType::I32: return read<int32_t>(data, i);
    case DType::I64: return static_cast<double>(read<int64_t>(data, i));
    case DType::U32: return read<uint32_t>(data, i);
    case DType::F16: return f16_bits_to_f32(read<uint16_t>(data, i));
    case DType::BF16: return bf16_bits_to_f32(read<uint16_t>(data, i));
    case DType::F32: return read<float>(data, i);
    case DType::F64: return read<double>(data, i);
  }
  return 0;
}

int64_t load_as_int(const void* data, DType t, int64_t i) {
  switch (t) {
    case DType::Bool: return read<uint8_t>(data, i) != 0;
    case DType::I32: return read<int32_t>(data, i);
    case DType::I64: return read<int64_t>(data, i);
    case DType::U32: return read<uint32_t>(data, i);
    case DType::F16:
    case DType::BF16:
    case DType::F32:
    case DType::F64: return float_to_int_saturating(load_as_double(data, t, i), DType::I64);
  }
  return 0;
}

void store_double(void* data, DType t, int64_t i, double v) {
  switch (t) {
    case DType::Bool: write<uint8_t>(data, i, (v != 0.0 || std::isnan(v)) ? 1 : 0); return;
    case DType::I32: write<int32_t>(data, i, static_cast<int32_t>(float_to_int_saturating(v, t))); return;
    case DType::I64: write<int64_t>(data, i, float_to_int_saturating(v, t)); return;
    case DType::U32: write<uint32_t>(data, i, static_cast<uint32_t>(float_to_int_saturating(v, t))); return;
    // Round once to the 16-bit grid; the float conversion after it is exact.
    case DType::F16: write<uint16_t>(data, i, f32_to_f16_bits(static_cast<float>(round_to_dtype(v, t)))); return;
    case DType::BF16: write<uint16_t>(data, i, f32_to_bf16_bits(static_cast<float>(round_to_dtype(v, t)))); return;
    case DType::F32: write<float>(data, i, static_cast<float>(v)); return;
    case DType::F64: write<double>(data, i, v); return;
  }
}

void store_int(void* data, DType t, int64_t i, int64_t v) {
  switch (t) {
    case DType::Bool: write<uint8_t>(data, i, v != 0); return;
    case DType::I32: write<int32_t>(data, i, static_cast<int32_t>(wrap_int(v, t))); return;
    case DType::I64: write<int64_t>(data, i, v); return;
    case DType::U32: write<uint32_t>(data, i, static_cast<uint32_t>(v)); return;
    case DType::F16:
    case DType::BF16:
    case DType::F32:
    case DType::F64: store_double(data, t, i, round_to_dtype(static_cast<long double>(v), t)); return;
  }
}

}  // namespace kiln
