// The pass table, the default pipeline, and the loop that runs a pipeline with a check after
// each pass.
#include "passes/pass_manager.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "compiler/ir/verifier.hpp"

namespace kiln {
namespace {

// Every pass a pipeline may name. The default pipeline is the table's first entries.
constexpr Pass kPasses[] = {
    {"none", "(placeholder until the first pass lands)", nullptr},
};
constexpr size_t kDefaultPipelineLength = 0;

}  // namespace

std::span<const Pass> all_passes() { return std::span<const Pass>(kPasses, std::size(kPasses) - 1); }

const Pass* find_pass(std::string_view name) {
  for (const Pass& p : all_passes())
    if (name == p.name) return &p;
  return nullptr;
}

std::vector<const Pass*> default_pipeline() {
  std::vector<const Pass*> list;
  for (size_t i = 0; i < kDefaultPipelineLength; ++i) list.push_back(&kPasses[i]);
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
