// Counters of what the runtime did, for users (kiln::stats()) and tests.
#pragma once

#include <cstdint>
#include <string>

namespace kiln {

struct Stats {
  int64_t evaluations = 0;      // calls that evaluated at least one pending node
  int64_t kernels_compiled = 0; // kernels compiled (cache misses)
  int64_t memory_hits = 0;      // kernels found compiled in memory
  int64_t disk_hits = 0;        // kernels loaded from the disk cache
  double compile_ms = 0;        // total time compiling
  int64_t launches = 0;         // kernel launches
  int64_t bytes_allocated = 0;  // bytes of new host memory for array values (cache reuse excluded)
};

// A snapshot of the counters since the process started (or the last reset_stats()).
Stats stats();
void reset_stats();
// "evaluations: 3\nkernels_compiled: 2\n..." one counter per line.
std::string stats_text();

namespace detail {
// Increments used by the runtime.
void count_evaluation();
void count_compile(double ms);
void count_memory_hit();
void count_disk_hit();
void count_launches(int64_t n);
void count_bytes_allocated(int64_t n);
}  // namespace detail

}  // namespace kiln
