// Launching a schedule: buffers by node, launch arguments, chunking over the thread pool,
// and a cache of schedules so that re-running the same program costs no scheduling.
//
// Chunking never changes results: elementwise chunks write disjoint elements, row kernels
// give each outer index (a whole reduction) to one chunk, serial kernels run as one chunk.
//
// The schedule cache is keyed by the structure of the pending graph: ops, dtypes, shapes,
// attributes and how nodes connect, but not the values of literals or random seeds (those
// are launch parameters). A cached schedule refers to nodes by position (arguments first,
// then topological order) and keeps its prepared kernels, so a hit goes straight to launch.
//
// Dumps (KILN_DUMP) and the profiler (KILN_PROFILE) each cost one relaxed load per
// evaluation when off. A dumping evaluation skips the schedule cache, so that its passes and
// scheduler run and every evaluation's dump is whole.
#include "runtime/executor.hpp"

#include <algorithm>
#include <bit>
#include <list>
#include <cstring>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "compiler/kernel/kernel_eval.hpp"
#include "passes/pass_manager.hpp"
#include "passes/schedule.hpp"
#include "runtime/gemm.hpp"
#include "runtime/host_allocator.hpp"
#include "runtime/profile.hpp"
#include "runtime/stats.hpp"
#include "runtime/thread_pool.hpp"

namespace kiln {
namespace {

// Elements per elementwise chunk below which splitting costs more than it gains.
constexpr int64_t kElementwiseGrain = 1 << 14;
// Chunks per thread for row kernels (rows may differ in cost).
constexpr int64_t kChunksPerThread = 4;
constexpr size_t kScheduleCacheEntries = 512;

using ParamField = KernelBuilder::ParamField;

struct CachedLaunch {
  Builtin builtin = Builtin::None;
  std::vector<int64_t> builtin_args;
  DType dtype = DType::F32;  // builtins: the data dtype
  kernel::KernelKind kind;
  std::vector<int64_t> dims;
  std::vector<DType> param_types;
  std::vector<std::pair<int32_t, int32_t>> buffers;  // (node position, -1) or (-1, temp)
  std::vector<std::pair<int32_t, ParamField>> params;
  int64_t outer_extent;
  int64_t elementwise_extent;
  KernelLauncher run;           // generated kernels
  BuiltinLauncher run_builtin;  // builtins
  // For the profiler: the kernel's symbol (or the builtin's name), its hash (0 for builtins)
  // and, per buffer, the element size of an output (0 for an input).
  std::string name;
  uint64_t hash = 0;
  std::vector<int8_t> output_element_bytes;
};

// Values live in slots: first the pending graph's nodes by position, then the nodes that
// only the optimised graph has.
struct CachedSchedule {
  std::string backend;
  std::vector<uint64_t> key;
  std::vector<CachedLaunch> launches;
  int32_t num_slots = 0;
  std::vector<std::pair<int32_t, int64_t>> stored;  // (slot, bytes)
  std::vector<int64_t> temp_bytes;
  // Per result: its slot, and whether that slot is an argument's (the optimised result is
  // an input, e.g. x*1 -> x), whose buffer is copied so that results never alias inputs.
  std::vector<std::pair<int32_t, bool>> results;
};

void push_ints(std::vector<uint64_t>& key, const std::vector<int64_t>& v) {
  key.push_back(v.size());
  key.insert(key.end(), v.begin(), v.end());
}

bool is_leaf(const Node* n) { return n->evaluated() || n->op() == Op::Param; }

// Node -> position in one walk of structure_key: open addressing in a table kept per thread,
// whose entries count only when stamped with the current walk's number, so that a walk on a
// cache hit neither allocates nor clears anything.
class NodePositions {
 public:
  void start_walk() {
    if (++walk_ == 0 || table_.size() > (size_t{1} << 16)) {  // wrapped, or left large by a big graph
      table_.assign(kInitialSize, Entry{});
      walk_ = 1;
    }
    used_ = 0;
  }
  // The position of `n`, or -1.
  int32_t find(const Node* n) const {
    for (size_t i = slot(n);; i = (i + 1) & (table_.size() - 1)) {
      const Entry& e = table_[i];
      if (e.walk != walk_) return -1;
      if (e.node == n) return e.pos;
    }
  }
  void add(const Node* n, int32_t pos) {
    if (2 * (used_ + 1) > table_.size()) grow();
    place(n, pos);
    ++used_;
  }

