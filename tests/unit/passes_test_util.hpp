// Helpers of the pass tests: parameters filled with values that break careless rewrites
// (NaN with and without payloads, signalling NaN, ±inf, ±0.0, subnormals, the largest
// values, integer extremes, 0 and -1 for division), evaluation of a node by the reference
// interpreter, and bitwise comparison of two results.
#pragma once

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "compiler/ir/element.hpp"
#include "compiler/ir/function.hpp"
#include "compiler/ir/interpreter.hpp"

namespace kiln::passtest {

inline std::vector<DType> all_dtypes() {
  std::vector<DType> ts;
  for (int k = 0; k < kNumDTypes; ++k) ts.push_back(static_cast<DType>(k));
  return ts;
}

// Bit patterns of special values, per float dtype: qNaN, -qNaN, a NaN with a payload, a
// signalling NaN, ±inf, ±0.0, the smallest subnormal, a negative subnormal, the largest
// finite value and its negation, 1, -1.
inline std::vector<uint64_t> special_float_bits(DType t) {
  switch (t) {
    case DType::F16:
      return {0x7e00, 0xfe00, 0x7e01, 0x7c01, 0x7c00, 0xfc00, 0x0000,
              0x8000, 0x0001, 0x83ff, 0x7bff, 0xfbff, 0x3c00, 0xbc00};
    case DType::BF16:
      return {0x7fc0, 0xffc0, 0x7fc1, 0x7f81, 0x7f80, 0xff80, 0x0000,
              0x8000, 0x0001, 0x807f, 0x7f7f, 0xff7f, 0x3f80, 0xbf80};
    case DType::F32:
      return {0x7fc00000, 0xffc00000, 0x7fc00001, 0x7f800001, 0x7f800000, 0xff800000, 0x00000000,
              0x80000000, 0x00000001, 0x807fffff, 0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000};
    case DType::F64:
      return {0x7ff8000000000000,
              0xfff8000000000000,
              0x7ff8000000000001,
              0x7ff0000000000001,
              0x7ff0000000000000,
              0xfff0000000000000,
              0,
              0x8000000000000000,
              1,
              0x800fffffffffffff,
              0x7fefffffffffffff,
              0xffefffffffffffff,
              0x3ff0000000000000,
              0xbff0000000000000};
    case DType::Bool:
    case DType::I32:
    case DType::I64:
    case DType::U32: break;
  }
  FAIL("special_float_bits of " << dtype_name(t));
  return {};
}

// Integer values that matter: 0, ±1, 2, the extremes, shift amounts at and past the width.
inline std::vector<int64_t> special_ints(DType t) {
  switch (t) {
    case DType::Bool: return {0, 1};
    case DType::I32: return {0, 1, -1, 2, 31, 32, INT32_MIN, INT32_MAX, -7};
    case DType::I64: return {0, 1, -1, 2, 63, 64, INT64_MIN, INT64_MAX, -7};
    case DType::U32: return {0, 1, 2, 31, 32, UINT32_MAX, 7};
    case DType::F16:
    case DType::BF16:
    case DType::F32:
    case DType::F64: break;
  }
  FAIL("special_ints of " << dtype_name(t));
  return {};
}

// Stores element i of a buffer of dtype t: half the time a special value, else a random one
// (floats spread over many binades, integers over the whole range or small).
inline void store_interesting(void* data, DType t, int64_t i, std::mt19937_64& rng) {
  bool special = rng() % 2 == 0;
  if (is_float(t)) {
    if (special) {
      std::vector<uint64_t> bits = special_float_bits(t);
      uint64_t b = bits[rng() % bits.size()];
      std::memcpy(static_cast<char*>(data) + i * dtype_size(t), &b, static_cast<size_t>(dtype_size(t)));
      return;
    }
    std::uniform_real_distribution<double> mant(-4.0, 4.0);
    std::uniform_int_distribution<int> expo(-30, 30);
    store_double(data, t, i, std::ldexp(mant(rng), expo(rng)));
    return;
  }
  if (special) {
    std::vector<int64_t> v = special_ints(t);
    store_int(data, t, i, v[rng() % v.size()]);
    return;
  }
  store_int(data, t, i, rng() % 3 == 0 ? static_cast<int64_t>(rng() % 9) - 4 : static_cast<int64_t>(rng()));
}

// A parameter of type t holding interesting values.
inline NodeRef interesting_param(const TensorType& t, std::mt19937_64& rng, const std::string& name = "x") {
  int64_t n = numel(t.shape);
  BufferPtr b = Buffer::allocate(static_cast<size_t>(std::max<int64_t>(n, 1) * dtype_size(t.dtype)));
  for (int64_t i = 0; i < n; ++i) store_interesting(b->data(), t.dtype, i, rng);
  return make_param(t, name, b);
}

inline Attrs axes_attr(std::vector<int64_t> axes) {
  Attrs a;
  a.axes = std::move(axes);
  return a;
}
inline Attrs value_attr(Scalar v) {
  Attrs a;
  a.value = v;
  return a;
}

// Node n's value by the reference interpreter (from its parameters' values).
inline BufferPtr value_of(const NodeRef& n) { return interpret(function_of({n}))[0]; }

// Whether element i of a and b (dtype t) are both NaN.
inline bool both_nan(const void* a, const void* b, DType t, int64_t i) {
  return is_float(t) && std::isnan(load_as_double(a, t, i)) && std::isnan(load_as_double(b, t, i));
}

// "" when `got` equals `want` (n elements of dtype t) bit for bit, where NaN may stand for
// any NaN when `any_nan` is set; else the first difference.
inline std::string difference(const Buffer& got, const Buffer& want, DType t, int64_t n, bool any_nan) {
  const int64_t size = dtype_size(t);
  for (int64_t i = 0; i < n; ++i) {
    const char *g = static_cast<const char*>(got.data()) + i * size,
               *w = static_cast<const char*>(want.data()) + i * size;
    if (std::memcmp(g, w, static_cast<size_t>(size)) == 0) continue;
    if (any_nan && both_nan(got.data(), want.data(), t, i)) continue;
    uint64_t gb = 0, wb = 0;
    std::memcpy(&gb, g, static_cast<size_t>(size));
    std::memcpy(&wb, w, static_cast<size_t>(size));
    return fmt::format("element {} of {}: got bits {:#x}, want {:#x}", i, dtype_name(t), gb, wb);
  }
  return "";
}

}  // namespace kiln::passtest
