// fold: constant folding.
//
// An op whose operands are all splats of `constant`s (splat.hpp) becomes a splat of one
// constant, computed by the reference interpreter on 0-d operands, so the value is the one
// the interpreter defines. Only ops whose value every backend computes bit for bit are
// folded (folds_exactly): the transcendental functions, which backends compute with vector
// math to within an ulp or two, stay, so a program computes the same whether an operand is
// a constant or not. Movement ops, gather, and max/min/any/all/argmax/argmin of a splat are
// splats too. Nothing else is materialised: the result of a fold is always a 0-d constant,
// broadcast to the node's shape. Literals (launch parameters), parameters and evaluated
// nodes are never folded.
#pragma once

#include <span>

#include "compiler/ir/function.hpp"

namespace kiln {

Function fold(const Function& f);

// The splat that node n (with operands `operands`, already rewritten) folds to, or null.
// The per-node step of fold, which simplify applies too. Caller holds the graph read lock.
NodeRef fold_node(const Node& n, std::span<const NodeRef> operands);

// Whether elementwise op `op` on operands of dtype t is folded: its interpreter value is
// what every backend computes, bit for bit.
bool folds_exactly(Op op, DType t);

}  // namespace kiln
