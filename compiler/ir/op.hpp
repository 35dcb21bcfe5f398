// The Op enum and the per-op facts from ops.def.
//
// Semantics that every backend must match (the reference interpreter is the definition):
// - Integer arithmetic wraps (two's complement). Integer div/floordiv/mod by zero give 0;
//   INT_MIN / -1 gives INT_MIN and INT_MIN % -1 gives 0. `div` on integers truncates toward
//   zero; `floordiv` and `mod` follow Python (mod takes the sign of the divisor).
// - Shifts by a negative amount or by >= the bit width give 0 (shr of a negative signed
//   value gives -1): no undefined behaviour.
// - `cast` float -> integer truncates toward zero, saturates at the integer range, NaN -> 0;
//   anything -> bool is `!= 0` (NaN -> true); bool -> number is 0 or 1.
// - `round` rounds half to even; floor/ceil/round/trunc of an integer is the integer.
// - minimum/maximum (and reduce_max/min) propagate NaN; minimum(-0.0, 0.0) is -0.0 and
//   maximum(-0.0, 0.0) is 0.0. sign(x) is -1, 0 or 1 (sign(±0.0) = ±0.0, sign(NaN) = NaN).
// - Float floordiv and mod follow Python's float divmod: mod has the sign of the divisor,
//   a // 0.0 is a / 0.0 (±inf or NaN) and a mod 0.0 is NaN.
// - Integer pow: x^n for n < 0 is 0 unless x is 1 or -1; 0^0 = 1. Wraps on overflow.
// - isnan/isinf of an integer is false, isfinite true.
// - f16/bf16 (and f32) elementwise ops are computed in f64 and rounded once to the dtype.
// - argmax/argmin return the flat row-major index within the reduced axes of the first
//   extreme value; a NaN counts as the extreme (the first NaN wins).
// - gather: an index i < 0 means i + n; the result is then clamped into [0, n-1].
//   scatter_add: an index i < 0 means i + n; an index still outside [0, n-1] is dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "compiler/ir/dtype.hpp"

namespace kiln {

enum class Op : uint8_t {
#define KILN_OP(e, name, arity, cat, rule, accepts, attrs) e,
#include "compiler/ir/ops.def"
#undef KILN_OP
};

inline constexpr int kNumOps = 0
#define KILN_OP(e, name, arity, cat, rule, accepts, attrs) +1
#include "compiler/ir/ops.def"
#undef KILN_OP
    ;

enum class OpCategory : uint8_t { Source, Unary, Binary, Ternary, Reduce, Movement, Index, Matmul };

// How an op's result dtype follows from its operands.
enum class TypeRule : uint8_t {
  Given,    // given when the node is built (sources, cast, reshape, broadcast)
  Same,     // all operands share one dtype, the result has it too
  ToBool,   // all operands share one dtype, the result is bool
  ToIndex,  // the result is i64 (argmax/argmin)
  Select,   // where(bool cond, a, b): a and b share the result dtype
  Gather,   // gather(x, integer idx): result has x's dtype
  Scatter,  // scatter_add(dst, integer idx, src): dst and src share the result dtype
};

// Which operand dtypes an op accepts (for Select/Gather/Scatter: the data operands).
enum class Accepts : uint8_t { Any, Numeric, Float, Integer, Unsigned, IntOrBool, Bool };

// Attribute bits: which attributes an op carries (see Attrs in node.hpp).
enum AttrBits : uint32_t {
  kAttrNone = 0,
  kAttrAxes = 1u << 0,
  kAttrPerm = 1u << 1,
  kAttrStart = 1u << 2,
  kAttrStep = 1u << 3,
  kAttrLow = 1u << 4,
  kAttrHigh = 1u << 5,
  kAttrAxis = 1u << 6,
  kAttrValue = 1u << 7,
  kAttrSeed = 1u << 8,
  kAttrStream = 1u << 9,
};

struct OpInfo {
  std::string_view name;
  int arity;  // -1: one or more
  OpCategory category;
  TypeRule rule;
  Accepts accepts;
  uint32_t attrs;
};

const OpInfo& op_info(Op op);
inline std::string_view op_name(Op op) { return op_info(op).name; }
std::optional<Op> op_from_name(std::string_view name);

inline bool is_elementwise(Op op) {
  OpCategory c = op_info(op).category;
  return c == OpCategory::Unary || c == OpCategory::Binary || c == OpCategory::Ternary;
}

std::string_view accepts_name(Accepts a);
// Whether dtype t is one that `a` allows.
bool dtype_accepted(Accepts a, DType t);

}  // namespace kiln
