// A plain evaluator of kernel IR on the host, one instruction at a time, with the launch ABI
// of compiled kernels. It checks the scheduler independently of any code generator (the
// `kernels` backend runs whole programs through it) and defines what a backend must compute
// for a kernel. Slow by design.
#pragma once

#include <cstdint>

#include "compiler/kernel/kernel.hpp"

namespace kiln::kernel {

void evaluate_kernel(const Kernel& k, void* const* buffers, const int64_t* dims, const uint64_t* params,
                     int64_t begin, int64_t end);

// The launch bits of a scalar parameter of dtype t (see KernelFn in kernel.hpp).
uint64_t param_bits(const Scalar& v, DType t);

}  // namespace kiln::kernel