 private:
  struct Entry {
    const Node* node = nullptr;
    int32_t pos = 0;
    uint32_t walk = 0;
  };
  static constexpr size_t kInitialSize = 256;

  size_t slot(const Node* n) const {
    return static_cast<size_t>((reinterpret_cast<uintptr_t>(n) >> 4) * 0x9e3779b97f4a7c15ull >> 20) &
           (table_.size() - 1);
  }
  void place(const Node* n, int32_t pos) {
    size_t i = slot(n);
    while (table_[i].walk == walk_) i = (i + 1) & (table_.size() - 1);
    table_[i] = {n, pos, walk_};
  }
  void grow() {
    std::vector<Entry> old(table_.size() * 2);
    old.swap(table_);
    for (const Entry& e : old)
      if (e.walk == walk_) place(e.node, e.pos);
  }

  std::vector<Entry> table_ = std::vector<Entry>(kInitialSize);
  uint32_t walk_ = 0;
  size_t used_ = 0;
};

// What a structure_key walk needs, kept per thread so that its buffers keep their capacity.
struct WalkScratch {
  NodePositions pos;
  std::vector<uint64_t> key;
  std::vector<std::pair<Node*, size_t>> stack;
};

// Not inlined, so that the compiler sees a plain pointer: uses of a thread_local in a shared
// library each cost a call to __tls_get_addr.
[[gnu::noinline]] WalkScratch& walk_scratch() {
  thread_local WalkScratch s;
  return s;
}

// One walk over what `results` depend on: `nodes` gets every node once, operands before
// users (depth-first from the results, operands left to right); evaluated nodes and params
// are leaves (the arguments, see pending_function). Returns the structure key: everything
// the scheduler's decisions depend on, with operands as positions in `nodes`. The key lives
// in a per-thread buffer, valid until this thread's next call.
const std::vector<uint64_t>& structure_key(const std::vector<NodeRef>& results, std::vector<NodeRef>& nodes) {
  WalkScratch& scratch = walk_scratch();
  NodePositions& pos = scratch.pos;
  std::vector<uint64_t>& key = scratch.key;
  std::vector<std::pair<Node*, size_t>>& stack = scratch.stack;
  pos.start_walk();
  key.clear();
  nodes.reserve(64);
  auto emit = [&](Node* n) {
    pos.add(n, static_cast<int32_t>(nodes.size()));
    nodes.emplace_back(n);
    if (is_leaf(n)) {
      key.push_back(~uint64_t{0});
      key.push_back(static_cast<uint64_t>(n->dtype()));
      push_ints(key, n->shape());
      return;
    }
    // One word for the op, dtype, operand count and which attribute lists are there (most
    // nodes have none), then the shape, the operands' positions and the lists present.
    const Attrs& a = n->attrs();
    const std::vector<int64_t>* lists[] = {&a.axes, &a.perm, &a.start, &a.step, &a.low, &a.high};
    uint64_t present = 0;
    for (size_t i = 0; i < std::size(lists); ++i)
      if (!lists[i]->empty()) present |= uint64_t{1} << i;
    if (a.axis != 0) present |= uint64_t{1} << std::size(lists);
    key.push_back(static_cast<uint64_t>(n->op()) | static_cast<uint64_t>(n->dtype()) << 16 |
                  static_cast<uint64_t>(n->operands().size()) << 24 | present << 56);
    push_ints(key, n->shape());
    for (const NodeRef& o : n->operands()) key.push_back(static_cast<uint64_t>(pos.find(o.get())));
    for (size_t i = 0; i < std::size(lists); ++i)
      if (present >> i & 1) push_ints(key, *lists[i]);
    if (a.axis != 0) key.push_back(static_cast<uint64_t>(a.axis));
    if (n->op() == Op::Pad || n->op() == Op::Constant) {  // baked into the kernel (a literal's is not)
      key.push_back(a.value.is_float);
      key.push_back(std::bit_cast<uint64_t>(a.value.f));
      key.push_back(static_cast<uint64_t>(a.value.i));
    }
  };
  stack.clear();
  for (const NodeRef& r : results) {
    if (pos.find(r.get()) >= 0) continue;
    stack.emplace_back(r.get(), 0);
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      std::span<const NodeRef> ops = is_leaf(n) ? std::span<const NodeRef>() : n->operands();
      if (next < ops.size()) {
        Node* m = ops[next++].get();
        if (pos.find(m) < 0) stack.emplace_back(m, 0);
        continue;
      }
      Node* done = n;
      stack.pop_back();
      if (pos.find(done) < 0) emit(done);
    }
  }
  key.push_back(results.size());
  for (const NodeRef& r : results) key.push_back(static_cast<uint64_t>(pos.find(r.get())));
  return key;
}

// The pending function of a structure_key walk: its leaves, in walk order, are the arguments.
Function pending_function(const std::vector<NodeRef>& results, const std::vector<NodeRef>& nodes) {
  Function g;
  for (const NodeRef& n : nodes)
    if (is_leaf(n.get())) g.args.push_back({n, "arg" + std::to_string(g.args.size())});
  g.results = results;
  return g;
}

uint64_t hash_key(const std::vector<uint64_t>& key) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t v : key) h = (h ^ v) * 0x100000001b3ull + (h >> 29);
  return h;
}

