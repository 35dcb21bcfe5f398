// The op info table, expanded from ops.def.
#include "compiler/ir/op.hpp"

namespace kiln {
namespace {

constexpr OpInfo kOpInfo[] = {
#define KILN_OP(e, name, arity, cat, rule, accepts, attrs) \
  {name, arity, OpCategory::cat, TypeRule::rule, Accepts::accepts, attrs},
#include "compiler/ir/ops.def"
#undef KILN_OP
};

}  // namespace

const OpInfo& op_info(Op op) { return kOpInfo[static_cast<int>(op)]; }

std::optional<Op> op_from_name(std::string_view name) {
  for (int i = 0; i < kNumOps; ++i)
    if (kOpInfo[i].name == name) return static_cast<Op>(i);
  return std::nullopt;
}

std::string_view accepts_name(Accepts a) {
  switch (a) {
    case Accepts::Any: return "any dtype";
    case Accepts::Numeric: return "a numeric dtype (not bool)";
    case Accepts::Float: return "a floating-point dtype";
    case Accepts::Integer: return "an integer dtype";
    case Accepts::Unsigned: return "an unsigned integer dtype";
    case Accepts::IntOrBool: return "an integer or bool dtype";
    case Accepts::Bool: return "bool";
  }
  return "?";
}

bool dtype_accepted(Accepts a, DType t) {
  switch (a) {
    case Accepts::Any: return true;
    case Accepts::Numeric: return !is_bool(t);
    case Accepts::Float: return is_float(t);
    case Accepts::Integer: return is_integer(t);
    case Accepts::Unsigned: return is_unsigned(t);
    case Accepts::IntOrBool: return is_integer(t) || is_bool(t);
    case Accepts::Bool: return is_bool(t);
  }
  return false;
}

}  // namespace kiln
