// The scheduler (see schedule.hpp): plan kernels from the values that need buffers, lower
// them (schedule_lower.cpp), and grow the set of buffered values until every kernel lowers;
// then order the launches by their dependencies.
#include "passes/schedule.hpp"

#include <algorithm>
#include <map>

#include "passes/scheduler.hpp"

namespace kiln {
namespace scheduling {

bool is_matrix_transpose(const Node* o) {
  if (o->op() != Op::Permute || o->rank() < 2) return false;
  const std::vector<int64_t>& perm = o->attrs().perm;
  const int64_t r = o->rank();
  for (int64_t i = 0; i < r - 2; ++i)
    if (perm[static_cast<size_t>(i)] != i) return false;
  return perm[static_cast<size_t>(r - 2)] == r - 1 && perm[static_cast<size_t>(r - 1)] == r - 2;
}

bool gemm_eligible(const Node* n) {
  if (n->op() != Op::Matmul || (n->dtype() != DType::F32 && n->dtype() != DType::F64)) return false;
  if (n->numel() == 0) return false;
  // A matrix times a vector (one column) is a row reduction that reads A once, contiguous:
  // a row kernel does it at memory speed, where the GEMM would pack A to use it once. When A
  // is a transpose, the row kernel would read it down columns; the GEMM streams it instead.
  // A vector times the transpose of a matrix is the mirror case: rows of that matrix.
  const Node* a = n->operands()[0].get();
  const Node* b = n->operands()[1].get();
  if (n->shape().back() == 1 && !is_matrix_transpose(a)) return false;
  if (n->shape()[n->rank() - 2] == 1 && is_matrix_transpose(b)) return false;
  Shape batch(n->shape().begin(), n->shape().end() - 2);
  for (const NodeRef& o : n->operands()) {
    Shape ob(o->shape().begin(), o->shape().end() - 2);
    if (numel(ob) == 1 || o->numel() == 0) continue;
    Shape padded(batch.size() - std::min(batch.size(), ob.size()), 1);
    padded.insert(padded.end(), ob.begin(), ob.end());
    if (padded != batch) return false;
  }
  return true;
}

RowSpace row_space(const Node* r) {
  if (r->op() == Op::Matmul) {
    const Node* a = r->operands()[0].get();
    Shape s = r->shape();
    s.push_back(a->shape().back());
    return {s, {static_cast<int64_t>(r->rank())}};
  }
  return {r->operands()[0]->shape(), r->attrs().axes};
}

Shape transposed_shape(Shape s) {
  std::swap(s[s.size() - 1], s[s.size() - 2]);
  return s;
}

DType wide_type(const Node* r) {
  DType t = r->dtype();
  return is_float(t) && t != DType::F64 ? DType::F64 : t;
}

bool Scheduler::shares_work(const Node* r, const KernelPlan& p) const {
  // What r computes inline, and the inputs it reads.
  std::unordered_set<const Node*> mine;
  std::vector<const Node*> stack{r};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!mine.insert(n).second || args_.count(n) || (n != r && stored_.count(n))) continue;
    for (const NodeRef& o : n->operands()) stack.push_back(o.get());
  }
  std::unordered_set<const Node*> self(p.outputs.begin(), p.outputs.end());
  for (const Node* red : p.reductions)
    if (reaches(red, mine, self)) return true;
  return false;
}

