// Collecting the texts of a dump (see dump.hpp) while the stages of an evaluation run: the
// executor (or kiln::dump()) hands each stage's result to a StageDump, which prints it at
// once (the graph may change after the evaluation) except for the backend's code, which is
// generated at the end, outside the graph lock, and cached by kernel.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/function.hpp"
#include "compiler/kernel/kernel.hpp"
#include "passes/schedule.hpp"
#include "runtime/dump.hpp"

namespace kiln {

// The code a backend generates for a kernel, for dumps (the llvm backend: "ll" and the
// optimised LLVM IR; a CUDA backend: "cu" and CUDA C). `text` may throw kiln::Error.
struct KernelSource {
  std::string extension;
  std::function<std::string(const kernel::Kernel&, const std::string& symbol)> text;
  explicit operator bool() const { return static_cast<bool>(text); }
};

// Collects the texts of one dump while the stages run.
class StageDump {
 public:
  StageDump(const DumpOptions& options, KernelSource source) : options_(options), source_(std::move(source)) {}
  // The graph `f` after pass `pass` ("input": before the passes); for PipelineOptions::after_pass.
  void add_graph(std::string_view pass, const Function& f);
  // The schedule `s` of the optimised graph `f`: schedule.txt, kernel IR and graph.dot.
  void add_schedule(const Function& f, const Schedule& s);
  // graph.dot of `f` without a schedule.
  void add_picture(const Function& f);
  // The texts, with the backend code of every kernel (generated here, so that callers can
  // hold the graph lock for the steps above only). A backend failure becomes a warning and
  // a text that says what failed.
  std::vector<DumpText> finish();

 private:
  DumpOptions options_;
  KernelSource source_;
  int passes_ = 0;
  std::vector<DumpText> texts_;
  std::string dot_;  // graph.dot, last in the dump
  std::vector<std::pair<size_t, kernel::Kernel>> code_;  // (index in texts_, kernel)
};

}  // namespace kiln
