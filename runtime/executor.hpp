// The executor: runs pending nodes as scheduled kernels (passes/schedule.hpp). It allocates a
// buffer for every value the schedule stores, launches the kernels in order (chunks spread
// over the thread pool), and returns the results' buffers; temporaries die with the call.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "compiler/ir/function.hpp"
#include "compiler/kernel/kernel.hpp"
#include "runtime/evaluate.hpp"
#include "runtime/stage_dump.hpp"
#include "passes/schedule.hpp"

namespace kiln {

// Runs one chunk [begin, end) of a kernel (see KernelFn in kernel.hpp).
using KernelLauncher =
    std::function<void(void* const* buffers, const int64_t* dims, const uint64_t* params, int64_t begin, int64_t end)>;
// Makes a kernel runnable (compiles it, finds it in a cache, or wraps an evaluator).
using PrepareKernel = std::function<KernelLauncher(const kernel::Kernel&)>;

// Runs a builtin launch (one of kiln's own routines, passes/schedule.hpp) on its buffers.
using BuiltinLauncher = std::function<void(void* const* buffers)>;
// Makes a builtin launch runnable on a backend; its arguments and dtype are fixed per launch
// (they follow from shapes, which cached schedules are keyed by).
using PrepareBuiltin = std::function<BuiltinLauncher(Builtin, const std::vector<int64_t>& args, DType dtype)>;

// kiln's host routines for the builtins (runtime/gemm.hpp): what the CPU backends run.
BuiltinLauncher host_builtin_launcher(Builtin builtin, const std::vector<int64_t>& args, DType dtype);

// A launcher that runs `k` through the kernel IR evaluator (compiler/kernel/kernel_eval.hpp):
// the `kernels` backend, for testing the scheduler without a code generator.
KernelLauncher evaluator_launcher(const kernel::Kernel& k);

// Where a backend's values live and how its launches run.
struct ExecTarget {
  std::function<BufferPtr(size_t bytes)> allocate;  // a buffer for a stored value or a temporary
  std::function<BufferPtr(const Buffer&)> copy;      // a new buffer holding a copy
  // true: a launch is split into chunks over the thread pool (host code); false: one call
  // covers the whole range (a device launch spreads the work itself).
  bool split = true;
  // Where the buffers are: every argument's value must be there (launches get raw addresses).
  Device device = Device::cpu();
  // The scheduler's device-dependent choices (the schedule cache is per backend name, so a
  // backend keeps one setting).
  ScheduleOptions schedule;
};
// Host memory (host_allocator.hpp), chunks over the thread pool.
const ExecTarget& host_target();

// `backend` names the launchers `prepare` makes (cached schedules hold them); `source`
// gives the backend's code of a kernel for dumps (none: no code files); `target` says where
// values live and how launches run.
// Computes `results` (pending nodes) from the values known now and `params` (values for
// params without one); returns one buffer each and stores nothing in the nodes.
std::vector<BufferPtr> execute(const std::vector<NodeRef>& results, const PrepareKernel& prepare,
                               const std::string& backend, const KernelSource& source = {},
                               const PrepareBuiltin& prepare_builtin = host_builtin_launcher,
                               const ExecTarget& target = host_target(), std::span<const ParamValue> params = {});

// The dump of what execute() would do for `results`, without compiling or running anything
// (the backend's code texts aside): the graphs around each pass, the schedule, its kernels
// and the picture (see runtime/dump.hpp).
std::vector<DumpText> dump_schedule(const std::vector<NodeRef>& results, const DumpOptions& options,
                                    const KernelSource& source = {}, const ScheduleOptions& schedule_options = {});

}  // namespace kiln