std::vector<KernelPlan> Scheduler::plan() const {
  std::vector<const Node*> roots(roots_.begin(), roots_.end());
  std::sort(roots.begin(), roots.end(), [&](const Node* a, const Node* b) { return pos_.at(a) < pos_.at(b); });
  std::vector<KernelPlan> plans;
  std::map<RowSpace, size_t> rows;
  std::map<Shape, size_t> elementwise;
  for (const Node* r : roots) {
    if (r->op() == Op::ScatterAdd || (gemm(r) && stored_.count(r))) {
      KernelPlan p;
      p.kind = kernel::KernelKind::Serial;
      p.gemm = r->op() == Op::Matmul;
      p.shape = r->shape();
      p.outputs = {r};
      plans.push_back(std::move(p));
    } else if (is_reduction(r)) {
      RowSpace s = row_space(r);
      auto it = own_kernel_.count(r) ? rows.end() : rows.find(s);
      if (it == rows.end()) {
        KernelPlan p;
        p.kind = kernel::KernelKind::Rows;
        p.space = s;
        plans.push_back(std::move(p));
        it = own_kernel_.count(r) ? rows.end() : rows.emplace(s, plans.size() - 1).first;
      }
      KernelPlan& p = it == rows.end() ? plans.back() : plans[it->second];
      p.reductions.push_back(r);
      if (stored_.count(r)) p.outputs.push_back(r);
    }
  }
  for (const Node* r : roots) {
    if (r->op() == Op::ScatterAdd || is_reduction(r)) continue;  // (gemm matmuls included)
    // An elementwise value of a row kernel's shape (or reduced shape) that uses its
    // reductions is stored by that kernel.
    bool fused = false;
    for (KernelPlan& p : plans) {
      if (fused || no_fuse_.count(r) || p.kind != kernel::KernelKind::Rows) continue;
      if (r->shape() != p.space.shape && r->shape() != p.space.kept()) continue;
      std::unordered_set<const Node*> reds(p.reductions.begin(), p.reductions.end());
      std::unordered_set<const Node*> self(p.outputs.begin(), p.outputs.end());
      if (!reaches(r, reds, self)) continue;
      p.outputs.push_back(r);
      fused = true;
    }
    // Else a value of a row kernel's whole row space that shares work with its reductions
    // is stored by the kernel's first pass over the data.
    for (KernelPlan& p : plans) {
      if (fused || no_fuse_.count(r) || p.kind != kernel::KernelKind::Rows) continue;
      if (r->shape() != p.space.shape || p.space.shape == p.space.kept()) continue;
      bool matmul = std::any_of(p.reductions.begin(), p.reductions.end(), [](const Node* n) { return n->op() == Op::Matmul; });
      if (matmul || !shares_work(r, p)) continue;
      p.siblings.push_back(r);
      fused = true;
    }
    if (fused) continue;
    if (own_kernel_.count(r)) {  // not grouped with other values of its shape
      KernelPlan p;
      p.shape = r->shape();
      p.outputs = {r};
      plans.push_back(std::move(p));
      continue;
    }
    auto it = elementwise.find(r->shape());
    if (it == elementwise.end()) {
      KernelPlan p;
      p.shape = r->shape();
      plans.push_back(std::move(p));
      it = elementwise.emplace(r->shape(), plans.size() - 1).first;
    }
    plans[it->second].outputs.push_back(r);
  }
  return plans;
}

std::optional<Schedule> Scheduler::lower_all(const std::vector<KernelPlan>& plans) {
  std::vector<LaunchPlan> launches;
  temp_bytes_.clear();
  for (const KernelPlan& p : plans) {
    bool empty = p.kind == kernel::KernelKind::Rows ? numel(p.space.kept()) == 0 : numel(p.outputs[0]->shape()) == 0;
    if (empty) continue;
    std::unordered_set<const Node*> in_buffers = args_;
    for (const Node* n : stored_) in_buffers.insert(n);
    for (const Node* o : p.stored()) in_buffers.erase(o);
    const Node* current = nullptr;
    size_t before = stored_.size() + roots_.size() + no_fuse_.size() + own_kernel_.size();
    try {
      for (LaunchPlan& lp : lower(p, in_buffers, current)) launches.push_back(std::move(lp));
    } catch (const NeedsBuffer& nb) {
      const Node* n = nb.node;
      bool mine = std::find(p.reductions.begin(), p.reductions.end(), n) != p.reductions.end();
      if (gemm(n)) {
        add_stored(n);  // computed by the GEMM routine into a buffer of its own
      } else if (is_reduction(n) && !roots_.count(n)) {
        roots_.insert(n);  // a row kernel of its own, or a phase of this one; no buffer yet
      } else if (mine && current && !is_reduction(current)) {
        no_fuse_.insert(current);  // the epilogue needs n where n is no accumulator
        stored_.insert(n);
      } else if (mine) {
        own_kernel_.insert(n);
        stored_.insert(n);
      } else {
        add_stored(n);
      }
      KILN_CHECK(stored_.size() + roots_.size() + no_fuse_.size() + own_kernel_.size() > before)
          << "scheduling made no progress at " << op_name(n->op());
      return std::nullopt;
    }
  }
  if (const Node* shared = costly_shared_value(plans)) {
    add_stored(shared);  // computed once, then read by every kernel that needs it
    return std::nullopt;
  }
  if (!order_launches(launches)) return std::nullopt;
  Schedule s;
  s.launches = std::move(launches);
  for (const NodeRef& r : order_)
    if (stored_.count(r.get())) s.stored.push_back(r.get());
  s.nodes = order_;
  s.temp_bytes = temp_bytes_;
  return s;
}

