// The `llvm` backend: scheduled kernels compiled by the LLVM CPU backend, through the
// kernel cache (memory, then disk). Built only with KILN_LLVM.
#pragma once

#include "runtime/executor.hpp"
#include "runtime/kernel_cache.hpp"

namespace kiln {

// The process-wide cache of LLVM-compiled kernels (created on first use from the
// environment's cache settings).
KernelCache& llvm_kernel_cache();

// Compiles (or finds) `k` and returns its launcher; the code stays loaded while the
// launcher lives.
KernelLauncher prepare_llvm_kernel(const kernel::Kernel& k);

// The optimised LLVM IR of a kernel (extension "ll"), for dumps.
KernelSource llvm_kernel_source();

}  // namespace kiln
