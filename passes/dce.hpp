// dce: dead code elimination, at the level of elements.
//
// A function is its results and what they depend on, so rebuilding it from the results
// (rewrite) already leaves out every node they do not reach. What makes code dead beyond
// that is an operand of which no element is read. dce removes such reads:
//   - a value with no elements (a zero dim) needs none of its operands: a splat of 0;
//   - where(c, x, y) with a constant c reads only x (c true) or only y;
//   - a slice that lies within one operand of a concat, or within the unpadded part of a
//     pad, reads only that operand; one that lies in the padding is a splat of its value;
//   - a concat drops its empty operands; scatter_add with no indices is its destination;
//   - reductions over an empty axis and matmul with an empty inner dim read nothing: they
//     are their identity (sum 0, prod 1, any false, all true; matmul +0.0).
// Each of these keeps every bit of the value (op.hpp's semantics); the operands that lose
// their last reader then disappear from the rebuilt function.
#pragma once

#include "compiler/ir/function.hpp"

namespace kiln {

Function dce(const Function& f);

}  // namespace kiln
