// Node construction, hash-consing and reference counting.
//
// The cons table maps a node's identity hash to the live nodes with that hash. A lookup only
// revives a node whose count is still above zero (compare-and-swap), so a node that is being
// freed on another thread is never handed out; it removes itself from the table when freed.
#include "compiler/ir/node.hpp"

#include <bit>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "compiler/ir/element.hpp"
#include "compiler/ir/infer.hpp"

namespace kiln {

bool Scalar::operator==(const Scalar& o) const {
  return is_float == o.is_float && std::bit_cast<uint64_t>(f) == std::bit_cast<uint64_t>(o.f) &&
         i == o.i;
}

Scalar scalar_to_dtype(const Scalar& v, DType t) {
  switch (dtype_class(t)) {
    case DTypeClass::Float: {
      // One rounding, straight from the double or the exact integer (see round_to_dtype).
      long double x = v.is_float ? static_cast<long double>(v.f) : static_cast<long double>(v.i);
      return Scalar::of_float(round_to_dtype(x, t));
    }
    case DTypeClass::Bool: return Scalar::of_int(v.is_float ? (v.f != 0.0 || std::isnan(v.f)) : v.i != 0);
    case DTypeClass::Signed:
    case DTypeClass::Unsigned: {
      int64_t i = v.i;
      if (v.is_float) {
        // Same rule as `cast`: truncate, saturate, NaN -> 0.
        double d = v.f;
        if (std::isnan(d)) {
          i = 0;
        } else {
          double lo = t == DType::I32 ? -2147483648.0 : t == DType::U32 ? 0.0 : -9223372036854775808.0;
          double hi = t == DType::I32 ? 2147483647.0 : t == DType::U32 ? 4294967295.0 : 9223372036854775807.0;
          d = std::trunc(d);
          if (d <= lo) i = static_cast<int64_t>(lo);
          else if (d >= hi) i = t == DType::I64 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(hi);
          else i = static_cast<int64_t>(d);
        }
      }
      if (t == DType::I32) i = static_cast<int32_t>(static_cast<uint32_t>(i));
      if (t == DType::U32) i = static_cast<uint32_t>(i);
      return Scalar::of_int(i);
    }
  }
  return v;
}

const char* intern_string(std::string_view s) {
  static std::mutex mu;
  static std::unordered_set<std::string>* strings = new std::unordered_set<std::string>();
  std::lock_guard<std::mutex> lock(mu);
  return strings->emplace(s).first->c_str();
}

std::shared_mutex& graph_mutex() {
  static std::shared_mutex* mu = new std::shared_mutex();
  return *mu;
}

namespace {
thread_local int t_graph_read_depth = 0;
}  // namespace

GraphReadLock::GraphReadLock() {
  if (t_graph_read_depth++ == 0) graph_mutex().lock_shared();
}

GraphReadLock::~GraphReadLock() {
  if (--t_graph_read_depth == 0) graph_mutex().unlock_shared();
}

bool GraphReadLock::held() { return t_graph_read_depth > 0; }

namespace {

std::atomic<uint64_t> g_next_id{1};
std::atomic<int64_t> g_live_nodes{0};

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdull;
}

uint64_t hash_ints(uint64_t h, const std::vector<int64_t>& v) {
  h = mix(h, v.size());
  for (int64_t x : v) h = mix(h, static_cast<uint64_t>(x));
  return h;
}

uint64_t hash_key(Op op, const TensorType& type, std::span<const NodeRef> operands, const Attrs& a) {
  uint64_t h = mix(static_cast<uint64_t>(op), static_cast<uint64_t>(type.dtype));
  h = hash_ints(h, type.shape);
  h = mix(h, operands.size());
  for (const NodeRef& o : operands) h = mix(h, o->id());
  h = hash_ints(h, a.axes);
  h = hash_ints(h, a.perm);
  h = hash_ints(h, a.start);
  h = hash_ints(h, a.step);
  h = hash_ints(h, a.low);
  h = hash_ints(h, a.high);
  h = mix(h, static_cast<uint64_t>(a.axis));
  h = mix(h, a.value.is_float);
  h = mix(h, std::bit_cast<uint64_t>(a.value.f));
  h = mix(h, static_cast<uint64_t>(a.value.i));
  h = mix(h, a.seed);
  h = mix(h, a.stream);
  h = mix(h, static_cast<uint64_t>(a.device.kind) << 32 | static_cast<uint32_t>(a.device.index));
  return h;
}

bool same_operands(std::span<const uint64_t> ids, std::span<const NodeRef> operands) {
  if (ids.size() != operands.size()) return false;
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] != operands[i]->id()) return false;
  return true;
}

