// The runtime's counters: one relaxed atomic each, so counting costs no more than an
// uncontended increment on hot paths (launches, cache hits). Compile time is kept in
// nanoseconds as an integer so that it too is a plain atomic add.
#include "runtime/stats.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cmath>

namespace kiln {
namespace {

struct Counters {
  std::atomic<int64_t> evaluations{0};
  std::atomic<int64_t> kernels_compiled{0};
  std::atomic<int64_t> memory_hits{0};
  std::atomic<int64_t> disk_hits{0};
  std::atomic<int64_t> compile_ns{0};
  std::atomic<int64_t> launches{0};
  std::atomic<int64_t> bytes_allocated{0};
};

// Constant-initialised, so counting works during static initialisation and at exit.
constinit Counters g_counters;

void add(std::atomic<int64_t>& c, int64_t n) { c.fetch_add(n, std::memory_order_relaxed); }
int64_t get(const std::atomic<int64_t>& c) { return c.load(std::memory_order_relaxed); }

}  // namespace

Stats stats() {
  Stats s;
  s.evaluations = get(g_counters.evaluations);
  s.kernels_compiled = get(g_counters.kernels_compiled);
  s.memory_hits = get(g_counters.memory_hits);
  s.disk_hits = get(g_counters.disk_hits);
  s.compile_ms = static_cast<double>(get(g_counters.compile_ns)) / 1e6;
  s.launches = get(g_counters.launches);
  s.bytes_allocated = get(g_counters.bytes_allocated);
  return s;
}

void reset_stats() {
  for (auto* c : {&g_counters.evaluations, &g_counters.kernels_compiled, &g_counters.memory_hits, &g_counters.disk_hits,
                  &g_counters.compile_ns, &g_counters.launches, &g_counters.bytes_allocated})
    c->store(0, std::memory_order_relaxed);
}

std::string stats_text() {
  Stats s = stats();
  return fmt::format(
      "evaluations: {}\nkernels_compiled: {}\nmemory_hits: {}\ndisk_hits: {}\ncompile_ms: {:.3f}\n"
      "launches: {}\nbytes_allocated: {}\n",
      s.evaluations, s.kernels_compiled, s.memory_hits, s.disk_hits, s.compile_ms, s.launches, s.bytes_allocated);
}

namespace detail {

void count_evaluation() { add(g_counters.evaluations, 1); }
void count_compile(double ms) {
  add(g_counters.kernels_compiled, 1);
  add(g_counters.compile_ns, static_cast<int64_t>(std::llround(ms * 1e6)));
}
void count_memory_hit() { add(g_counters.memory_hits, 1); }
void count_disk_hit() { add(g_counters.disk_hits, 1); }
void count_launches(int64_t n) { add(g_counters.launches, n); }
void count_bytes_allocated(int64_t n) { add(g_counters.bytes_allocated, n); }

}  // namespace detail
}  // namespace kiln
