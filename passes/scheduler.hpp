// Private to the scheduler (schedule.cpp plans and orders kernels, schedule_lower.cpp
// lowers each planned kernel): the plan of one kernel and the Scheduler's state.
#pragma once

#include <algorithm>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "passes/lower.hpp"
#include "passes/schedule.hpp"

namespace kiln::scheduling {

// Longest chain of fused values before one gets a buffer: bounds kernel size, compile time
// and the depth of lowering.
inline constexpr int kMaxFusedDepth = 256;

inline bool is_reduction(const Node* n) {
  OpCategory c = op_info(n->op()).category;
  return c == OpCategory::Reduce || c == OpCategory::Matmul;
}

// The iteration space of a reduction: the shape it reduces over (S) and the reduced axes.
struct RowSpace {
  Shape shape;
  std::vector<int64_t> axes;
  bool operator<(const RowSpace& o) const { return std::tie(shape, axes) < std::tie(o.shape, o.axes); }
  bool operator==(const RowSpace& o) const { return shape == o.shape && axes == o.axes; }
  Shape kept() const {
    Shape k;
    for (size_t i = 0; i < shape.size(); ++i)
      if (!std::binary_search(axes.begin(), axes.end(), static_cast<int64_t>(i))) k.push_back(shape[i]);
    return k;
  }
  Shape reduced() const {
    Shape r;
    for (int64_t a : axes) r.push_back(shape[a]);
    return r;
  }
};

// Whether `o` swaps the last two axes of its operand and keeps the others (a matrix
// transpose, maybe batched): a matmul operand that the GEMM reads in place, and a row
// kernel reads contiguously along the contracted axis when it is the right operand.
bool is_matrix_transpose(const Node* o);
// A matmul that kiln's GEMM routine computes: f32/f64, each operand's batch dims either
// those of the result or absent/size 1 (broadcast), both operands non-empty. Not a matrix
// times a vector (one result column), a row reduction that reads the matrix once,
// contiguously, unless the matrix is a transpose (which the GEMM streams as a vector times
// its value); nor a vector times a transpose (one result row), for the same reason the other
// way round.
bool gemm_eligible(const Node* n);
// The row space of a reduction; of a matmul: its result shape plus the contracted axis.
RowSpace row_space(const Node* r);
// A shape with its last two axes swapped.
Shape transposed_shape(Shape s);
// The accumulation dtype of a matmul: f64 for the narrower floats (exact products).
DType wide_type(const Node* r);

struct KernelPlan {
  kernel::KernelKind kind = kernel::KernelKind::Elementwise;
  bool gemm = false;                    // a matmul run by the GEMM routine (outputs[0])
  Shape shape;                          // Elementwise: the outputs' shape
  RowSpace space;                       // Rows
  std::vector<const Node*> reductions;  // Rows, in topo order
  std::vector<const Node*> outputs;     // values this kernel stores
  // Rows: values of the whole row space that do not use the reductions, stored by the first
  // reduce phase as it passes over the data (siblings of the reductions, not epilogues).
  std::vector<const Node*> siblings;
  // Everything the kernel stores.
  std::vector<const Node*> stored() const {
    std::vector<const Node*> all = outputs;
    all.insert(all.end(), siblings.begin(), siblings.end());
    return all;
  }
};

// Plans, lowers and orders the kernels of one Function (see schedule.hpp).
class Scheduler {
 public:
  Scheduler(const Function& f, const ScheduleOptions& options) : f_(f), options_(options) {
    order_ = topo_order(f);
    for (size_t i = 0; i < order_.size(); ++i) pos_[order_[i].get()] = static_cast<int>(i);
    for (const Argument& a : f.args) args_.insert(a.node.get());
    for (const NodeRef& r : f.results)
      if (!args_.count(r.get())) add_stored(r.get());
    limit_depth();
  }

  Schedule run() {
    for (size_t round = 0;; ++round) {
      KILN_CHECK(round <= order_.size() + 8) << "scheduling does not converge";
      std::vector<KernelPlan> plans = plan();
      std::optional<Schedule> s = lower_all(plans);
      if (s) return std::move(*s);
    }
  }

 private:
  void add_stored(const Node* n) {
    if (args_.count(n)) return;
    stored_.insert(n);
    roots_.insert(n);
  }