// Freed node memory, per thread, reused by the next nodes this thread builds. The list is
// plain data, so that it stays usable after this thread's destructors ran (nodes may be
// released during static destruction); NodeMemoryReaper returns it to malloc at thread exit.
constexpr int kMaxFreeNodes = 1024;
struct FreeNodes {
  void* head = nullptr;
  int count = 0;
  bool closed = false;  // the thread is exiting: free straight to malloc
};
thread_local FreeNodes t_free_nodes;

struct NodeMemoryReaper {
  bool armed = false;
  ~NodeMemoryReaper() {
    FreeNodes& f = t_free_nodes;
    f.closed = true;
    while (f.head) {
      void* next = *static_cast<void**>(f.head);
      ::operator delete(f.head);
      f.head = next;
    }
    f.count = 0;
  }
};
thread_local NodeMemoryReaper t_node_memory_reaper;

}  // namespace

void* Node::operator new(size_t bytes) {
  FreeNodes& f = t_free_nodes;
  if (f.head && bytes == sizeof(Node)) {
    void* p = f.head;
    f.head = *static_cast<void**>(p);
    --f.count;
    return p;
  }
  t_node_memory_reaper.armed = true;  // the first use registers this thread's reaper
  return ::operator new(bytes);
}

void Node::operator delete(void* p, size_t bytes) {
  FreeNodes& f = t_free_nodes;
  if (f.closed || f.count >= kMaxFreeNodes || bytes != sizeof(Node)) return ::operator delete(p);
  *static_cast<void**>(p) = f.head;
  f.head = p;
  ++f.count;
}

// The global cons table: buckets of nodes chained through Node::next_in_table_, so that
// adding a node allocates nothing. Leaked on purpose: nodes may be released during static
// destruction.
struct NodeTable {
  std::mutex mu;
  std::vector<Node*> buckets = std::vector<Node*>(4096);  // a power of two
  size_t size = 0;

  static NodeTable& get() {
    static NodeTable* t = new NodeTable();
    return *t;
  }

  Node*& bucket(uint64_t h) { return buckets[h & (buckets.size() - 1)]; }

  // Under mu.
  void insert(Node* n) {
    if (++size > buckets.size()) grow();
    Node*& b = bucket(n->hash_);
    n->next_in_table_ = b;
    b = n;
  }
  void erase(Node* n) {
    for (Node** p = &bucket(n->hash_); *p; p = &(*p)->next_in_table_)
      if (*p == n) {
        *p = n->next_in_table_;
        --size;
        return;
      }
    KILN_CHECK(false) << op_name(n->op_) << " node missing from the cons table";
  }
  void grow() {
    std::vector<Node*> old(buckets.size() * 2);
    old.swap(buckets);
    for (Node* head : old)
      while (head) {
        Node* next = head->next_in_table_;
        Node*& b = bucket(head->hash_);
        head->next_in_table_ = b;
        b = head;
        head = next;
      }
  }

  static bool try_acquire(Node* n) {
    int32_t r = n->refs_.load(std::memory_order_relaxed);
    while (r > 0)
      if (n->refs_.compare_exchange_weak(r, r + 1, std::memory_order_acq_rel)) return true;
    return false;
  }
};

NodeRef::NodeRef(Node* n) : n_(n) {
  if (n_) n_->refs_.fetch_add(1, std::memory_order_relaxed);
}

NodeRef::NodeRef(const NodeRef& o) : n_(o.n_) {
  if (n_) n_->refs_.fetch_add(1, std::memory_order_relaxed);
}

NodeRef::~NodeRef() {
  if (n_) Node::release(n_);
}