class ScheduleCache {
 public:
  std::shared_ptr<const CachedSchedule> find(uint64_t h, const std::string& backend, const std::vector<uint64_t>& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(h);
    if (it == map_.end()) return nullptr;
    for (auto& e : it->second)
      if (e->backend == backend && e->key == key) return e;
    return nullptr;
  }
  void insert(uint64_t h, std::shared_ptr<const CachedSchedule> e) {
    std::lock_guard<std::mutex> lock(mu_);
    map_[h].push_back(e);
    order_.push_back(h);
    if (order_.size() > kScheduleCacheEntries) {  // drop the oldest entry
      auto& bucket = map_[order_.front()];
      bucket.erase(bucket.begin());
      if (bucket.empty()) map_.erase(order_.front());
      order_.pop_front();
    }
  }

 private:
  std::mutex mu_;
  std::unordered_map<uint64_t, std::vector<std::shared_ptr<const CachedSchedule>>> map_;
  std::list<uint64_t> order_;
};

ScheduleCache& schedule_cache() {
  static ScheduleCache* c = new ScheduleCache();
  return *c;
}

// A cacheable copy of `s`, the schedule of `opt` (the optimised form of the function whose
// nodes are `nodes`): nodes replaced by slots.
std::shared_ptr<CachedSchedule> make_cached(const Schedule& s, const std::vector<NodeRef>& nodes, const Function& opt) {
  std::unordered_map<const Node*, int32_t> slot;
  for (size_t i = 0; i < nodes.size(); ++i) slot[nodes[i].get()] = static_cast<int32_t>(i);
  const int32_t known = static_cast<int32_t>(nodes.size());
  int32_t next = known;
  auto slot_of = [&](const Node* n) {
    auto [it, added] = slot.emplace(n, next);
    if (added) ++next;
    return it->second;
  };
  auto c = std::make_shared<CachedSchedule>();
  for (const LaunchPlan& lp : s.launches) {
    CachedLaunch l;
    l.builtin = lp.builtin;
    l.builtin_args = lp.builtin_args;
    if (!lp.kernel.buffers.empty()) l.dtype = lp.kernel.buffers[0].dtype;
    l.kind = lp.kernel.kind;
    l.dims = lp.dims;
    l.param_types = lp.kernel.params;
    for (const BufferRef& b : lp.buffers) l.buffers.emplace_back(b.node ? slot_of(b.node) : -1, b.temp);
    for (const auto& [node, field] : lp.param_sources) {
      int32_t p = slot_of(node);
      KILN_CHECK(p < known) << "a launch parameter (" << op_name(node->op()) << ") that the passes made up";
      l.params.emplace_back(p, field);
    }
    l.outer_extent = lp.outer_extent;
    l.elementwise_extent = lp.elementwise_extent;
    l.hash = lp.builtin == Builtin::None ? kernel::kernel_hash(lp.kernel) : 0;
    l.name = lp.builtin == Builtin::None ? kernel::kernel_symbol(lp.kernel) : builtin_name(lp.builtin);
    for (const kernel::BufferParam& b : lp.kernel.buffers)
      l.output_element_bytes.push_back(static_cast<int8_t>(b.output ? dtype_size(b.dtype) : 0));
    c->launches.push_back(std::move(l));
  }
  for (const Node* n : s.stored)
    c->stored.emplace_back(slot_of(n), n->numel() * static_cast<int64_t>(dtype_size(n->dtype())));
  std::unordered_set<const Node*> args;
  for (const Argument& a : opt.args) args.insert(a.node.get());
  for (const NodeRef& r : opt.results) c->results.emplace_back(slot_of(r.get()), args.count(r.get()) > 0);
  c->num_slots = next;
  c->temp_bytes = s.temp_bytes;
  return c;
}

