// parallel_for: every index exactly once, nesting, concurrent callers, exceptions, the
// cost of a small launch, and KILN_NUM_THREADS (read once, so tested in child processes).
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/thread_pool.hpp"
#include "runtime_test_util.hpp"

using namespace kiln;

namespace {

// Child mode: prints num_threads() and how many distinct threads ran an 8-index loop.
int child_main() {
  std::mutex m;
  std::set<std::thread::id> ids;
  parallel_for(8, [&](int64_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::lock_guard lock(m);
    ids.insert(std::this_thread::get_id());
  });
  std::printf("num_threads=%d ran_on=%zu\n", num_threads(), ids.size());
  return 0;
}

const int kChild = [] {
  if (test::child_mode()) std::exit(child_main());
  return 0;
}();

void check_each_index_once(int64_t n) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  parallel_for(n, [&](int64_t i) { hits[static_cast<size_t>(i)].fetch_add(1); });
  int64_t wrong = 0;
  for (auto& h : hits) wrong += h.load() != 1;
  CHECK_MESSAGE(wrong == 0, "n = " << n);
}

}  // namespace

TEST_CASE("parallel_for runs every index exactly once") {
  for (int64_t n : {0, 1, 2, 3, 7, 64, 1000, 65535, 65536, 200001}) check_each_index_once(n);
}

TEST_CASE("parallel_for uses several threads when there are several cores") {
  std::mutex m;
  std::set<std::thread::id> ids;
  parallel_for(16, [&](int64_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::lock_guard lock(m);
    ids.insert(std::this_thread::get_id());
  });
  CHECK(static_cast<int>(ids.size()) == std::min(num_threads(), 16));
}

TEST_CASE("nested parallel_for runs inline and covers every index") {
  std::vector<std::atomic<int>> hits(50 * 40);
  parallel_for(50, [&](int64_t i) {
    auto outer_thread = std::this_thread::get_id();
    parallel_for(40, [&](int64_t j) {
      CHECK(std::this_thread::get_id() == outer_thread);
      hits[static_cast<size_t>(i * 40 + j)].fetch_add(1);
    });
  });
  for (auto& h : hits) REQUIRE(h.load() == 1);
}

TEST_CASE("parallel_for from several user threads at once") {
  std::vector<std::thread> callers;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&, t] {
      for (int round = 0; round < 300; ++round) {
        int64_t n = 1 + (round * 7 + t) % 50;
        std::atomic<int64_t> sum{0};
        parallel_for(n, [&](int64_t i) { sum.fetch_add(i + 1); });
        if (sum.load() != n * (n + 1) / 2) bad.fetch_add(1);
      }
    });
  for (auto& c : callers) c.join();
  CHECK(bad.load() == 0);
}

TEST_CASE("an exception in a chunk is rethrown to the caller, and the pool still works") {
  std::atomic<int> ran{0};
  CHECK_THROWS_WITH_AS(parallel_for(100,
                                    [&](int64_t i) {
                                      ran.fetch_add(1);
                                      if (i == 37) throw std::runtime_error("chunk 37 failed");
                                    }),
                       "chunk 37 failed", std::runtime_error);
  CHECK(ran.load() >= 1);
  CHECK(ran.load() <= 100);
  // Several chunks throwing: exactly one exception arrives.
  CHECK_THROWS_AS(parallel_for(64, [](int64_t i) { throw std::out_of_range(std::to_string(i)); }), std::out_of_range);
  // A nested call's exception reaches the outer caller.
  CHECK_THROWS_AS(parallel_for(4,
                               [](int64_t) {
                                 parallel_for(4, [](int64_t j) {
                                   if (j == 2) throw std::logic_error("inner");
                                 });
                               }),
                  std::logic_error);
  check_each_index_once(1000);
}

TEST_CASE("a launch of two chunks costs microseconds") {
  std::atomic<int64_t> sink{0};
  auto fn = [&](int64_t i) { sink.fetch_add(i, std::memory_order_relaxed); };
  parallel_for(2, fn);  // create the pool
  std::vector<double> batches;
  for (int b = 0; b < 9; ++b) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 2000; ++i) parallel_for(2, fn);
    batches.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / 2000);
  }
  std::sort(batches.begin(), batches.end());
  MESSAGE("parallel_for(2) median cost: " << batches[4] << " us on " << num_threads() << " threads");
  CHECK(sink.load() == 1 + 9 * 2000);  // each launch adds 0 + 1
  // Generous for a loaded shared machine; a pool that spawned threads or allocated per
  // launch would cost tens of microseconds at least.
  CHECK(batches[4] < 20.0);
}

TEST_CASE("KILN_NUM_THREADS sets the thread count, read once at first use") {
  auto one = test::run_self("pool", {"KILN_NUM_THREADS=1"});
  CHECK(one.status == 0);
  CHECK(one.output == "num_threads=1 ran_on=1\n");

  auto three = test::run_self("pool", {"KILN_NUM_THREADS=3"});
  CHECK(three.status == 0);
  CHECK(three.output == "num_threads=3 ran_on=3\n");

  unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  for (const char* bad : {"0", "two", "-4", "", "3x"}) {
    auto r = test::run_self("pool", {std::string("KILN_NUM_THREADS=") + bad});
    CHECK(r.status == 0);
    CHECK_MESSAGE(test::count_of(r.output, "kiln: warning: KILN_NUM_THREADS='" + std::string(bad) + "'") == 1,
                  r.output);
    CHECK_MESSAGE(test::count_of(r.output, "num_threads=" + std::to_string(hw) + " ") == 1, r.output);
  }
}
