// cse: common subexpressions that hash-consing cannot see.
//
// Building the same op on the same operands twice already gives one node, so what is left
// is equal values written differently: a commutative op with its operands swapped
// (b + a and a + b, likewise * min max == != and/or/xor, and fma's two factors), and a
// comparison written the other way round (b > a and a < b, b >= a and a <= b). The walk
// goes operands first; the first such node met, in the function's topological order, stands
// for all later ones, so the choice depends on the graph's structure only (never on a
// literal's value or on addresses). For floats, a + b and b + a are bitwise equal except for
// which payload a NaN result carries when both operands are NaN.
#pragma once

#include "compiler/ir/function.hpp"

namespace kiln {

Function cse(const Function& f);

}  // namespace kiln