Scalar param_value(const Node& n, ParamField field) {
  switch (field) {
    case ParamField::Value: return n.attrs().value;
    case ParamField::Seed: return Scalar::of_int(static_cast<int64_t>(n.attrs().seed));
    case ParamField::Stream: return Scalar::of_int(static_cast<int64_t>(n.attrs().stream));
  }
  return {};
}

void launch(const CachedLaunch& l, void* const* buffers, const uint64_t* params, bool split) {
  if (l.builtin != Builtin::None) return l.run_builtin(buffers);
  const int64_t* dims = l.dims.data();
  int64_t total = 0, grain = 1;
  switch (l.kind) {
    case kernel::KernelKind::Elementwise:
      total = l.elementwise_extent;
      grain = kElementwiseGrain;
      break;
    case kernel::KernelKind::Rows:
    case kernel::KernelKind::Serial: total = l.outer_extent; break;
  }
  if (total <= 0) return;
  if (!split) return l.run(buffers, dims, params, 0, total);
  int64_t chunks = std::min<int64_t>((total + grain - 1) / grain, num_threads() * kChunksPerThread);
  if (chunks <= 1) {
    l.run(buffers, dims, params, 0, total);
    return;
  }
  parallel_for(chunks, [&](int64_t c) {
    int64_t begin = total * c / chunks, end = total * (c + 1) / chunks;
    if (begin < end) l.run(buffers, dims, params, begin, end);
  });
}

// What watches the passes: the dump records each graph, the profiler each pass's time (a
// pass starts when the previous callback returns; verification is not counted).
PipelineOptions watch_passes(StageDump* stages) {
  PipelineOptions o;
  const bool profile = profiling();
  if (!stages && !profile) return o;
  o.after_pass = [stages, profile, start = detail::profile_now_ns()](std::string_view pass, const Function& f,
                                                                      double seconds) mutable {
    if (profile && pass != "input")
      detail::profile_event("pass", pass, start, start + static_cast<int64_t>(seconds * 1e9));
    if (stages) stages->add_graph(pass, f);
    start = detail::profile_now_ns();
  };
  return o;
}

// The passes and the scheduler on the pending function `g`: sets `opt` to the optimised
// function and returns its schedule. Records both in `stages` when dumping.
Schedule plan(const Function& g, Function& opt, StageDump* stages, const ScheduleOptions& options) {
  opt = optimize(g, watch_passes(stages));
  Schedule s;
  {
    detail::ProfileScope scope("schedule", "schedule");
    s = schedule(opt, options);
  }
  if (stages) stages->add_schedule(opt, s);
  return s;
}

void launch_profiled(const CachedLaunch& l, void* const* buffers, const uint64_t* params, bool split,
                     const std::vector<size_t>& sizes) {
  int64_t start = detail::profile_now_ns();
  launch(l, buffers, params, split);
  int64_t end = detail::profile_now_ns();
  int64_t bytes = 0, elements = 0;
  for (size_t b = 0; b < sizes.size(); ++b) {
    bytes += static_cast<int64_t>(sizes[b]);
    if (l.output_element_bytes[b]) elements += static_cast<int64_t>(sizes[b]) / l.output_element_bytes[b];
  }
  detail::profile_launch(l.name, l.hash, elements, bytes, start, end);
}

