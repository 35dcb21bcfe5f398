// simplify: algebraic simplification by the rule table of simplify_rules.hpp.
//
// One walk over the function, operands first. At each node the rules for its op are tried
// in table order; when one applies, its replacement is tried again, until no rule applies
// (and every node a replacement builds is simplified the same way). So simplify(simplify(f))
// is simplify(f). Values are kept bit for bit, up to the sign and payload of NaNs.
#pragma once

#include "compiler/ir/function.hpp"

namespace kiln {

Function simplify(const Function& f);

}  // namespace kiln
