// Kernel IR -> CUDA C: the text of a kernel, the launch geometry it expects, and the words
// its launch passes.
//
// A generated translation unit is the prelude (cuda_prelude(): helper functions, guarded so
// that several units may be concatenated into one program) followed by one or more kernels.
// Each kernel is `extern "C" __global__` and named by its symbol (the kernel hash), so names
// in the code come only from hashes and indices.
//
// Launch ABI. Every kernel takes the same data as a CPU kernel (kernel.hpp's KernelFn) as one
// array of 64-bit words: the buffer pointers (device addresses), the dims, the scalar
// parameters' bits (kernel.hpp), then begin and end of the range to run (of the flat
// outer*inner range for Elementwise kernels, of the outer range otherwise). When the words fit
// in `max_param_words` they are passed by value (a `kiln_words<N>` kernel parameter);
// otherwise the kernel takes a pointer to them in device memory and the caller uploads them
// (WordsMode::DeviceBuffer). One block of `block` threads (x only) runs:
// - Elementwise: a grid-stride loop over the flat range, any grid size;
// - Rows: one row (outer index) per block at a time, grid-stride over the rows; each Reduce
//   phase is a block reduction in a fixed tree (see the prelude), so results depend only on
//   the data, the extents and the block size, which the code generator fixes;
// - Serial: one outer index per thread, grid-stride; each thread runs its index's phases and
//   their inner loops in order (scatter_add: a thread per lane off the axis adds that lane's
//   updates in the CPU's order; no atomics, deterministic).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/kernel/kernel.hpp"

namespace kiln::cuda {

struct CudaOptions {
  int elementwise_block = 256;  // threads per block of Elementwise and Serial kernels
  int rows_block = 256;         // threads per block of Rows kernels: a multiple of 32, <= 1024
  // Launch words passed by value up to this count (4 KiB of kernel parameters: 512 words);
  // beyond it the words go to a device buffer.
  int max_param_words = 500;
};

enum class WordsMode : uint8_t { ByValue, DeviceBuffer };

// A generated kernel: its code and what a launcher must know to run it.
struct CudaKernel {
  std::string symbol;
  std::string code;  // the kernel alone (append to cuda_prelude() for a translation unit)
  kernel::KernelKind kind = kernel::KernelKind::Elementwise;
  int block = 1;          // threads per block (blockDim.x)
  int num_words = 0;      // launch words
  WordsMode words_mode = WordsMode::ByValue;
  int shared_bytes = 0;   // static shared memory of the kernel (for occupancy decisions)
};

// The helper functions every generated unit starts with (compiler/cuda/prelude.cpp).
std::string_view cuda_prelude();

// Generates the kernel `symbol` for `k` (check_kernel(k) must hold).
CudaKernel generate_cuda(const kernel::Kernel& k, const std::string& symbol, const CudaOptions& options = {});

// The complete translation unit of one kernel: prelude + kernel.
std::string cuda_source(const kernel::Kernel& k, const std::string& symbol, const CudaOptions& options = {});

// The launch words for a chunk [begin, end) (see the launch ABI above). `buffers` are device
// addresses; dims and params as for KernelFn.
std::vector<uint64_t> launch_words(const kernel::Kernel& k, void* const* buffers, const int64_t* dims,
                                   const uint64_t* params, int64_t begin, int64_t end);

// The grid for a chunk [begin, end) of a kernel: enough blocks to cover it (a block per
// `block` elements or outer indices, or per row), at most `max_blocks` (the loops are grid-stride, so any
// count >= 1 is correct); 0 when the chunk is empty.
int64_t grid_blocks(const CudaKernel& kernel, int64_t begin, int64_t end, int64_t max_blocks);

// ---- The tiled matrix product (Builtin::Gemm) ----
// For each batch b: C_b = A_b @ B_b (runtime/gemm.hpp): words {a, b, c, batch, m, n, k,
// a_batch_stride, b_batch_stride, a_transposed, b_transposed}. Blocks of kGemmThreads threads,
// each block a kGemmBlock x kGemmBlock tile of C and each thread kGemmPerThread^2 elements of
// it, over slices of kGemmDepth values of k staged in shared memory; each element is one
// fused multiply-add chain over k in increasing order, starting from -0.0 (the interpreter's
// empty sum), so results depend neither on the grid nor on the tiling.
inline constexpr int kGemmThreads = 256;
inline constexpr int kGemmPerThread = 4;
inline constexpr int kGemmBlock = 64;
inline constexpr int kGemmDepth = 16;
inline constexpr int kGemmWords = 11;
// `f64`: double, else float. The symbol names the kernel.
std::string gemm_kernel_code(bool f64, const std::string& symbol);
// The launch words of a GEMM on buffers {a, b, c} with the scheduler's builtin_args
// (passes/schedule.hpp: batch, m, n, k, batch strides, transposed flags).
std::array<unsigned long long, kGemmWords> gemm_words(void* const* buffers, const std::vector<int64_t>& args);
std::string gemm_symbol(bool f64);
// Grid of a GEMM launch: x over column tiles, y over row tiles, z over the batch, each capped
// (the kernel loops over what the grid does not cover).
struct GemmGrid {
  int64_t x = 1, y = 1, z = 1;
};
GemmGrid gemm_grid(int64_t batch, int64_t m, int64_t n);

}  // namespace kiln::cuda