// The schedule of the pending function `g` (structure `key`, nodes `nodes`): from the
// cache, or planned, prepared and cached. A dumping evaluation (`stages`) always plans and
// leaves the cache alone, so that its dump is whole.
std::shared_ptr<const CachedSchedule> find_or_plan(const std::vector<NodeRef>& results, const std::vector<uint64_t>& key,
                                                   const std::vector<NodeRef>& nodes, const PrepareKernel& prepare,
                                                   const PrepareBuiltin& prepare_builtin, const std::string& backend,
                                                   const ScheduleOptions& options, StageDump* stages) {
  uint64_t h = hash_key(key);
  if (!stages)
    if (std::shared_ptr<const CachedSchedule> hit = schedule_cache().find(h, backend, key)) return hit;
  std::vector<uint64_t> own_key = key;  // `key` is structure_key's buffer, which planning may reuse
  Function opt;
  Schedule s = plan(pending_function(results, nodes), opt, stages, options);
  auto c = make_cached(s, nodes, opt);
  c->backend = backend;
  c->key = std::move(own_key);
  // Kernels are prepared in parallel: a cold compile (LLVM, NVRTC) takes tens of
  // milliseconds per kernel, and the kernel cache lets threads compile distinct kernels at
  // once (the same kernel twice is compiled once, the other thread waiting for it).
  parallel_for(static_cast<int64_t>(s.launches.size()), [&](int64_t i) {
    CachedLaunch& l = c->launches[static_cast<size_t>(i)];
    if (l.builtin == Builtin::None)
      l.run = prepare(s.launches[static_cast<size_t>(i)].kernel);
    else
      l.run_builtin = prepare_builtin(l.builtin, l.builtin_args, l.dtype);
  });
  if (!stages) schedule_cache().insert(h, c);
  return c;
}

// Launches the kernels of `c` in order on the buffers of `values` (by slot) and `temps`;
// `split` as in ExecTarget.
void launch_all(const CachedSchedule& c, const std::vector<NodeRef>& nodes, const std::vector<BufferPtr>& values,
                const std::vector<BufferPtr>& temps, bool split, bool profile) {
  std::vector<void*> buffers;
  std::vector<uint64_t> params;
  std::vector<size_t> sizes;  // buffer bytes, when profiling
  for (const CachedLaunch& l : c.launches) {
    buffers.clear();
    for (auto [p, t] : l.buffers) buffers.push_back(p >= 0 ? values[p]->address() : temps[t]->address());
    params.clear();
    for (size_t i = 0; i < l.params.size(); ++i)
      params.push_back(kernel::param_bits(param_value(*nodes[l.params[i].first], l.params[i].second), l.param_types[i]));
    if (profile) [[unlikely]] {
      sizes.clear();
      for (auto [p, t] : l.buffers) sizes.push_back(p >= 0 ? values[p]->bytes() : temps[t]->bytes());
      launch_profiled(l, buffers.data(), params.data(), split, sizes);
    } else {
      launch(l, buffers.data(), params.data(), split);
    }
  }
  detail::count_launches(static_cast<int64_t>(c.launches.size()));
}

}  // namespace

BuiltinLauncher host_builtin_launcher(Builtin builtin, const std::vector<int64_t>& args, DType dtype) {
  switch (builtin) {
    case Builtin::Gemm: {
      KILN_CHECK(args.size() == 8 && (dtype == DType::F32 || dtype == DType::F64)) << "bad GEMM launch";
      const std::vector<int64_t> g = args;
      if (dtype == DType::F32)
        return [g](void* const* b) {
          gemm_f32(static_cast<const float*>(b[0]), static_cast<const float*>(b[1]), static_cast<float*>(b[2]), g[0],
                   g[1], g[2], g[3], g[4], g[5], g[6] != 0, g[7] != 0);
        };
      return [g](void* const* b) {
        gemm_f64(static_cast<const double*>(b[0]), static_cast<const double*>(b[1]), static_cast<double*>(b[2]), g[0],
                 g[1], g[2], g[3], g[4], g[5], g[6] != 0, g[7] != 0);
      };
    }
    case Builtin::None: break;
  }
  KILN_CHECK(false) << "not a builtin launch";
  return {};
}

