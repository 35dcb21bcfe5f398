// Element types (dtypes) of kiln arrays and the facts every stage needs about them.
//
// The list lives in dtypes.def. f16 and bf16 are storage types: arithmetic on them is done
// in f32 and rounded back (round to nearest even) when stored.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kiln {

enum class DType : uint8_t {
#define KILN_DTYPE(e, name, size, cls) e,
#include "compiler/ir/dtypes.def"
#undef KILN_DTYPE
};

inline constexpr int kNumDTypes = 0
#define KILN_DTYPE(e, name, size, cls) +1
#include "compiler/ir/dtypes.def"
#undef KILN_DTYPE
    ;

enum class DTypeClass : uint8_t { Bool, Signed, Unsigned, Float };

std::string_view dtype_name(DType t);
std::optional<DType> dtype_from_name(std::string_view name);
int dtype_size(DType t);
DTypeClass dtype_class(DType t);

inline bool is_float(DType t) { return dtype_class(t) == DTypeClass::Float; }
inline bool is_bool(DType t) { return t == DType::Bool; }
// Integer in the arithmetic sense: signed or unsigned, not bool.
inline bool is_integer(DType t) {
  return dtype_class(t) == DTypeClass::Signed || dtype_class(t) == DTypeClass::Unsigned;
}
inline bool is_signed(DType t) { return dtype_class(t) == DTypeClass::Signed; }
inline bool is_unsigned(DType t) { return dtype_class(t) == DTypeClass::Unsigned; }
// Number of value bits of an integer dtype (bool counts as 1).
int dtype_bits(DType t);

// f16 / bf16 conversions, round to nearest even, NaN stays NaN (quiet), overflow gives inf.
uint16_t f32_to_f16_bits(float f);
float f16_bits_to_f32(uint16_t h);
uint16_t f32_to_bf16_bits(float f);
float bf16_bits_to_f32(uint16_t h);

}  // namespace kiln

// Shorthand constants so user code reads like NumPy: kiln::f32, kiln::i64, ...
namespace kiln {
inline constexpr DType bool_ = DType::Bool;
inline constexpr DType i32 = DType::I32;
inline constexpr DType i64 = DType::I64;
inline constexpr DType u32 = DType::U32;
inline constexpr DType f16 = DType::F16;
inline constexpr DType bf16 = DType::BF16;
inline constexpr DType f32 = DType::F32;
inline constexpr DType f64 = DType::F64;
}  // namespace kiln
