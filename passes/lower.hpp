// Lowering graph nodes into kernel IR: the value of a node at a point of its index space,
// as scalar instructions of one phase.
//
// A point is a vector of i64 SSA values, one coordinate per axis of the node's shape.
// Elementwise ops apply their op to their operands at the same point; movement ops map the
// point into their operand's space (permute reorders, broadcast pins size-1 axes to 0, slice
// and flip are affine, pad and concat select between in-range loads, reshape re-indexes
// through the flat index); gather loads its index and moves along one axis. Nodes that live
// in buffers (arguments and outputs of earlier kernels) are loads; a reduction (or matmul)
// of an earlier phase of the same kernel, seen at the current outer point, is its
// accumulator. Anything else cannot be computed here: lowering throws NeedsBuffer naming the
// node, and the scheduler then gives that node a buffer of its own.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "compiler/kernel/kernel.hpp"

namespace kiln {

// Thrown when a node must be materialised for the kernel being built.
struct NeedsBuffer {
  const Node* node;
};

// What a kernel's buffer parameter binds: a node's value, or a temporary of the schedule
// (partial results of a split reduction).
struct BufferRef {
  const Node* node = nullptr;
  int32_t temp = -1;
  bool operator==(const BufferRef&) const = default;
};

// What a kernel under construction binds at launch: buffers (by node), dims and scalar
// parameters (by value).
class KernelBuilder {
 public:
  // `in_buffers`: nodes whose values are in buffers when this kernel runs.
  explicit KernelBuilder(const std::unordered_set<const Node*>& in_buffers) : in_buffers_(in_buffers) {}

  kernel::Kernel& kernel() { return k_; }
  int32_t buffer(const Node* n, bool output);
  // A buffer parameter of its own for `n` even when it has one already: builtins take their
  // operands by position (the GEMM of x @ x reads x as both a and b).
  int32_t positional_buffer(const Node* n, bool output);
  int32_t temp_buffer(int32_t temp, DType dtype, bool output);
  int32_t dim(int64_t value);
  // Which node attribute a scalar parameter carries, so that a cached schedule can refill
  // its parameters from new nodes of the same structure.
  enum class ParamField : uint8_t { Value, Seed, Stream };
  int32_t param(const Scalar& value, DType type, const Node* source, ParamField field);
  // The launch parameter holding literal `n` (one per literal node and kernel): C++ numbers
  // are launch arguments, so a loop that changes a learning rate compiles once.
  int32_t literal_param(const Node* n);

  const std::vector<BufferRef>& buffer_refs() const { return buffer_refs_; }
  const std::vector<int64_t>& dim_values() const { return dim_values_; }
  const std::vector<Scalar>& param_values() const { return param_values_; }
  const std::vector<std::pair<const Node*, ParamField>>& param_sources() const { return param_sources_; }

  bool in_buffer(const Node* n) const { return in_buffers_.count(n) > 0; }
  // A reduction (or matmul) computed by an earlier phase of this kernel, as accumulator.
  // `type` is the accumulator's dtype when it differs from the node's (a widened partial sum);
  // reading it then casts to the node's dtype.
  void set_acc(const Node* n, int32_t acc, std::optional<DType> type = std::nullopt) {
    accs_[n] = acc;
    if (type) acc_types_[n] = *type;
  }
  const std::unordered_map<const Node*, int32_t>& accs() const { return accs_; }
  DType acc_type(const Node* n) const {
    auto it = acc_types_.find(n);
    return it == acc_types_.end() ? n->dtype() : it->second;
  }

 private:
  const std::unordered_set<const Node*>& in_buffers_;
  kernel::Kernel k_;
  std::vector<BufferRef> buffer_refs_;
  std::vector<int64_t> dim_values_;
  std::vector<Scalar> param_values_;
  std::vector<std::pair<const Node*, ParamField>> param_sources_;
  std::map<const Node*, int32_t> literal_params_;
  std::unordered_map<const Node*, int32_t> accs_;
  std::unordered_map<const Node*, DType> acc_types_;
};

// Builds the body of one phase.
class PhaseBuilder {
 public:
  PhaseBuilder(KernelBuilder& kb, kernel::Phase& phase) : kb_(kb), phase_(phase) {}

  // Instructions, deduplicated (the same instruction twice is one value).
  int32_t inst(kernel::Inst in);
  int32_t op(Op op, DType type, std::vector<int32_t> args);
  int32_t const_i64(int64_t v);
  int32_t const_of(const Scalar& v, DType type);
  int32_t dim(int64_t extent);  // a size: Const 1 for extent 1, else a run-time dim
  int32_t add(int32_t a, int32_t b) { return op(Op::Add, DType::I64, {a, b}); }
  int32_t mul(int32_t a, int32_t b) { return op(Op::Mul, DType::I64, {a, b}); }
  int32_t outer_index();
  int32_t inner_index();

  // Coordinates of a flat index over `shape` (row-major).
  std::vector<int32_t> unflatten(int32_t flat, const Shape& shape);
  // Row-major flat index of `point` in `shape`.
  int32_t flatten(const std::vector<int32_t>& point, const Shape& shape);

  // The outer point of the kernel (set by the scheduler): reductions of earlier phases are
  // read as accumulators where they are used at exactly this point.
  void set_outer_point(std::vector<int32_t> p) { outer_point_ = std::move(p); }

  // The value of `n` at `point`. Throws NeedsBuffer.
  int32_t value(const Node* n, const std::vector<int32_t>& point);
  // Declares that `n` at `point` is the value `id` (e.g. partial results combined).
  void set_value(const Node* n, const std::vector<int32_t>& point, int32_t id) { memo_[{n, point}] = id; }


 private:
  int32_t source_value(const Node* n, const std::vector<int32_t>& point);
  int32_t movement_value(const Node* n, const std::vector<int32_t>& point);
  int32_t gather_value(const Node* n, const std::vector<int32_t>& point);
  int32_t random_bits_value(const Node* n, const std::vector<int32_t>& point);

  KernelBuilder& kb_;
  kernel::Phase& phase_;
  std::map<std::vector<int64_t>, int32_t> cse_;
  std::map<std::pair<const Node*, std::vector<int32_t>>, int32_t> memo_;
  std::vector<int32_t> outer_point_;
};

}  // namespace kiln
