// StageDump (see stage_dump.hpp): each stage printed as it comes, schedule.txt written here,
// backend code generated in finish().
//
// Backend code texts (an O3 compile each, for LLVM IR) are cached by extension and kernel
// symbol, since a dumping process plans every evaluation again and would otherwise compile
// every kernel's IR once more per evaluation.
#include "runtime/stage_dump.hpp"

#include <fmt/format.h>

#include <memory>
#include <mutex>
#include <unordered_map>

#include "compiler/ir/printer.hpp"
#include "runtime/dot.hpp"
#include "runtime/log.hpp"

namespace kiln {
namespace {

constexpr size_t kCodeCacheEntries = 512;

// Backend code texts by "<extension>:<symbol>".
class CodeCache {
 public:
  std::shared_ptr<const std::string> find(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : it->second;
  }
  void insert(const std::string& key, std::shared_ptr<const std::string> text) {
    std::lock_guard lock(mutex_);
    if (map_.size() >= kCodeCacheEntries) map_.clear();  // a rare refill beats an unbounded map
    map_.emplace(key, std::move(text));
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> map_;
};

CodeCache& code_cache() {
  static CodeCache* c = new CodeCache();  // never destroyed: evaluations may run at exit
  return *c;
}

// One line per launch: what it runs and which values and temporaries it reads and writes.
std::string schedule_text(const Function& f, const Schedule& s) {
  std::unordered_map<const Node*, std::string> names = value_names(f);
  std::string out = fmt::format("# {} launches, in order; temporaries: {}\n", s.launches.size(), s.temp_bytes.size());
  for (size_t l = 0; l < s.launches.size(); ++l) {
    const LaunchPlan& lp = s.launches[l];
    std::vector<std::string> reads, writes;
    for (size_t b = 0; b < lp.buffers.size(); ++b) {
      const BufferRef& r = lp.buffers[b];
      std::string what = r.node ? fmt::format("{}: {}", names.at(r.node), type_str(r.node->type()))
                                : fmt::format("temp {}: {}", r.temp, dtype_name(lp.kernel.buffers[b].dtype));
      (lp.kernel.buffers[b].output ? writes : reads).push_back(std::move(what));
    }
    std::string head =
        lp.builtin != Builtin::None
            ? fmt::format("builtin {} args [{}]", builtin_name(lp.builtin), fmt::join(lp.builtin_args, ", "))
            : fmt::format("kernel {}", kernel::kernel_symbol(lp.kernel));
    out += fmt::format("launch {}: {} reads [{}] writes [{}] dims [{}] params {}\n", l, head, fmt::join(reads, ", "),
                       fmt::join(writes, ", "), fmt::join(lp.dims, ", "), lp.params.size());
  }
  return out;
}

}  // namespace

void StageDump::add_graph(std::string_view pass, const Function& f) {
  if (!options_.graphs) return;
  PrintOptions print;
  print.locations = options_.locations;
  texts_.push_back({fmt::format("{:02}-{}.kir", passes_++, pass), print_function(f, print)});
}

void StageDump::add_schedule(const Function& f, const Schedule& s) {
  if (options_.kernels) texts_.push_back({"schedule.txt", schedule_text(f, s)});
  for (size_t l = 0; l < s.launches.size(); ++l) {
    const LaunchPlan& lp = s.launches[l];
    if (lp.builtin != Builtin::None) continue;  // listed in schedule.txt and drawn in graph.dot
    std::string symbol = kernel::kernel_symbol(lp.kernel);
    std::string stem = fmt::format("kernel-{:02}-{}", l, symbol);
    if (options_.kernels) texts_.push_back({stem + ".kernel", kernel::print_kernel(lp.kernel, symbol)});
    if (options_.code && source_) {  // filled in by finish()
      code_.emplace_back(texts_.size(), lp.kernel);
      texts_.push_back({stem + "." + source_.extension, ""});
    }
  }
  if (options_.dot) dot_ = graph_dot(f, &s);
}

void StageDump::add_picture(const Function& f) {
  if (options_.dot) dot_ = graph_dot(f);
}

std::vector<DumpText> StageDump::finish() {
  for (auto& [index, k] : code_) {
    std::string symbol = kernel::kernel_symbol(k);
    std::string key = source_.extension + ":" + symbol;
    std::shared_ptr<const std::string> text = code_cache().find(key);
    if (!text) {
      try {
        text = std::make_shared<const std::string>(source_.text(k, symbol));
        code_cache().insert(key, text);
      } catch (const Error& e) {
        log(LogLevel::Warn, "KILN_DUMP: no {} code for kernel {}: {}", source_.extension, symbol, e.what());
        text = std::make_shared<const std::string>(fmt::format("no {} code: {}\n", source_.extension, e.what()));
      }
    }
    texts_[index].text = *text;
  }
  code_.clear();
  if (!dot_.empty()) texts_.push_back({"graph.dot", std::move(dot_)});
  return std::move(texts_);
}

}  // namespace kiln
