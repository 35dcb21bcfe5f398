// The algebraic simplification rules, as data: one table of `pattern -> replacement` rules
// with the dtypes they hold for and a guard for what the pattern cannot say.
//
// Every rule keeps the value of the node it rewrites, element for element, for every input
// (NaN, ±inf, ±0.0, subnormals, integer extremes, division by zero), by the semantics of
// op.hpp. The only latitude is the sign and payload of a NaN result on rules marked
// `NanBits` (IEEE 754 leaves them to the implementation; kiln's f16 arithmetic returns one
// canonical NaN). Rules that would change any other bit are not in the table: see the list
// of refused rules in simplify_rules.cpp. The test passes_simplify.cpp checks each rule of
// the table on random graphs of its pattern, for every dtype.
#pragma once

#include <span>

#include "passes/pattern.hpp"

namespace kiln {

using DTypeMask = uint32_t;
constexpr DTypeMask dtype_bit(DType t) { return 1u << static_cast<unsigned>(t); }

enum class Exactness : uint8_t {
  Bitwise,  // every bit of the result is kept, NaN payloads included
  NanBits,  // every bit, except the sign and payload of a NaN result (still a NaN)
};

struct SimplifyRule {
  const char* algebra;          // the rule in words, e.g. "x * 1 -> x"
  Pat pattern;                  // binds the variable x
  DTypeMask dtypes;             // the dtypes of x for which the rule holds
  bool (*guard)(const Match&);  // what else must hold (attributes, shapes, sizes); null: nothing
  Rep replacement;              // has the matched node's type
  Exactness exactness;
};

// The pattern variables of the table.
inline constexpr PatVar kX{0}, kY{1}, kC{2};

// Every rule, grouped by family.
std::span<const SimplifyRule> simplify_rules();

// What `rule` rewrites node n (with operands `operands`) to, or null when the rule does not
// apply. New nodes are made by `builder`. Caller holds the graph read lock.
NodeRef apply_rule(const SimplifyRule& rule, const Node& n, std::span<const NodeRef> operands,
                   const NodeBuilder& builder);

// Whether casting any value of dtype `from` to `to` keeps it exactly (so a cast back, or on
// to a third dtype, sees the original value): bool to anything, i32/u32 to i64/f64, f16/bf16
// to f32/f64, f32 to f64.
bool cast_is_lossless(DType from, DType to);

}  // namespace kiln