  // Gives a buffer to every value that ends a fused chain of kMaxFusedDepth.
  void limit_depth() {
    std::unordered_map<const Node*, int> depth;
    for (const NodeRef& r : order_) {
      const Node* n = r.get();
      int d = 0;
      for (const NodeRef& o : n->operands())
        if (!args_.count(o.get()) && !stored_.count(o.get())) d = std::max(d, depth[o.get()] + 1);
      if (d >= kMaxFusedDepth) {
        add_stored(n);
        d = 0;
      }
      depth[n] = d;
    }
  }

  // Whether `from` reaches a node of `targets` through values computed inline (not
  // arguments, not values stored by another kernel than `self`).
  bool reaches(const Node* from, const std::unordered_set<const Node*>& targets,
               const std::unordered_set<const Node*>& self) const {
    std::vector<const Node*> stack;
    std::unordered_set<const Node*> seen;
    for (const NodeRef& o : from->operands()) stack.push_back(o.get());
    while (!stack.empty()) {
      const Node* n = stack.back();
      stack.pop_back();
      if (!seen.insert(n).second) continue;
      if (targets.count(n)) return true;
      if (args_.count(n) || (stored_.count(n) && !self.count(n))) continue;
      for (const NodeRef& o : n->operands()) stack.push_back(o.get());
    }
    return false;
  }

  // Whether `r` reads an input or shares computed work with the reductions of `p`.
  bool shares_work(const Node* r, const KernelPlan& p) const;
  std::vector<KernelPlan> plan() const;
  std::optional<Schedule> lower_all(const std::vector<KernelPlan>& plans);
  std::vector<LaunchPlan> lower(const KernelPlan& p, const std::unordered_set<const Node*>& in_buffers,
                                const Node*& current);
  bool splittable(const KernelPlan& p) const;
  void lower_split(const KernelPlan& p, const std::unordered_set<const Node*>& in_buffers,
                   std::vector<LaunchPlan>& out, const Node*& current);
  static LaunchPlan finish(KernelBuilder& kb, LaunchPlan lp, std::vector<const Node*> outputs);
  void lower_elementwise(const KernelPlan& p, KernelBuilder& kb, LaunchPlan& lp);
  // `transposed`: matmuls whose right operand was copied, transposed, into a temporary.
  void lower_rows(const KernelPlan& p, KernelBuilder& kb, LaunchPlan& lp, const Node*& current,
                  const std::unordered_map<const Node*, int32_t>& transposed);
  LaunchPlan lower_gemm(const KernelPlan& p, const std::unordered_set<const Node*>& in_buffers);
  LaunchPlan lower_transpose(const Node* b, const std::unordered_set<const Node*>& in_buffers, int32_t& temp);
  void lower_scatter(const KernelPlan& p, KernelBuilder& kb, LaunchPlan& lp);
  // A value that costs something to compute and that several kernels would compute again
  // (the latest such in topological order), or null.
  const Node* costly_shared_value(const std::vector<KernelPlan>& plans) const;
  // Sorts launches by their dependencies; on a cycle, records what to split and returns false.
  bool order_launches(std::vector<LaunchPlan>& launches);

  // A matmul this schedule computes with the GEMM routine.
  bool gemm(const Node* n) const { return options_.builtins && gemm_eligible(n); }

  const Function& f_;
  ScheduleOptions options_;
  std::vector<NodeRef> order_;
  std::unordered_map<const Node*, int> pos_;
  // args_: known values; stored_: values given buffers; roots_: values some kernel computes
  // (stored_ and reductions fused as phases); no_fuse_: values not fused as epilogues of a
  // row kernel; own_kernel_: values computed by a kernel of their own (not grouped).
  std::unordered_set<const Node*> args_, stored_, roots_, no_fuse_, own_kernel_;
  std::vector<int64_t> temp_bytes_;
};


std::vector<int32_t> non_unit_dims(KernelBuilder& kb, const Shape& shape);
// The point of a row space from the coordinates of its kept axes and of its reduced axes.
std::vector<int32_t> interleave(const RowSpace& space, const std::vector<int32_t>& outer,
                                const std::vector<int32_t>& inner);

}  // namespace kiln::scheduling
