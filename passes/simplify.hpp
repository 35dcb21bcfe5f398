// simplify: algebraic simplification by the rule table of simplify_rules.hpp, with constant
// folding (fold.hpp) as its first rule.
//
// One walk over the function, operands first. At each node, fold_node and then the rules
// for its op are tried in table order; when one applies, its replacement is tried again,
// until nothing applies (and every node a replacement builds is simplified the same way).
// Folding in the same walk matters: rules make constant expressions (sum(broadcast(c)) is
// c * n) and folding makes constants that rules match (x * (0.5 * 2) is x * 1), so one walk
// reaches the fixed point and simplify(simplify(f)) is simplify(f). Values are kept bit for
// bit, up to the sign and payload of NaNs.
#pragma once

#include "compiler/ir/function.hpp"

namespace kiln {

Function simplify(const Function& f);

}  // namespace kiln
