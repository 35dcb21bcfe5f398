// Fusion and scheduling: the pending graph of a Function becomes a short list of kernels.
//
// Elementwise ops, broadcasts and views fuse into the loop of the value that consumes them.
// Reductions (and matmuls) over the same input shape and axes share one row kernel: each
// reduction is a phase over the reduced axes, later phases read earlier reductions as
// accumulators, and elementwise results of the input's shape or of the reduced shape that
// use those reductions are stored by the same kernel (softmax over rows is one kernel:
// max phase, sum phase, store phase). A value of a reduction's whole input shape that does not
// use the reduction but shares its inputs (the gradient beside the value of a sum) is stored
// by the reduction's first phase, in the same pass over the data. A value gets a buffer of its own only when it must: it
// is a result, it is used by two kernels (and costs something to recompute), a kernel
// needs it at a point where it cannot compute it (a reduction used outside its kernel), or
// it is a scatter_add (which runs serially). Values of size 0 need no kernel.
//
// The plan is found by lowering: start from the results, lower every kernel, and when a
// kernel meets a value it cannot compute, give that value a buffer and start again. Every
// round adds a value, so this ends.
#pragma once

#include <vector>

#include "compiler/ir/function.hpp"
#include "compiler/kernel/kernel.hpp"
#include "passes/lower.hpp"

namespace kiln {

// A launch that runs one of kiln's own routines instead of generated code.
enum class Builtin : uint8_t {
  None,
  // runtime/gemm.hpp: buffers {a, b, c}; builtin_args {batch, m, n, k, a_batch_stride,
  // b_batch_stride, a_transposed, b_transposed} (a transposed operand's buffer holds its
  // transpose, row-major); the dtype is the buffers' (f32 or f64).
  Gemm,
};
// "gemm", ... (for dumps and profiles); "kernel" for None.
const char* builtin_name(Builtin b);

// One kernel launch: the kernel and what it binds.
struct LaunchPlan {
  Builtin builtin = Builtin::None;
  std::vector<int64_t> builtin_args;
  kernel::Kernel kernel;                // empty for builtins
  std::vector<BufferRef> buffers;     // what each buffer parameter binds
  std::vector<int64_t> dims;          // launch dims
  std::vector<Scalar> params;         // launch scalar parameters (dtypes: kernel.params)
  std::vector<std::pair<const Node*, KernelBuilder::ParamField>> param_sources;  // where each came from
  std::vector<const Node*> outputs;   // the nodes this launch writes
  int64_t outer_extent = 1;           // product of the outer dims
  int64_t elementwise_extent = 1;     // outer * inner for Elementwise kernels
};

struct Schedule {
  std::vector<LaunchPlan> launches;  // in an order that respects their dependencies
  std::vector<const Node*> stored;   // every node given a buffer (results included)
  std::vector<int64_t> temp_bytes;   // temporaries (BufferRef::temp indexes this)
  // Every node the schedule refers to, kept alive: another thread may evaluate a node of
  // the function meanwhile and drop its operands.
  std::vector<NodeRef> nodes;
};

// Which reductions split, and into how many slices (passes/schedule_lower.cpp): rows of at
// least `min_row` elements, at most `max_rows` of them; each row into
// min(max_slices, total_slices / rows, row / min_slice) slices, when that is 2 or more. The
// count depends only on the shapes, so results do too. The defaults suit the CPU's thread
// pool; gpu() gives a device enough blocks to fill its multiprocessors.
struct SplitOptions {
  int64_t max_rows = 16;
  int64_t min_row = int64_t{1} << 15;
  int64_t max_slices = 64;
  int64_t total_slices = 1024;
  int64_t min_slice = 512;
  static SplitOptions gpu() { return {256, int64_t{1} << 15, 1024, 2048, 2048}; }
  // The slices per row for `rows` rows of `row` elements; below 2: no split.
  int64_t slices(int64_t rows, int64_t row) const;
};

// Choices that a schedule for code outside kiln's runtime must avoid (kilnc's objects), and
// choices that depend on the device.
struct ScheduleOptions {
  bool builtins = true;  // matmuls may run kiln's GEMM routine (else: row kernels)
  bool split = true;     // long reductions may split into two kernels (a size-dependent choice)
  SplitOptions splits;
};

// Schedules the nodes of `f` (its arguments are the values already known). The caller
// holds the graph read lock if other threads may evaluate nodes of f meanwhile.
Schedule schedule(const Function& f, const ScheduleOptions& options = {});

}  // namespace kiln
