// The pass table, the default pipeline, and the loop that runs a pipeline with a check after
// each pass.
#include "passes/pass_manager.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "compiler/ir/verifier.hpp"
#include "passes/cse.hpp"
#include "passes/dce.hpp"
#include "passes/fold.hpp"
#include "passes/simplify.hpp"

namespace kiln {
namespace {

// Every pass a pipeline may name.
constexpr Pass kPasses[] = {
    {"fold", "constant folding: ops on constants become constants (exact ops only)", fold},
    {"simplify", "fold plus algebraic simplification by the rule table (x*1 -> x, sum(broadcast(c)) -> c*n, ...)",
     simplify},
    {"cse", "merges equal values hash-consing misses (a+b and b+a, a<b and b>a)", cse},
    {"dce", "drops operands no element of the result reads (where on a constant, slices of concat/pad)", dce},
};

// The pipeline run before scheduling: simplify (which folds constants in the same walk, so
// that folding and rules feed each other to a fixed point), then cse and dce on the
// smallest graph. Each pass is one walk; simplify rebuilds what changes, once.
constexpr std::string_view kDefaultPipeline[] = {"simplify", "cse", "dce"};

}  // namespace

std::span<const Pass> all_passes() { return kPasses; }

const Pass* find_pass(std::string_view name) {
  for (const Pass& p : all_passes())
    if (name == p.name) return &p;
  return nullptr;
}

std::vector<const Pass*> default_pipeline() {
  std::vector<const Pass*> list;
  for (std::string_view name : kDefaultPipeline) {
    const Pass* p = find_pass(name);
    KILN_CHECK(p) << "the default pipeline names an unknown pass '" << name << "'";
    list.push_back(p);
  }
  return list;
}

bool verify_passes_by_default() {
#ifndef NDEBUG
  return true;
#else
  static const bool on = [] {
    const char* v = std::getenv("KILN_VERIFY_PASSES");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return on;
#endif
}

Function run_passes(Function f, std::span<const Pass* const> passes, const PipelineOptions& options) {
  if (options.after_pass) options.after_pass("input", f, 0.0);
  for (const Pass* p : passes) {
    auto start = std::chrono::steady_clock::now();
    Function next = p->run(f);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options.verify) {
      try {
        verify(next);
      } catch (const Error& e) {
        KILN_CHECK(false) << "the graph after pass '" << p->name << "' is invalid: " << e.what();
      }
    }
    f = std::move(next);
    if (options.after_pass) options.after_pass(p->name, f, seconds);
  }
  return f;
}

Function optimize(Function f, const PipelineOptions& options) {
  std::vector<const Pass*> pipeline = default_pipeline();
  if (pipeline.empty() && !options.after_pass) return f;
  return run_passes(std::move(f), pipeline, options);
}

}  // namespace kiln
