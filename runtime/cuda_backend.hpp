// The `cuda` backend: evaluations whose results live on a CUDA device. Scheduled kernels
// become CUDA C (compiler/cuda/), compiled by NVRTC for the device's architecture (CUBIN, or
// PTX when NVRTC returns no CUBIN) and loaded with cuModuleLoadData, through the kernel
// cache (memory, then disk; key: kernel IR hash, hash of the CUDA C, sm_XX, NVRTC version,
// NVRTC options, block sizes). Matrix products run as compiler/cuda's tiled GEMM kernel. All
// buffers are device allocations (cuda_device.hpp); launches go to the device's stream and
// run asynchronously until something reads a value back.
//
// With KILN_DUMP=<dir>, each kernel's CUDA C is written to <dir>/<symbol>.cu before it is
// compiled, and an NVRTC error names that file.
#pragma once

#include "runtime/executor.hpp"
#include "runtime/kernel_cache.hpp"

namespace kiln {

// Computes `pending` (nodes whose device is cuda:index) on that device.
std::vector<BufferPtr> execute_cuda(const std::vector<NodeRef>& pending, int index);

// The kernel cache of cuda:index (created on first use; throws DeviceError without it).
KernelCache& cuda_kernel_cache(int index);

}  // namespace kiln
