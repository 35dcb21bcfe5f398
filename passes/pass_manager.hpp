// The pass manager: runs named graph passes in order, checks the graph after each one, and
// reports each pass's output to whoever watches (dumps, the profiler, kiln-opt).
//
// A pass is a function `Function -> Function` with a name (one .hpp/.cpp pair each, no
// hidden state). The passes a pipeline may name are listed in one table, `all_passes()`, in
// pass_manager.cpp; the pipeline that runs before scheduling is `default_pipeline()`, a plain
// list of pass names in the same file (a pass may appear in it more than once).
//
// Passes must not look at the values of `literal` nodes: those are launch parameters, and a
// program that differs only in them reuses the schedule (and so the optimised graph) of
// the first. Values of `constant` nodes (baked into code) are fair game.
#pragma once

#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "compiler/ir/function.hpp"

namespace kiln {

struct Pass {
  const char* name;     // as written in --passes=
  const char* summary;  // one line for --help
  Function (*run)(const Function&);
};

// Every pass, once each.
std::span<const Pass> all_passes();
// The pass called `name`, or null.
const Pass* find_pass(std::string_view name);
// The passes run on every graph before it is scheduled, in order.
std::vector<const Pass*> default_pipeline();

// Whether run_passes verifies after each pass unless told otherwise: on in builds without
// NDEBUG, and wherever the environment sets KILN_VERIFY_PASSES=1 (the test suite does).
bool verify_passes_by_default();

struct PipelineOptions {
  bool verify = verify_passes_by_default();
  // Called with the function before any pass (pass name "input"), then after each pass with
  // the pass's name, its output and the seconds it took.
  std::function<void(std::string_view pass, const Function& after, double seconds)> after_pass;
};

// Runs `passes` on `f` in order. With `verify`, a pass whose output fails the verifier is a
// bug in that pass: the error names it.
Function run_passes(Function f, std::span<const Pass* const> passes, const PipelineOptions& options = {});

// run_passes with the default pipeline.
Function optimize(Function f, const PipelineOptions& options = {});

}  // namespace kiln