const ExecTarget& host_target() {
  static const ExecTarget t = [] {
    ExecTarget t;
    t.allocate = [](size_t bytes) { return host_allocate(bytes); };
    t.copy = [](const Buffer& src) {
      BufferPtr copy = host_allocate(src.bytes());
      std::memcpy(copy->data(), src.data(), src.bytes());
      return copy;
    };
    return t;
  }();
  return t;
}

KernelLauncher evaluator_launcher(const kernel::Kernel& k) {
  // The launcher owns its kernel: cached schedules outlive the scheduler's copy.
  auto owned = std::make_shared<kernel::Kernel>(k);
  return [owned](void* const* b, const int64_t* d, const uint64_t* p, int64_t begin, int64_t end) {
    kernel::evaluate_kernel(*owned, b, d, p, begin, end);
  };
}

std::vector<BufferPtr> execute(const std::vector<NodeRef>& results, const PrepareKernel& prepare,
                               const std::string& backend, const KernelSource& source,
                               const PrepareBuiltin& prepare_builtin, const ExecTarget& target,
                               std::span<const ParamValue> params) {
  const bool profile = profiling();
  const int64_t start = profile ? detail::profile_now_ns() : 0;
  std::optional<StageDump> stages;
  if (dumping()) [[unlikely]]
    stages.emplace(DumpOptions{}, source);
  std::vector<NodeRef> nodes;
  std::vector<BufferPtr> values;
  std::shared_ptr<const CachedSchedule> cached;
  {
    // Under one read lock (no node changes meanwhile): the structure, the schedule on a
    // miss, and the arguments' values.
    GraphReadLock lock = lock_graph_for_reading();
    cached = find_or_plan(results, structure_key(results, nodes), nodes, prepare, prepare_builtin, backend, target.schedule,
                          stages ? &*stages : nullptr);
    values.resize(static_cast<size_t>(cached->num_slots));
    for (size_t i = 0; i < nodes.size(); ++i) {
      const Node& n = *nodes[i];
      if (!n.evaluated() && n.op() != Op::Param) continue;
      const BufferPtr* value = &n.value();
      if (!*value)
        for (const ParamValue& p : params)
          if (p.param == &n) value = &p.value;
      if (!*value)
        throw RuntimeError("evaluate: parameter " + (n.name().empty() ? std::string("(unnamed)") : "%" + n.name()) +
                           " (" + type_str(n.type()) + ") has no value");
      // A value elsewhere would reach the kernels as an address they cannot use (a host
      // kernel reading device memory): the graph builder must have put the node there.
      KILN_CHECK((*value)->device() == target.device)
          << "evaluating on " << target.device.str() << ": an argument (" << op_name(n.op()) << " "
          << type_str(n.type()) << ") holds a value on " << (*value)->device().str();
      values[i] = *value;
    }
  }
  if (stages) write_dump(stages->finish());
  if (profile) detail::profile_event("evaluate", "trace", start, detail::profile_now_ns());
  for (auto [p, bytes] : cached->stored) values[p] = target.allocate(static_cast<size_t>(bytes));
  std::vector<BufferPtr> temps;
  for (int64_t bytes : cached->temp_bytes) temps.push_back(target.allocate(static_cast<size_t>(bytes)));
  launch_all(*cached, nodes, values, temps, target.split, profile);
  std::vector<BufferPtr> out;
  for (auto [p, is_argument] : cached->results) {
    if (!is_argument) {
      out.push_back(values[p]);
      continue;
    }
    out.push_back(target.copy(*values[p]));
  }
  return out;
}

std::vector<DumpText> dump_schedule(const std::vector<NodeRef>& results, const DumpOptions& options,
                                    const KernelSource& source, const ScheduleOptions& schedule_options) {
  StageDump stages(options, source);
  {
    GraphReadLock lock = lock_graph_for_reading();
    std::vector<NodeRef> nodes;
    structure_key(results, nodes);
    Function opt;
    plan(pending_function(results, nodes), opt, &stages, schedule_options);
  }
  return stages.finish();
}

}  // namespace kiln
