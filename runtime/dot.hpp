// The graph as a Graphviz picture (`dot -Tsvg graph.dot > graph.svg`), with the kernels of a
// schedule drawn as clusters.
//
// Values are labelled like the text form of the same Function (`%3 = sin` and the type), so
// the picture and the .kir dump name the same values; edges go from operand to user.
#pragma once

#include <string>

#include "compiler/ir/function.hpp"
#include "passes/schedule.hpp"

namespace kiln {

// The Graphviz text of `f`; with `s` (the schedule of f), its launches as clusters. The
// caller holds the graph read lock if other threads may evaluate nodes of f meanwhile.
//
// Arguments are filled boxes, literals (launch parameters) dashed rounded boxes, constants
// (baked into code) filled rounded boxes, values with a buffer of their own bold. Each launch
// is a `subgraph cluster_k<i>` (kernels, labelled with their symbol `k<hash>` and kind) or
// `subgraph cluster_builtin<i>` (kiln's own routines, e.g. gemm). A cluster holds the values
// its launch stores and the fused values it computes on the way (found by walking back from
// what it stores to values that have buffers): a value fused into several kernels is drawn
// in each of them, as each computes it. Temporaries (partial sums, transposed copies) are
// box3d nodes in the cluster of the launch that writes them, with dashed edges to what the
// launches reading them store. The values that a launch writing only temporaries computes
// are drawn in the cluster of the launch that reads them: the schedule does not say which
// operand a temporary stands for.
std::string graph_dot(const Function& f, const Schedule* s = nullptr);

}  // namespace kiln
