// The `cuda-emu` backend (KILN_BACKEND=cuda-emu): a TEST VEHICLE for the CUDA code generator,
// never a backend for users. Scheduled kernels become CUDA C (compiler/cuda/), which the
// system C++ compiler builds for the host against kiln's emulation header; kernels run as
// emulated grids (every CUDA thread a fiber) over each chunk the executor hands out, GEMM
// launches as the emulated tiled matmul kernel. It checks, without a GPU, that generated
// kernels compute what the interpreter computes.
//
// The kernels of one schedule are compiled together, in one compiler run, when the first of
// them is launched; compiled units are cached in $KILN_CACHE_DIR/cuda-emu (or built in a
// temporary directory when the disk cache is off).
//
// Settings (environment, read once):
//   KILN_CUDA_EMU_BLOCK        threads per block of Elementwise kernels (default 128)
//   KILN_CUDA_EMU_ROWS_BLOCK   threads per block of Rows kernels, a multiple of 32 (default 64)
//   KILN_CUDA_EMU_MAX_BLOCKS   blocks per launch at most (default 4, so that grid-stride loops
//                              and several blocks per launch are exercised)
//   KILN_CUDA_EMU_PARAM_WORDS  launch words passed by value at most (default 500; beyond, the
//                              words go through a buffer: 0 sends every launch that way)
//   KILN_CUDA_EMU_RECORD       a directory: each generated kernel's CUDA C is written there as
//                              <symbol>.cu (the compile-only test compiles them with NVRTC)
#pragma once

#include "runtime/executor.hpp"
#include "runtime/stage_dump.hpp"

namespace kiln {

KernelLauncher prepare_cuda_emu_kernel(const kernel::Kernel& k);
BuiltinLauncher prepare_cuda_emu_builtin(Builtin builtin, const std::vector<int64_t>& args, DType dtype);
// The generated CUDA C of a kernel, for dumps (`.cu` files).
KernelSource cuda_kernel_source();

}  // namespace kiln
