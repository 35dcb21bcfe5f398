// Launching a schedule: buffers by node, launch arguments, chunking over the thread pool.
//
// Chunking never changes results: elementwise chunks write disjoint elements, row kernels
// give each outer index (a whole reduction) to one chunk, serial kernels run as one chunk.
#include "runtime/executor.hpp"

#include <algorithm>
#include <unordered_map>

#include "compiler/kernel/kernel_eval.hpp"
#include "passes/schedule.hpp"
#include "runtime/host_allocator.hpp"
#include "runtime/stats.hpp"
#include "runtime/thread_pool.hpp"

namespace kiln {
namespace {

// Elements per elementwise chunk below which splitting costs more than it gains.
constexpr int64_t kElementwiseGrain = 1 << 14;
// Rows per chunk times inner work is unknown here: split rows evenly, a few chunks a thread.
constexpr int64_t kChunksPerThread = 4;

void launch(const LaunchPlan& lp, const KernelLauncher& run, void* const* buffers, const uint64_t* params) {
  const int64_t* dims = lp.dims.data();
  int64_t total = 0, grain = 1;
  switch (lp.kernel.kind) {
    case kernel::KernelKind::Elementwise:
      total = lp.elementwise_extent;
      grain = kElementwiseGrain;
      break;
    case kernel::KernelKind::Rows: total = lp.outer_extent; break;
    case kernel::KernelKind::Serial:
      run(buffers, dims, params, 0, lp.outer_extent);
      return;
  }
  if (total <= 0) return;
  int64_t chunks = std::min<int64_t>((total + grain - 1) / grain, num_threads() * kChunksPerThread);
  if (chunks <= 1) {
    run(buffers, dims, params, 0, total);
    return;
  }
  parallel_for(chunks, [&](int64_t c) {
    int64_t begin = total * c / chunks, end = total * (c + 1) / chunks;
    if (begin < end) run(buffers, dims, params, begin, end);
  });
}

}  // namespace

std::vector<BufferPtr> execute(const Function& f, const PrepareKernel& prepare) {
  Schedule s;
  std::unordered_map<const Node*, BufferPtr> values;
  {
    // Under one read lock: the arguments again (another thread may have evaluated nodes of
    // f since it was made, and those are now arguments too), the schedule, their values.
    GraphReadLock lock = lock_graph_for_reading();
    Function g = function_of(f.results, f.name);
    s = schedule(g);
    for (const Argument& a : g.args) {
      if (!a.node->value())
        throw RuntimeError("evaluate: argument %" + a.name + " (" + type_str(a.node->type()) + ") has no value");
      values[a.node.get()] = a.node->value();
    }
  }
  for (const Node* n : s.stored)
    values[n] = host_allocate(static_cast<size_t>(n->numel()) * dtype_size(n->dtype()));
  std::vector<BufferPtr> temps;
  for (int64_t bytes : s.temp_bytes) temps.push_back(host_allocate(static_cast<size_t>(bytes)));
  std::vector<void*> buffers;
  std::vector<uint64_t> params;
  for (const LaunchPlan& lp : s.launches) {
    KernelLauncher run = prepare(lp.kernel);
    buffers.clear();
    for (const BufferRef& b : lp.buffers) buffers.push_back(b.node ? values.at(b.node)->data() : temps[b.temp]->data());
    params.clear();
    for (size_t i = 0; i < lp.params.size(); ++i) params.push_back(kernel::param_bits(lp.params[i], lp.kernel.params[i]));
    launch(lp, run, buffers.data(), params.data());
    detail::count_launches(1);
  }
  std::vector<BufferPtr> results;
  for (const NodeRef& r : f.results) results.push_back(values.at(r.get()));
  return results;
}

}  // namespace kiln