void Node::release(Node* first) {
  if (first->refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  // Free iteratively: a node whose count drops to zero leaves the cons table at once, and its
  // table link then chains it into the work list (so freeing allocates nothing).
  auto unlink = [](Node* n) {
    if (!n->in_table_) return;
    NodeTable& t = NodeTable::get();
    std::lock_guard<std::mutex> lock(t.mu);
    t.erase(n);
  };
  unlink(first);
  first->next_in_table_ = nullptr;
  Node* work = first;
  while (work) {
    Node* n = work;
    work = n->next_in_table_;
    for (NodeRef& o : n->operands_) {
      Node* m = o.n_;
      o.n_ = nullptr;
      if (m->refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) continue;
      unlink(m);
      m->next_in_table_ = work;
      work = m;
    }
    delete n;
    g_live_nodes.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Node::set_value(BufferPtr value) {
  KILN_CHECK(!GraphReadLock::held()) << "set_value while this thread holds the graph read lock";
  KILN_CHECK(!value || value->device() == attrs_.device)
      << op_name(op_) << ": a value on " << value->device().str() << " for a node of " << attrs_.device.str();
  std::vector<NodeRef> dropped;
  {
    std::unique_lock<std::shared_mutex> lock(graph_mutex());
    if (!value_) value_ = std::move(value);
    dropped.swap(operands_);
  }
  // `dropped` releases the operands outside the lock.
}


NodeRef make_node(Op op, std::vector<NodeRef> operands, Attrs attrs, const TensorType* given,
                  SourceLoc loc) {
  KILN_CHECK(op != Op::Param) << "parameters are built with make_param";
  for (const NodeRef& o : operands) KILN_CHECK(o) << op_name(op) << ": null operand";
  TensorType type = infer_type(op, operands, attrs, given, loc);
  if (op_info(op).attrs & kAttrValue)
    attrs.value = scalar_to_dtype(attrs.value, op == Op::Pad ? operands[0]->dtype() : type.dtype);

  uint64_t h = hash_key(op, type, operands, attrs);

  NodeTable& t = NodeTable::get();
  std::lock_guard<std::mutex> lock(t.mu);
  for (Node* n = t.bucket(h); n; n = n->next_in_table_)
    if (n->hash_ == h && n->op_ == op && n->type_ == type && same_operands(n->operand_ids(), operands) &&
        n->attrs_ == attrs && NodeTable::try_acquire(n))
      return NodeRef::adopt(n);
  Node* n = new Node();
  n->op_ = op;
  n->numel_ = numel(type.shape);
  n->type_ = std::move(type);
  n->attrs_ = std::move(attrs);
  n->num_ids_ = static_cast<uint32_t>(operands.size());
  uint64_t* ids = n->inline_ids_;
  if (operands.size() > Node::kInlineIds) {
    n->heap_ids_ = std::make_unique<uint64_t[]>(operands.size());
    ids = n->heap_ids_.get();
  }
  for (size_t i = 0; i < operands.size(); ++i) ids[i] = operands[i]->id();
  n->operands_ = std::move(operands);
  n->loc_ = loc;
  n->id_ = g_next_id.fetch_add(1, std::memory_order_relaxed);
  n->hash_ = h;
  n->in_table_ = true;
  n->refs_.store(1, std::memory_order_relaxed);
  g_live_nodes.fetch_add(1, std::memory_order_relaxed);
  t.insert(n);
  return NodeRef::adopt(n);
}

NodeRef make_param(TensorType type, std::string name, BufferPtr value, SourceLoc loc, Device device) {
  int64_t n_elems = checked_numel(type.shape, "param");
  if (value && value->bytes() < static_cast<size_t>(n_elems) * dtype_size(type.dtype))
    throw ValueError("param: buffer of " + std::to_string(value->bytes()) + " bytes is too small for " +
                     type_str(type));
  Node* n = new Node();
  n->op_ = Op::Param;
  n->numel_ = n_elems;
  n->type_ = std::move(type);
  n->name_ = std::move(name);
  n->attrs_.device = value ? value->device() : device;
  n->value_ = std::move(value);
  n->loc_ = loc;
  n->id_ = g_next_id.fetch_add(1, std::memory_order_relaxed);
  n->hash_ = mix(static_cast<uint64_t>(Op::Param), n->id_);
  n->refs_.store(1, std::memory_order_relaxed);
  g_live_nodes.fetch_add(1, std::memory_order_relaxed);
  return NodeRef::adopt(n);
}

int64_t live_node_count() { return g_live_nodes.load(std::memory_order_relaxed); }

int64_t built_node_count() { return static_cast<int64_t>(g_next_id.load(std::memory_order_relaxed)) - 1; }

}  // namespace kiln
