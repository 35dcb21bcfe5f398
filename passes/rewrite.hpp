// The walk every graph pass is built on: rebuild a function bottom-up, node by node, letting
// a rule replace nodes on the way.
//
// Nodes are immutable and hash-consed, so "changing" a node means building another one.
// rewrite() visits the function's nodes operands first; each node's operands are first
// replaced by what they became, then the rule may return a replacement. A node whose
// operands did not change and that the rule leaves alone is kept as it is (the same node),
// so an untouched graph comes back identical, pointer for pointer.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "compiler/ir/function.hpp"

namespace kiln {

// `n` rebuilt on `operands` (same op, attributes and result type); `n` itself when the
// operands are n's own.
NodeRef rebuild(const Node& n, std::vector<NodeRef> operands);

// Returns the replacement for `n`, whose operands have already been rewritten to
// `operands`, or an empty NodeRef to keep n (rebuilt on `operands`). A replacement must
// have n's type.
using RewriteRule = std::function<NodeRef(const Node& n, std::span<const NodeRef> operands)>;

// Applies `rule` to every node of `f` (arguments excepted), operands first, once each. The
// result has f's name and arguments and the rewritten results. Takes the graph read lock.
Function rewrite(const Function& f, const RewriteRule& rule);

}  // namespace kiln
