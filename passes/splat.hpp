// Splats: arrays whose every element is one baked-in constant, as the passes see and build
// them.
//
// A `constant` node is 0-d; a constant-valued array of any other shape is written
// `broadcast(constant c)`. Both forms are "a splat of c". Literals are never splats: their
// values are launch parameters that no pass may look at. Nor is a node that is already
// evaluated (its value is data, whatever op computed it).
#pragma once

#include "compiler/ir/node.hpp"

namespace kiln {

// The 0-d `constant` node that `n` is a splat of, or null. Caller holds the graph read lock.
const Node* splat_constant(const Node& n);

// `c` (a 0-d constant of dtype t.dtype) as an array of type t: c itself when t is 0-d, else
// broadcast(c).
NodeRef make_splat(const NodeRef& c, const TensorType& t, SourceLoc loc);
// A splat of value v (converted to t.dtype with the cast rules) of type t.
NodeRef make_splat(const Scalar& v, const TensorType& t, SourceLoc loc);

// Whether `n`'s 0-d constant, after conversion to its dtype, is bitwise `v` converted to the
// same dtype (so 1 matches 1.0f, true and 1u; -0.0 does not match 0.0).
bool constant_equals(const Node& c, const Scalar& v);

}  // namespace kiln
