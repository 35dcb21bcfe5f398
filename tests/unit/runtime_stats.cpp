// The runtime's counters: what each detail::count_* adds, reset, the text form, and
// counting from several threads at once.
#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "runtime/stats.hpp"
#include "runtime_test_util.hpp"

using namespace kiln;

TEST_CASE("each counter counts what it says; reset_stats zeroes them") {
  reset_stats();
  detail::count_evaluation();
  detail::count_compile(1.5);
  detail::count_compile(2.25);
  detail::count_memory_hit();
  detail::count_memory_hit();
  detail::count_memory_hit();
  detail::count_disk_hit();
  detail::count_launches(7);
  detail::count_bytes_allocated(4096);
  Stats s = stats();
  CHECK(s.evaluations == 1);
  CHECK(s.kernels_compiled == 2);
  CHECK(s.compile_ms == doctest::Approx(3.75));
  CHECK(s.memory_hits == 3);
  CHECK(s.disk_hits == 1);
  CHECK(s.launches == 7);
  CHECK(s.bytes_allocated == 4096);
  CHECK(stats_text() ==
        "evaluations: 1\nkernels_compiled: 2\nmemory_hits: 3\ndisk_hits: 1\ncompile_ms: 3.750\nlaunches: 7\n"
        "bytes_allocated: 4096\n");
  reset_stats();
  s = stats();
  CHECK(s.evaluations + s.kernels_compiled + s.memory_hits + s.disk_hits + s.launches + s.bytes_allocated == 0);
  CHECK(s.compile_ms == 0);
}

TEST_CASE("counting from several threads loses nothing") {
  reset_stats();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([] {
      for (int i = 0; i < 10000; ++i) {
        detail::count_launches(2);
        detail::count_memory_hit();
      }
    });
  for (auto& t : threads) t.join();
  CHECK(stats().launches == 80000);
  CHECK(stats().memory_hits == 40000);
}
