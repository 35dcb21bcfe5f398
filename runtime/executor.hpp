// The executor: runs pending nodes as scheduled kernels (passes/schedule.hpp). It allocates a
// buffer for every value the schedule stores, launches the kernels in order (chunks spread
// over the thread pool), and returns the results' buffers; temporaries die with the call.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "compiler/ir/function.hpp"
#include "compiler/kernel/kernel.hpp"
#include "runtime/stage_dump.hpp"

namespace kiln {

// Runs one chunk [begin, end) of a kernel (see KernelFn in kernel.hpp).
using KernelLauncher =
    std::function<void(void* const* buffers, const int64_t* dims, const uint64_t* params, int64_t begin, int64_t end)>;
// Makes a kernel runnable (compiles it, finds it in a cache, or wraps an evaluator).
using PrepareKernel = std::function<KernelLauncher(const kernel::Kernel&)>;

// A launcher that runs `k` through the kernel IR evaluator (compiler/kernel/kernel_eval.hpp):
// the `kernels` backend, for testing the scheduler without a code generator.
KernelLauncher evaluator_launcher(const kernel::Kernel& k);

// `backend` names the launchers `prepare` makes (cached schedules hold them); `source`
// gives the backend's code of a kernel for dumps (none: no code files).
// Computes `results` (pending nodes) from the values known now; returns one buffer each.
std::vector<BufferPtr> execute(const std::vector<NodeRef>& results, const PrepareKernel& prepare,
                               const std::string& backend, const KernelSource& source = {});

// The dump of what execute() would do for `results`, without compiling or running anything
// (the backend's code texts aside): the graphs around each pass, the schedule, its kernels
// and the picture (see runtime/dump.hpp).
std::vector<DumpText> dump_schedule(const std::vector<NodeRef>& results, const DumpOptions& options,
                                    const KernelSource& source = {});

}  // namespace kiln
