// The verifier: checks every invariant of a Function and throws a kiln::Error naming the
// first broken one (the function, the statement's op and the values).
//
// Checks: arguments are params or evaluated nodes with unique names; every param or
// evaluated node the results depend on is an argument; each node's type is what its op's
// rules give (operand count and dtypes, shapes, axes, attributes); literal values are
// representable in their dtype; there is at least one result.
#pragma once

#include "compiler/ir/function.hpp"

namespace kiln {

void verify(const Function& f);
void verify(const Module& m);

}  // namespace kiln