// Float math (exp, sin, pow, ...) and random bits cost more to recompute than to store and
// load; moves, casts and arithmetic do not.
static bool costly(const Node* n) {
  const OpInfo& info = op_info(n->op());
  return (is_elementwise(n->op()) && info.accepts == Accepts::Float) || n->op() == Op::Pow ||
         n->op() == Op::RandomBits;
}

const Node* Scheduler::costly_shared_value(const std::vector<KernelPlan>& plans) const {
  std::unordered_map<const Node*, int> kernels_using;
  for (const KernelPlan& p : plans) {
    if (p.gemm) continue;
    std::vector<const Node*> stores = p.stored();
    std::unordered_set<const Node*> self(stores.begin(), stores.end()), seen;
    std::vector<const Node*> stack = stores;
    stack.insert(stack.end(), p.reductions.begin(), p.reductions.end());
    while (!stack.empty()) {
      const Node* n = stack.back();
      stack.pop_back();
      if (!seen.insert(n).second) continue;
      bool start = self.count(n) || std::find(p.reductions.begin(), p.reductions.end(), n) != p.reductions.end();
      if (!start) {
        if (args_.count(n) || stored_.count(n)) continue;
        ++kernels_using[n];
      }
      for (const NodeRef& o : n->operands()) stack.push_back(o.get());
    }
  }
  const Node* best = nullptr;
  for (const auto& [n, count] : kernels_using)
    if (count >= 2 && costly(n) && (!best || pos_.at(n) > pos_.at(best))) best = n;
  return best;
}

bool Scheduler::order_launches(std::vector<LaunchPlan>& launches) {
  // Who writes each buffer (a node's or a temporary), and who reads it.
  std::map<std::pair<const Node*, int32_t>, size_t> producer;
  for (size_t i = 0; i < launches.size(); ++i)
    for (size_t b = 0; b < launches[i].buffers.size(); ++b)
      if (launches[i].kernel.buffers[b].output)
        producer[{launches[i].buffers[b].node, launches[i].buffers[b].temp}] = i;
  size_t n = launches.size();
  std::vector<std::vector<size_t>> users(n);
  std::vector<int> pending(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t b = 0; b < launches[i].buffers.size(); ++b) {
      if (launches[i].kernel.buffers[b].output) continue;
      auto it = producer.find({launches[i].buffers[b].node, launches[i].buffers[b].temp});
      if (it == producer.end() || it->second == i) continue;
      users[it->second].push_back(i);
      ++pending[i];
    }
  std::vector<size_t> ready, sorted;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.push_back(i);
  while (!ready.empty()) {
    std::sort(ready.begin(), ready.end(), std::greater<>());
    size_t i = ready.back();
    ready.pop_back();
    sorted.push_back(i);
    for (size_t u : users[i])
      if (--pending[u] == 0) ready.push_back(u);
  }
  if (sorted.size() == n) {
    std::vector<LaunchPlan> out;
    for (size_t i : sorted) out.push_back(std::move(launches[i]));
    launches = std::move(out);
    return true;
  }
  // A cycle through kernels that store several values (fused epilogues, or elementwise
  // values grouped by shape): store those values in kernels of their own and plan again.
  size_t before = no_fuse_.size() + own_kernel_.size();
  for (size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) continue;
    const LaunchPlan& lp = launches[i];
    for (const Node* o : lp.outputs) {
      if (!is_reduction(o) && lp.kernel.kind == kernel::KernelKind::Rows) no_fuse_.insert(o);
      if (lp.kernel.kind == kernel::KernelKind::Elementwise && lp.builtin == Builtin::None && lp.outputs.size() > 1)
        own_kernel_.insert(o);
    }
  }
  if (no_fuse_.size() + own_kernel_.size() == before)
    for (size_t i = 0; i < n; ++i)
      if (pending[i] != 0)
        for (const Node* o : launches[i].outputs)
          if (is_reduction(o)) own_kernel_.insert(o);
  KILN_CHECK(no_fuse_.size() + own_kernel_.size() > before) << "cannot order kernels";
  return false;
}

}  // namespace scheduling

Schedule schedule(const Function& f, const ScheduleOptions& options) {
  return scheduling::Scheduler(f, options).run();
}

const char* builtin_name(Builtin b) {
  switch (b) {
    case Builtin::None: return "kernel";
    case Builtin::Gemm: return "gemm";
  }
  return "?";
}

}  // namespace kiln