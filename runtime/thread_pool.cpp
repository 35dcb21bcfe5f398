// The thread pool behind parallel_for.
//
// One job runs at a time (callers from different user threads take turns on a mutex). A job
// is cut into at most kMaxBlocks blocks of consecutive indices. Threads claim blocks with a
// compare-and-swap on one 64-bit word holding (epoch, next block, block count), so a worker
// that wakes late for a finished job sees another epoch and claims nothing: no per-job
// allocation and no waiting for stragglers. Sleeping workers wait on a futex-backed atomic
// (C++20 atomic wait) after a short spin; the caller claims blocks too, so a two-block
// launch costs about one wake-up syscall. Workers exit and are joined when the library is
// unloaded (at process exit); a forked child starts a fresh pool.
#include "runtime/thread_pool.hpp"

#include <pthread.h>

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/log.hpp"

namespace kiln {
namespace {

constexpr uint64_t kMaxBlocks = 0xffff;  // block counts fit the 16-bit fields of the claim word
constexpr int kMaxThreads = 1024;
constexpr int kSpins = 256;

// True while this thread runs chunks of a job (on a worker or as the participating caller):
// parallel_for calls made there run inline.
thread_local bool t_in_job = false;

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

class Pool {
 public:
  explicit Pool(int workers) {
    threads_.reserve(static_cast<size_t>(workers));
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { worker_main(); });
  }

  ~Pool() {
    stop_.store(true, std::memory_order_relaxed);
    wake_.fetch_add(1, std::memory_order_release);
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }

  void run(int64_t n, const std::function<void(int64_t)>& fn) {
    std::lock_guard lock(submit_);
    uint64_t blocks = static_cast<uint64_t>(n) < kMaxBlocks ? static_cast<uint64_t>(n) : kMaxBlocks;
    fn_ = &fn;
    n_ = n;
    block_size_ = (n + static_cast<int64_t>(blocks) - 1) / static_cast<int64_t>(blocks);
    done_.store(0, std::memory_order_relaxed);
    failed_.store(false, std::memory_order_relaxed);
    error_ = nullptr;
    uint32_t epoch = wake_.load(std::memory_order_relaxed) + 1;
    claim_.store(uint64_t{epoch} << 32 | blocks, std::memory_order_release);
    wake_.store(epoch, std::memory_order_release);
    wake_.notify_all();

    t_in_job = true;
    run_blocks(epoch);
    t_in_job = false;
    // Wait for blocks other threads claimed; they usually end together, so spin first.
    uint32_t done = done_.load(std::memory_order_acquire);
    for (int i = 0; i < kSpins && done != blocks; ++i) {
      cpu_relax();
      done = done_.load(std::memory_order_acquire);
    }
    while (done != blocks) {
      done_.wait(done, std::memory_order_acquire);
      done = done_.load(std::memory_order_acquire);
    }
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Claims and runs blocks of job `epoch` until none is left. The job's fields may be read
  // only after a successful claim: until that block is counted done, the job cannot end.
  void run_blocks(uint32_t epoch) {
    for (;;) {
      uint64_t s = claim_.load(std::memory_order_acquire);
      uint64_t block;
      for (;;) {
        if (static_cast<uint32_t>(s >> 32) != epoch) return;
        block = (s >> 16) & 0xffff;
        if (block >= (s & 0xffff)) return;
        if (claim_.compare_exchange_weak(s, s + (uint64_t{1} << 16), std::memory_order_acq_rel,
                                         std::memory_order_acquire))
          break;
      }
      uint32_t blocks = static_cast<uint32_t>(s & 0xffff);
      if (!failed_.load(std::memory_order_relaxed)) {
        int64_t begin = static_cast<int64_t>(block) * block_size_;
        int64_t end = begin + block_size_ < n_ ? begin + block_size_ : n_;
        try {
          for (int64_t i = begin; i < end; ++i) (*fn_)(i);
        } catch (...) {
          std::lock_guard lock(error_mutex_);
          if (!error_) error_ = std::current_exception();
          failed_.store(true, std::memory_order_relaxed);
        }
      }
      if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == blocks) done_.notify_one();
    }
  }

  void worker_main() {
    t_in_job = true;
    uint32_t seen = 0;
    for (;;) {
      uint32_t epoch = wake_.load(std::memory_order_acquire);
      for (int i = 0; i < kSpins && epoch == seen; ++i) {
        cpu_relax();
        epoch = wake_.load(std::memory_order_acquire);
      }
      if (epoch == seen) {
        wake_.wait(seen, std::memory_order_acquire);
        continue;
      }
      if (stop_.load(std::memory_order_relaxed)) return;
      seen = epoch;
      run_blocks(epoch);
    }
  }

  std::vector<std::thread> threads_;
  std::mutex submit_;  // held by the caller for the whole job
  // The job, written by its caller before the epoch is published.
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t n_ = 0;
  int64_t block_size_ = 1;
  std::exception_ptr error_;
  std::mutex error_mutex_;
  std::atomic<bool> failed_{false};
  // epoch (32 bits) | next block (16 bits) | block count (16 bits)
  std::atomic<uint64_t> claim_{0};
  std::atomic<uint32_t> done_{0};  // blocks finished in the current job
  std::atomic<uint32_t> wake_{0};  // the current epoch; bumped to wake the workers
  std::atomic<bool> stop_{false};
};

std::mutex g_pool_mutex;
std::atomic<Pool*> g_pool{nullptr};
std::atomic<bool> g_shut_down{false};

// A forked child has none of the parent's workers: abandon the parent's pool (leaked).
void forget_pool_in_child() { g_pool.store(nullptr, std::memory_order_relaxed); }

Pool* pool() {
  Pool* p = g_pool.load(std::memory_order_acquire);
  if (p) return p;
  std::lock_guard lock(g_pool_mutex);
  p = g_pool.load(std::memory_order_relaxed);
  if (!p && !g_shut_down.load(std::memory_order_relaxed)) {
    static bool registered = (pthread_atfork(nullptr, nullptr, forget_pool_in_child), true);
    (void)registered;
    p = new Pool(num_threads() - 1);
    g_pool.store(p, std::memory_order_release);
  }
  return p;
}

// Joins the workers at exit (static destructors run in reverse order of construction, so
// after those of the program that uses kiln); later calls run inline.
struct PoolShutdown {
  ~PoolShutdown() {
    std::lock_guard lock(g_pool_mutex);
    g_shut_down.store(true, std::memory_order_relaxed);
    delete g_pool.exchange(nullptr);
  }
} g_pool_shutdown;

int read_num_threads() {
  int64_t hw = std::thread::hardware_concurrency();
  if (hw < 1) hw = 1;
  int64_t n = detail::env_size("KILN_NUM_THREADS", hw, 1);
  if (n > kMaxThreads) {
    log(LogLevel::Warn, "KILN_NUM_THREADS={} is more than {}; using {}", n, kMaxThreads, kMaxThreads);
    n = kMaxThreads;
  }
  return static_cast<int>(n);
}

}  // namespace

int num_threads() {
  static const int n = read_num_threads();
  return n;
}

void parallel_for(int64_t n, const std::function<void(int64_t)>& fn) {
  if (n <= 0) return;
  Pool* p = n == 1 || t_in_job || num_threads() == 1 ? nullptr : pool();
  if (!p) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  p->run(n, fn);
}

}  // namespace kiln
