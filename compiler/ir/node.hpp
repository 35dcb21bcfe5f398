// Graph nodes: immutable, hash-consed, reference counted.
//
// A Node is one op applied to operand nodes, with a result type and attributes. Nodes are
// built only through make_node()/make_param(), which check types and shapes (throwing a
// kiln::Error that names the op and the values) and return the existing node when the same
// op with the same operands and attributes was built before: CSE comes for free.
//
// NodeRef is an intrusive, thread-safe reference count. A node nobody refers to is freed,
// iteratively (a chain of a million nodes does not recurse). An evaluated node keeps its
// value (a host Buffer) and drops its operands, so a long loop of `x = f(x); eval(x)` keeps
// the graph small. Operand lists may only be walked under a GraphReadLock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "compiler/ir/buffer.hpp"
#include "compiler/ir/device.hpp"
#include "compiler/ir/error.hpp"
#include "compiler/ir/op.hpp"
#include "compiler/ir/shape.hpp"

namespace kiln {

// A scalar constant: the value of a literal or a pad. Float dtypes use `f`, the others `i`
// (bool is 0/1, u32 is its value). Equality is bitwise, so -0.0 != 0.0 and NaN == NaN.
struct Scalar {
  bool is_float = false;
  double f = 0.0;
  int64_t i = 0;

  static Scalar of_float(double v) { return {true, v, 0}; }
  static Scalar of_int(int64_t v) { return {false, 0.0, v}; }
  double as_double() const { return is_float ? f : static_cast<double>(i); }
  bool operator==(const Scalar& o) const;
};

// Rounds/wraps `v` to what dtype `t` can hold (f32 rounding, i32 wrap, bool = != 0, ...), and
// stores it in the representation Scalar uses for `t`.
Scalar scalar_to_dtype(const Scalar& v, DType t);

// The attributes of a node; which ones an op uses is its `attrs` bits in ops.def.
struct Attrs {
  std::vector<int64_t> axes;   // reductions, flip: sorted, unique
  std::vector<int64_t> perm;   // permute: result axis i is operand axis perm[i]
  std::vector<int64_t> start;  // slice: first index per axis
  std::vector<int64_t> step;   // slice: step per axis (non-zero, may be negative)
  std::vector<int64_t> low;    // pad: elements added before, per axis (>= 0)
  std::vector<int64_t> high;   // pad: elements added after, per axis (>= 0)
  int64_t axis = 0;            // concat, gather, scatter_add, iota
  Scalar value;                // literal, pad
  uint64_t seed = 0;           // random_bits: the Philox key
  uint64_t stream = 0;         // random_bits: the high half of the Philox counter
  // Where the node's value is computed and kept (device.hpp): the builder's choice (the
  // frontend takes the operands' device, build.cpp). Passes copy it with the other
  // attributes; an evaluation runs on its roots' device whatever inner nodes say. The text
  // form writes it as `device = "cuda:N"` when it is not the cpu.
  Device device;
  bool operator==(const Attrs&) const = default;
};

// Where a node was built in the user's program (or in a text file); not part of its identity.
struct SourceLoc {
  const char* file = nullptr;  // interned, lives for the whole process
  uint32_t line = 0;
  explicit operator bool() const { return file != nullptr; }
};
// Returns a pointer to a process-lifetime copy of `s`.
const char* intern_string(std::string_view s);

class Node;

// Intrusive reference to a Node.
class NodeRef {
 public:
  NodeRef() = default;
  explicit NodeRef(Node* n);  // takes a new reference
  NodeRef(const NodeRef& o);
  NodeRef(NodeRef&& o) noexcept : n_(o.n_) { o.n_ = nullptr; }
  NodeRef& operator=(NodeRef o) noexcept {
    std::swap(n_, o.n_);
    return *this;
  }
  ~NodeRef();

  Node* get() const { return n_; }
  Node* operator->() const { return n_; }
  Node& operator*() const { return *n_; }
  explicit operator bool() const { return n_ != nullptr; }
  bool operator==(const NodeRef& o) const { return n_ == o.n_; }

  // Wraps a reference the caller already owns (no count change).
  static NodeRef adopt(Node* n) {
    NodeRef r;
    r.n_ = n;
    return r;
  }

