// Promotion rules of promote.hpp.
#include "frontend/promote.hpp"

#include "frontend/ops.hpp"

namespace kiln {
namespace {

int float_rank(DType t) {
  switch (t) {
    case DType::F16:
    case DType::BF16: return 1;
    case DType::F32: return 2;
    case DType::F64: return 3;
    case DType::Bool:
    case DType::I32:
    case DType::I64:
    case DType::U32: return 0;
  }
  return 0;
}

DType weak_with(Operand::Kind weak, DType strong) {
  switch (weak) {
    case Operand::Kind::Bool: return strong;
    case Operand::Kind::Int: return strong == DType::Bool ? DType::I32 : strong;
    case Operand::Kind::Float: return is_float(strong) ? strong : kDefaultFloat;
    case Operand::Kind::Array: break;
  }
  KILN_CHECK(false) << "weak_with: an array is not weak";
  return strong;
}

}  // namespace

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::Bool) return b;
  if (b == DType::Bool) return a;
  if (is_float(a) || is_float(b)) {
    if (!is_float(a)) return b;
    if (!is_float(b)) return a;
    if (float_rank(a) == float_rank(b)) return DType::F32;  // f16 with bf16
    return float_rank(a) > float_rank(b) ? a : b;
  }
  // Two different integer dtypes.
  if (is_signed(a) == is_signed(b)) return dtype_size(a) >= dtype_size(b) ? a : b;
  return DType::I64;  // u32 with i32 or i64
}

DType result_dtype(std::initializer_list<const Operand*> operands) {
  std::optional<DType> strong;
  bool any_float = false, any_int = false;
  for (const Operand* o : operands) {
    if (o->is_array()) strong = strong ? promote_types(*strong, o->array().dtype()) : o->array().dtype();
    any_float |= o->kind() == Operand::Kind::Float;
    any_int |= o->kind() == Operand::Kind::Int;
  }
  if (!strong) return any_float ? kDefaultFloat : any_int ? DType::I64 : DType::Bool;  // numbers only
  DType t = *strong;
  for (const Operand* o : operands)
    if (!o->is_array()) t = weak_with(o->kind(), t);
  return t;
}

}  // namespace kiln
