// The text form of the graph IR: the format of dumps, tests and kilnc input.
//
//   func @f(%x: f32[1024], %w: f32[1024]) -> f32[] {
//     %0 = mul %x, %w : f32[1024]
//     %1 = reduce_sum %0 {axes = [0]} : f32[]
//     return %1
//   }
//
// The grammar and canonical form are described in text_format.md beside this file.
// Printing is deterministic: statements in topo_order(), numbered %0, %1, ...; attributes
// in a fixed order; floats in the shortest form that reads back to the same value.
#pragma once

#include <string>
#include <unordered_map>

#include "compiler/ir/function.hpp"

namespace kiln {

struct PrintOptions {
  bool locations = true;  // print loc("file":line) annotations
};

std::string print_function(const Function& f, const PrintOptions& options = {});
std::string print_module(const Module& m, const PrintOptions& options = {});

// The name print_function gives each value of `f`, with its `%`: arguments keep theirs,
// statements get %0, %1, ... (for tools that show the same graph another way, e.g. Graphviz).
std::unordered_map<const Node*, std::string> value_names(const Function& f);

// The text of a scalar of dtype t: shortest round-trip float (`1.0`, `-0.0`, `nan`, `inf`,
// `1e-07`), decimal integer, `true`/`false`.
std::string format_scalar(const Scalar& v, DType t);

}  // namespace kiln
