// The `cuda` backend: evaluations whose results live on a CUDA device. Scheduled kernels
// become CUDA C (compiler/cuda/), compiled by NVRTC for the device's architecture (CUBIN, or
// PTX when NVRTC returns no CUBIN) and loaded with cuModuleLoadData, through the kernel
// cache (memory, then disk; key: kernel IR hash, hash of the CUDA C, sm_XX, NVRTC version,
// NVRTC options, block sizes). Matrix products run as compiler/cuda's tiled GEMM kernel. All
// buffers are device allocations (cuda_device.hpp); launches go to the device's stream and
// run asynchronously until something reads a value back.
//
// With KILN_DUMP=<dir>, each evaluation's dump holds its kernels' CUDA C
// (kernel-NN-k<hash>.cu), and a unit NVRTC rejects is written to <dir>/nvrtc-error-<symbol>.cu,
// which the error names (the evaluation's own dump is not written when its kernels fail).
#pragma once

#include "runtime/executor.hpp"
#include "runtime/kernel_cache.hpp"

namespace kiln {

// Computes `pending` (nodes whose device is cuda:index) on that device; `params` as in
// execute().
std::vector<BufferPtr> execute_cuda(const std::vector<NodeRef>& pending, int index,
                                    std::span<const ParamValue> params = {});

// The kernel cache of cuda:index (created on first use; throws DeviceError without it).
KernelCache& cuda_kernel_cache(int index);

// Compiles a CUDA C translation unit defining `symbol` for sm_<arch>: CUBIN, or PTX when NVRTC
// gives no CUBIN. A rejected unit throws cuda::NvrtcError with NVRTC's log, naming the kept
// source file when dumping (above).
std::vector<char> cuda_compile_unit(const std::string& source, const std::string& symbol, int arch);

}  // namespace kiln
