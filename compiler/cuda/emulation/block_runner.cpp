// Fibers for the CUDA host emulation: one per CUDA thread of the running block.
//
// On x86-64 a fiber switch is a few instructions of our own (save the callee-saved registers
// and the stack pointer, load the other's): glibc's swapcontext also saves the signal mask
// with a system call at every switch, which made barrier-heavy blocks a hundred times slower.
// Elsewhere, ucontext does the switching. Stacks come from mmap with a guard page below each,
// kept per host thread for its next blocks.
#include "compiler/cuda/emulation/block_runner.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <vector>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

#include "compiler/ir/error.hpp"

#define KILN_CUDA_EMULATION_API_ONLY
#include "compiler/cuda/emulation/kiln_cuda_emulation.h"

#if defined(__x86_64__)
// kiln_emu_switch(save, load): pushes the callee-saved registers, stores the stack pointer in
// *save, switches to the stack `load` and pops that fiber's registers.
asm(R"(
  .text
  .p2align 4
  .globl kiln_emu_switch
  .hidden kiln_emu_switch
  .type kiln_emu_switch,@function
kiln_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size kiln_emu_switch, .-kiln_emu_switch
)");
extern "C" void kiln_emu_switch(void** save, void* load);
#endif

namespace kiln::cuda {
namespace {

constexpr size_t kStackBytes = 256 * 1024;
constexpr size_t kGuardBytes = 4096;

struct Fiber {
  char* stack = nullptr;  // lowest usable byte (the guard page is below)
  kiln_emu_indices indices;
  bool done = false;
#if defined(__x86_64__)
  void* sp = nullptr;
#else
  ucontext_t context;
#endif
};

struct Warp {
  unsigned long long slots[2][32] = {};
  int live = 0;
  int arrived = 0;
  uint64_t generation = 0;
};

// The running block of one host thread.
struct HostThread {
  std::vector<Fiber> fibers;
  std::vector<Warp> warps;
  Fiber* current = nullptr;
  EmulatedEntry entry = nullptr;
  const unsigned long long* words = nullptr;
  int live = 0;         // threads of the block that have not ended
  int arrived = 0;      // at the block barrier
  uint64_t generation = 0;
  bool progressed = false;  // since the scheduler's last round
#if defined(__x86_64__)
  void* scheduler_sp = nullptr;
#else
  ucontext_t scheduler;
#endif

