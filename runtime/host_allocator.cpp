// The caching host allocator. Blocks come in size classes (powers of two up to 1 MiB, then
// multiples of 2 MiB) so that a freed block serves any later request of its class. Small
// blocks come from aligned_alloc; blocks of 2 MiB and more are mapped directly, 2 MiB
// aligned and advised MADV_HUGEPAGE, so that touching them costs few page faults. Freed
// blocks wait in per-class free lists (newest first, for warm caches) until the cache would
// exceed its bound; the cache is a leaked singleton, so buffers dying at exit are safe.
#include "runtime/host_allocator.hpp"

#include <sys/mman.h>

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "runtime/log.hpp"
#include "runtime/stats.hpp"

namespace kiln {
namespace {

constexpr size_t kMinBlock = 64;
constexpr size_t kLargeBlock = size_t{2} << 20;  // 2 MiB: the huge page size
constexpr int64_t kDefaultCacheBytes = int64_t{1} << 30;

void* allocate_block(size_t size) {
  if (size < kLargeBlock) {
    void* p = std::aligned_alloc(kMinBlock, size);
    if (!p) throw std::bad_alloc();
    return p;
  }
  // Map one huge page more than needed and trim both ends to a 2 MiB boundary.
  size_t span = size + kLargeBlock;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = (start + kLargeBlock - 1) & ~(uintptr_t{kLargeBlock} - 1);
  if (aligned > start) munmap(raw, aligned - start);
  size_t tail = start + span - (aligned + size);
  if (tail > 0) munmap(reinterpret_cast<void*>(aligned + size), tail);
  void* p = reinterpret_cast<void*>(aligned);
  madvise(p, size, MADV_HUGEPAGE);  // advice only: failure (no THP) is fine
  return p;
}

void free_block(void* p, size_t size) {
  if (size < kLargeBlock)
    std::free(p);
  else
    munmap(p, size);
}

class HostCache {
 public:
  HostCache() : limit_(static_cast<size_t>(detail::env_size("KILN_HOST_CACHE_BYTES", kDefaultCacheBytes, 0))) {}

  // A block of `size` (a size class): a cached one if any, else a new one.
  void* take(size_t size) {
    {
      std::lock_guard lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= size;
        return p;
      }
    }
    void* p = allocate_block(size);
    detail::count_bytes_allocated(static_cast<int64_t>(size));
    return p;
  }

  void give_back(void* p, size_t size) {
    {
      std::lock_guard lock(mutex_);
      if (cached_ + size <= limit_) {
        free_[size].push_back(p);
        cached_ += size;
        return;
      }
    }
    free_block(p, size);
  }

  void trim() {
    std::unordered_map<size_t, std::vector<void*>> blocks;
    {
      std::lock_guard lock(mutex_);
      blocks.swap(free_);
      cached_ = 0;
    }
    for (auto& [size, list] : blocks)
      for (void* p : list) free_block(p, size);
  }

  size_t cached() {
    std::lock_guard lock(mutex_);
    return cached_;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
  const size_t limit_;
};

HostCache& cache() {
  static HostCache* c = new HostCache;  // never destroyed: buffers may die during exit
  return *c;
}

}  // namespace

size_t host_block_size(size_t bytes) {
  if (bytes <= kMinBlock) return kMinBlock;
  if (bytes <= kLargeBlock / 2) return std::bit_ceil(bytes);
  return (bytes + kLargeBlock - 1) / kLargeBlock * kLargeBlock;
}

BufferPtr host_allocate(size_t bytes) {
  size_t size = host_block_size(bytes);
  void* p = cache().take(size);
  return Buffer::wrap(p, bytes, [size](void* q) { cache().give_back(q, size); });
}

void host_allocator_trim() { cache().trim(); }

size_t host_cache_free_bytes() { return cache().cached(); }

}  // namespace kiln
