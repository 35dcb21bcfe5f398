// Type and shape rules of every op: what a node's result type is, given its operands and
// attributes, or why it is invalid. Used when a node is built and by the verifier.
#pragma once

#include <span>

#include "compiler/ir/node.hpp"

namespace kiln {

// Returns the result type of `op` on operands of types `operands` with `attrs`. `given` is
// the declared result type: required for ops whose TypeRule is Given, checked against the
// inferred type otherwise (when not null). Throws ShapeError / DTypeError / AxisError /
// ValueError with a message `[file:line: ]op: what (values)`.
TensorType infer_type(Op op, std::span<const TensorType* const> operands, const Attrs& attrs,
                      const TensorType* given, SourceLoc loc = {});
// Same, from operand nodes.
TensorType infer_type(Op op, std::span<const NodeRef> operands, const Attrs& attrs,
                      const TensorType* given, SourceLoc loc = {});

// The NumPy broadcast of two shapes (right-aligned), or nullopt when they do not fit.
std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b);

}  // namespace kiln
