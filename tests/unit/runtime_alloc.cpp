// The caching host allocator: size classes, alignment, reuse of freed blocks, counting of
// new bytes only, the bound on cached bytes (KILN_HOST_CACHE_BYTES, set for this program
// before first use), and use from several threads.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "runtime/host_allocator.hpp"
#include "runtime/stats.hpp"
#include "runtime_test_util.hpp"

using namespace kiln;

namespace {

constexpr size_t kMiB = size_t{1} << 20;

// The allocator reads its bound once; set it before any test runs.
const int kSetBound = [] {
  setenv("KILN_HOST_CACHE_BYTES", "64M", 1);
  return 0;
}();

uintptr_t address(const BufferPtr& b) { return reinterpret_cast<uintptr_t>(b->data()); }

}  // namespace

TEST_CASE("block sizes: powers of two up to 1 MiB, then multiples of 2 MiB") {
  CHECK(host_block_size(0) == 64);
  CHECK(host_block_size(1) == 64);
  CHECK(host_block_size(65) == 128);
  CHECK(host_block_size(1000) == 1024);
  CHECK(host_block_size(kMiB) == kMiB);
  CHECK(host_block_size(kMiB + 1) == 2 * kMiB);
  CHECK(host_block_size(5 * kMiB) == 6 * kMiB);
  CHECK(host_block_size(6 * kMiB) == 6 * kMiB);
}

TEST_CASE("blocks are 64-byte aligned, large ones 2 MiB aligned, and writable in full") {
  host_allocator_trim();
  for (size_t bytes : {size_t{1}, size_t{63}, size_t{100}, size_t{4096}, kMiB, 3 * kMiB, 10 * kMiB + 5}) {
    BufferPtr b = host_allocate(bytes);
    CHECK(b->bytes() == bytes);
    CHECK(address(b) % 64 == 0);
    if (bytes >= 2 * kMiB) CHECK(address(b) % (2 * kMiB) == 0);
    std::memset(b->data(), 0xab, host_block_size(bytes));
  }
}

TEST_CASE("a freed block is reused for a request of the same size class, and only new bytes count") {
  host_allocator_trim();
  reset_stats();
  uintptr_t first;
  {
    BufferPtr a = host_allocate(1000);
    first = address(a);
    CHECK(stats().bytes_allocated == 1024);
  }
  CHECK(host_cache_free_bytes() == 1024);
  BufferPtr b = host_allocate(900);  // same class (1024)
  CHECK(address(b) == first);
  CHECK(stats().bytes_allocated == 1024);
  CHECK(host_cache_free_bytes() == 0);

  BufferPtr c = host_allocate(2000);  // another class: new memory
  CHECK(stats().bytes_allocated == 1024 + 2048);

  uintptr_t big;
  {
    BufferPtr d = host_allocate(5 * kMiB);
    big = address(d);
  }
  BufferPtr e = host_allocate(5 * kMiB + 100);
  CHECK(address(e) == big);
  CHECK(stats().bytes_allocated == 1024 + 2048 + 6 * kMiB);
}

TEST_CASE("the cache keeps at most KILN_HOST_CACHE_BYTES of free blocks; trim frees them") {
  host_allocator_trim();
  {
    std::vector<BufferPtr> blocks;
    for (int i = 0; i < 3; ++i) blocks.push_back(host_allocate(30 * kMiB));
  }
  CHECK(host_cache_free_bytes() == 60 * kMiB);  // the third block did not fit under 64 MiB
  reset_stats();
  {
    BufferPtr a = host_allocate(30 * kMiB), b = host_allocate(30 * kMiB), c = host_allocate(30 * kMiB);
    CHECK(stats().bytes_allocated == static_cast<int64_t>(30 * kMiB));  // two came from the cache
  }
  host_allocator_trim();
  CHECK(host_cache_free_bytes() == 0);
}

TEST_CASE("allocation and release from several threads") {
  host_allocator_trim();
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::vector<BufferPtr> live;
      for (int i = 0; i < 2000; ++i) {
        size_t bytes = 64 + static_cast<size_t>((i * 131 + t * 17) % 5000);
        BufferPtr b = host_allocate(bytes);
        auto* p = static_cast<unsigned char*>(b->data());
        std::memset(p, t, bytes);
        live.push_back(b);
        if (live.size() > 8) {
          auto* q = static_cast<unsigned char*>(live.front()->data());
          for (size_t j = 0; j < live.front()->bytes(); ++j) bad.fetch_add(q[j] != t);
          live.erase(live.begin());
        }
      }
    });
  for (auto& t : threads) t.join();
  CHECK(bad.load() == 0);
  CHECK(host_cache_free_bytes() <= 64 * kMiB);
}