  ~HostThread() {
    for (Fiber& f : fibers) munmap(f.stack - kGuardBytes, kStackBytes + kGuardBytes);
  }
};

thread_local HostThread t_host;

void to_scheduler() {
  HostThread& h = t_host;
#if defined(__x86_64__)
  kiln_emu_switch(&h.current->sp, h.scheduler_sp);
#else
  swapcontext(&h.current->context, &h.scheduler);
#endif
}

int linear_id(const kiln_emu_indices& ix) {
  return static_cast<int>(ix.thread_idx.x + ix.block_dim.x * (ix.thread_idx.y + ix.block_dim.y * ix.thread_idx.z));
}

// Releases the block barrier if every live thread has arrived.
void release_barrier(HostThread& h) {
  if (h.arrived > 0 && h.arrived >= h.live) {
    h.arrived = 0;
    ++h.generation;
    h.progressed = true;
  }
}

void release_warp(HostThread& h, Warp& w) {
  if (w.arrived > 0 && w.arrived >= w.live) {
    w.arrived = 0;
    ++w.generation;
    h.progressed = true;
  }
}

void fiber_main() {
  HostThread& h = t_host;
  h.progressed = true;
  h.entry(h.words);
  Fiber* f = h.current;
  f->done = true;
  --h.live;
  Warp& w = h.warps[static_cast<size_t>(linear_id(f->indices) / 32)];
  --w.live;
  release_barrier(h);
  release_warp(h, w);
  to_scheduler();
  KILN_CHECK(false) << "CUDA emulation: an ended thread was resumed";
}

void syncthreads() {
  HostThread& h = t_host;
  const uint64_t gen = h.generation;
  ++h.arrived;
  release_barrier(h);
  while (h.generation == gen) to_scheduler();
  h.progressed = true;
}

const unsigned long long* warp_exchange(unsigned long long bits) {
  HostThread& h = t_host;
  const int id = linear_id(h.current->indices);
  Warp& w = h.warps[static_cast<size_t>(id / 32)];
  const uint64_t gen = w.generation;
  unsigned long long* slots = w.slots[gen & 1];
  if (w.arrived == 0)
    for (int i = 0; i < 32; ++i) slots[i] = 0;  // lanes that do not publish read as 0
  slots[id % 32] = bits;
  ++w.arrived;
  release_warp(h, w);
  while (w.generation == gen) to_scheduler();
  h.progressed = true;
  return slots;
}

const kiln_emu_indices* indices() { return &t_host.current->indices; }

const kiln_emu_api kApi = {KILN_EMU_API_VERSION, indices, syncthreads, warp_exchange};

// Sizes the fiber pool for `n` threads and arms each fiber to start at fiber_main.
void prepare_fibers(HostThread& h, size_t n) {
  while (h.fibers.size() < n) {
    void* m = mmap(nullptr, kStackBytes + kGuardBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) throw RuntimeError("CUDA emulation: cannot map a fiber stack");
    mprotect(m, kGuardBytes, PROT_NONE);
    h.fibers.emplace_back();
    h.fibers.back().stack = static_cast<char*>(m) + kGuardBytes;
  }
  for (size_t i = 0; i < n; ++i) {
    Fiber& f = h.fibers[i];
    f.done = false;
#if defined(__x86_64__)
    // The first switch pops six zero registers and returns into fiber_main, with the stack
    // aligned as after a call.
    auto* top = reinterpret_cast<void**>(f.stack + kStackBytes);
    top[-1] = nullptr;
    top[-2] = reinterpret_cast<void*>(&fiber_main);
    for (int r = 3; r <= 8; ++r) top[-r] = nullptr;
    f.sp = top - 8;
#else
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack;
    f.context.uc_stack.ss_size = kStackBytes;
    f.context.uc_link = nullptr;
    makecontext(&f.context, fiber_main, 0);
#endif
  }
}

void run_block(HostThread& h, size_t n, const dim3& block_idx, const dim3& grid, const dim3& block) {
  prepare_fibers(h, n);
  size_t i = 0;
  for (unsigned int tz = 0; tz < block.z; ++tz)
    for (unsigned int ty = 0; ty < block.y; ++ty)
      for (unsigned int tx = 0; tx < block.x; ++tx, ++i)
        h.fibers[i].indices = {{tx, ty, tz}, block_idx, block, grid};
  h.live = static_cast<int>(n);
  h.arrived = 0;
  for (size_t w = 0; w < h.warps.size(); ++w) {
    h.warps[w].arrived = 0;
    h.warps[w].live = static_cast<int>(std::min<size_t>(32, n - 32 * w));
  }
  while (h.live > 0) {
    h.progressed = false;
    for (size_t f = 0; f < n; ++f) {
      if (h.fibers[f].done) continue;
      h.current = &h.fibers[f];
#if defined(__x86_64__)
      kiln_emu_switch(&h.scheduler_sp, h.current->sp);
#else
      swapcontext(&h.scheduler, &h.current->context);
#endif
    }
    KILN_CHECK(h.progressed || h.live == 0)
        << "CUDA emulation: every thread of the block waits and none can go on (threads wait at different barriers)";
  }
  h.current = nullptr;
}

}  // namespace

const void* emulation_api() { return &kApi; }

void run_emulated_grid(EmulatedEntry entry, const unsigned long long* words, Dim3 grid, Dim3 block) {
  HostThread& h = t_host;
  KILN_CHECK(h.current == nullptr) << "CUDA emulation: a grid launched from inside an emulated kernel";
  const size_t n = static_cast<size_t>(block.x) * block.y * block.z;
  KILN_CHECK(n >= 1 && n <= 1024) << "CUDA emulation: " << n << " threads per block";
  h.entry = entry;
  h.words = words;
  h.warps.assign((n + 31) / 32, Warp{});
  const dim3 g{grid.x, grid.y, grid.z}, b{block.x, block.y, block.z};
  for (unsigned int bz = 0; bz < grid.z; ++bz)
    for (unsigned int by = 0; by < grid.y; ++by)
      for (unsigned int bx = 0; bx < grid.x; ++bx) run_block(h, n, dim3{bx, by, bz}, g, b);
}

}  // namespace kiln::cuda