 private:
  friend class Node;
  Node* n_ = nullptr;
};

class Node {
 public:
  Op op() const { return op_; }
  DType dtype() const { return type_.dtype; }
  const Shape& shape() const { return type_.shape; }
  const TensorType& type() const { return type_; }
  int rank() const { return static_cast<int>(type_.shape.size()); }
  int64_t numel() const { return numel_; }
  const Attrs& attrs() const { return attrs_; }
  // Unique for the life of the process; increasing in creation order.
  uint64_t id() const { return id_; }
  uint64_t hash() const { return hash_; }
  SourceLoc loc() const { return loc_; }
  // Parameter name (params only).
  const std::string& name() const { return name_; }

  // Operands; empty once the node is evaluated. Walk only under a GraphReadLock.
  std::span<const NodeRef> operands() const { return operands_; }
  // The node's value, or null while it is pending. Read under a GraphReadLock.
  const BufferPtr& value() const { return value_; }
  bool evaluated() const { return value_ != nullptr; }

  // Stores the node's value and drops its operands. Takes the graph lock exclusively.
  void set_value(BufferPtr value);

  int refs() const { return refs_.load(std::memory_order_relaxed); }

 private:
  friend class NodeRef;
  friend NodeRef make_node(Op, std::vector<NodeRef>, Attrs, const TensorType*, SourceLoc);
  friend NodeRef make_param(TensorType, std::string, BufferPtr, SourceLoc, Device);
  friend struct NodeTable;
  Node() = default;
  static void release(Node* n);
  // Node memory comes from a per-thread list of freed nodes (node.cpp): graphs are built and
  // dropped in every loop iteration, and these objects are too large for malloc's fast path.
  static void* operator new(size_t bytes);
  static void operator delete(void* p, size_t bytes);

  std::atomic<int32_t> refs_{0};
  Op op_ = Op::Literal;
  TensorType type_;
  int64_t numel_ = 0;
  Attrs attrs_;
  std::vector<NodeRef> operands_;
  // The operands' ids, the identity key, which survives dropping operands_: inline for up to
  // kInlineIds operands (nearly every op), else on the heap.
  static constexpr size_t kInlineIds = 3;
  uint64_t inline_ids_[kInlineIds] = {};
  std::unique_ptr<uint64_t[]> heap_ids_;
  uint32_t num_ids_ = 0;
  std::span<const uint64_t> operand_ids() const {
    return {heap_ids_ ? heap_ids_.get() : inline_ids_, num_ids_};
  }
  std::string name_;
  BufferPtr value_;
  SourceLoc loc_;
  uint64_t id_ = 0;
  uint64_t hash_ = 0;
  bool in_table_ = false;
  // The next node in its cons-table bucket; once out of the table, the next node to free.
  Node* next_in_table_ = nullptr;
};

// Builds (or finds) the node `op(operands) {attrs}`. `given` is the result type for ops whose
// TypeRule is Given (and must be null otherwise). Throws a kiln::Error subclass when the
// operands, attributes or type are invalid; the message starts with `file:line: ` when `loc`
// is set, then the op name.
NodeRef make_node(Op op, std::vector<NodeRef> operands, Attrs attrs = {},
                  const TensorType* given = nullptr, SourceLoc loc = {});
// A new parameter (never shared with another). `value` is its data, or null for a function
// argument bound at call time.
// A param's device is its value's, else `device` (a parsed argument's device).
NodeRef make_param(TensorType type, std::string name, BufferPtr value = nullptr, SourceLoc loc = {},
                   Device device = Device::cpu());

// Shared lock on the graph structure: hold it while walking operand lists. Nesting on one
// thread is allowed (only the outermost one locks), so a caller can hold it across several
// walks that lock on their own. Node::set_value must not be called while holding it.
std::shared_mutex& graph_mutex();
class GraphReadLock {
 public:
  GraphReadLock();
  ~GraphReadLock();
  GraphReadLock(const GraphReadLock&) = delete;
  GraphReadLock& operator=(const GraphReadLock&) = delete;

  // Whether this thread holds the read lock now.
  static bool held();
};
inline GraphReadLock lock_graph_for_reading() { return GraphReadLock(); }

// Number of live nodes (for tests of memory behaviour).
int64_t live_node_count();
// Number of nodes built so far by this process, freed ones included (for tests).
int64_t built_node_count();

}  // namespace kiln
