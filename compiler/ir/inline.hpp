// Calling a Function on values: its graph rebuilt on new argument nodes.
//
// Every statement of `f` is built again with make_node on the new operands (same op,
// attributes, location, and type for ops whose type is given), in topological order, so the
// result is ordinary graph nodes: they hash-cons with what exists, evaluate lazily, and a
// second call with arguments of the same types builds a graph of the same structure (which
// the runtime's schedule cache recognises). The rebuilt statements are placed on `device`
// when one is given (a function traced on the cpu called on GPU arrays), else where f's
// statements are.
#pragma once

#include <optional>
#include <vector>

#include "compiler/ir/function.hpp"

namespace kiln {

// The results of `f` with its arguments replaced by `args` (one each, of the same type).
// Throws ValueError naming the function and the argument when the count or a type differs.
std::vector<NodeRef> inline_function(const Function& f, const std::vector<NodeRef>& args,
                                     std::optional<Device> device = std::nullopt);

}  // namespace kiln
