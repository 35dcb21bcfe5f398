// The reference interpreter's driver: binds the arguments, walks topo_order(f) and computes
// each node into a fresh host buffer, looking its operands up by node. The per-op arithmetic
// lives in one file per family (interpret_elementwise.cpp, interpret_reduce.cpp,
// interpret_movement.cpp); the source ops (literal, iota, random_bits) are here.
//
// Operand lists are read once, under the graph read lock, into a plan; the computing then
// runs without the lock. A buffer is dropped as soon as its last user has been computed, so
// a long chain holds only a few arrays at a time.
#include "compiler/ir/interpreter.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "compiler/ir/element.hpp"
#include "compiler/ir/interpret_internal.hpp"
#include "compiler/ir/philox.hpp"

namespace kiln {
namespace interp {

Val load_val(const void* data, DType t, int64_t k) {
  return is_float(t) ? float_val(load_as_double(data, t, k)) : int_val(load_as_int(data, t, k));
}

void store_val(void* data, DType t, int64_t k, Val v) {
  if (is_float(t))
    store_double(data, t, k, v.f);
  else
    store_int(data, t, k, v.i);
}

void copy_element(void* dst, int64_t to, const void* src, int64_t from, DType t) {
  int64_t size = dtype_size(t);
  std::memcpy(static_cast<char*>(dst) + to * size, static_cast<const char*>(src) + from * size, size);
}

int64_t offset_of(std::span<const int64_t> coord, std::span<const int64_t> strides) {
  int64_t off = 0;
  for (size_t d = 0; d < coord.size(); ++d) off += coord[d] * strides[d];
  return off;
}

std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> in_strides = row_major_strides(in);
  std::vector<int64_t> strides(out.size(), 0);
  size_t lead = out.size() - in.size();
  for (size_t d = 0; d < in.size(); ++d)
    if (in[d] != 1) strides[lead + d] = in_strides[d];
  return strides;
}

void wrong_family(Op op, const char* family) {
  KILN_CHECK(false) << "interpret: " << op_name(op) << " reached the " << family << " evaluator";
  std::abort();
}

namespace {

// literal, constant, iota and random_bits; params are bound by the driver.
void eval_source(const Node& n, void* out) {
  DType t = n.dtype();
  switch (n.op()) {
    case Op::Literal:
    case Op::Constant: {
      const Scalar& v = n.attrs().value;  // already rounded/wrapped to t by make_node
      store_val(out, t, 0, v.is_float ? float_val(v.f) : int_val(v.i));
      return;
    }
    case Op::Iota: {
      // Each element is its own coordinate along `axis`, converted like a cast from i64.
      int64_t k = 0;
      for_each_coord(n.shape(), [&](std::span<const int64_t> c) { store_int(out, t, k++, c[n.attrs().axis]); });
      return;
    }
    case Op::RandomBits:
      for (int64_t k = 0; k < n.numel(); ++k)
        store_int(out, t, k, random_bits_at(n.attrs().seed, n.attrs().stream, static_cast<uint64_t>(k)));
      return;
    case Op::Param:
    case Op::Neg: case Op::Abs: case Op::Sign: case Op::Floor: case Op::Ceil: case Op::Round:
    case Op::Trunc: case Op::Exp: case Op::Exp2: case Op::Expm1: case Op::Log: case Op::Log2:
    case Op::Log1p: case Op::Sqrt: case Op::Rsqrt: case Op::Reciprocal: case Op::Square:
    case Op::Sin: case Op::Cos: case Op::Tan: case Op::Asin: case Op::Acos: case Op::Atan:
    case Op::Sinh: case Op::Cosh: case Op::Tanh: case Op::Sigmoid: case Op::Erf: case Op::IsNan:
    case Op::IsInf: case Op::IsFinite: case Op::LogicalNot: case Op::BitwiseNot: case Op::Cast:
    case Op::StopGradient:
    case Op::Add: case Op::Sub: case Op::Mul: case Op::Div: case Op::FloorDiv: case Op::Mod:
    case Op::Pow: case Op::Minimum: case Op::Maximum: case Op::Atan2: case Op::Eq: case Op::Ne:
    case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge: case Op::LogicalAnd: case Op::LogicalOr:
    case Op::LogicalXor: case Op::BitwiseAnd: case Op::BitwiseOr: case Op::BitwiseXor:
    case Op::ShiftLeft: case Op::ShiftRight: case Op::Where: case Op::Clamp: case Op::Fma:
    case Op::ReduceSum: case Op::ReduceProd: case Op::ReduceMax: case Op::ReduceMin:
    case Op::ArgMax: case Op::ArgMin: case Op::ReduceAny: case Op::ReduceAll: case Op::Reshape:
    case Op::Permute: case Op::Broadcast: case Op::Slice: case Op::Flip: case Op::Pad:
    case Op::Concat: case Op::Gather: case Op::ScatterAdd: case Op::Matmul: break;
  }
  wrong_family(n.op(), "source");
}

// A fresh zeroed buffer for node n's elements.
BufferPtr allocate_for(const Node& n) {
  int64_t size = dtype_size(n.dtype());
  if (n.numel() > static_cast<int64_t>(std::numeric_limits<size_t>::max() / 2) / size)
    throw RuntimeError(fmt::format("interpret: {} of {} is too large to allocate", op_name(n.op()), type_str(n.type())));
  return Buffer::allocate(static_cast<size_t>(n.numel() * size));
}

BufferPtr evaluate(const Node& n, std::span<const interp::Array> in) {
  BufferPtr out = allocate_for(n);
  void* data = out->data();
  switch (op_info(n.op()).category) {
    case OpCategory::Source: eval_source(n, data); break;
    case OpCategory::Unary:
    case OpCategory::Binary:
    case OpCategory::Ternary: eval_elementwise(n, in, data); break;
    case OpCategory::Reduce: eval_reduce(n, in[0], data); break;
    case OpCategory::Movement: eval_movement(n, in, data); break;
    case OpCategory::Index: eval_index(n, in, data); break;
    case OpCategory::Matmul: eval_matmul(n, in[0], in[1], data); break;
  }
  return out;
}

size_t bytes_of(const TensorType& t) { return static_cast<size_t>(numel(t.shape)) * dtype_size(t.dtype); }

// The buffer of every argument: inputs[i] when given, else the argument node's own value.
std::unordered_map<const Node*, BufferPtr> bind_arguments(const Function& f, std::span<const BufferPtr> inputs) {
  if (!inputs.empty() && inputs.size() != f.args.size())
    throw RuntimeError(fmt::format("interpret @{}: {} input buffers for {} arguments", f.name, inputs.size(),
                                   f.args.size()));
  std::unordered_map<const Node*, BufferPtr> values;
  GraphReadLock lock = lock_graph_for_reading();
  for (size_t i = 0; i < f.args.size(); ++i) {
    const Argument& arg = f.args[i];
    BufferPtr buf = i < inputs.size() && inputs[i] ? inputs[i] : arg.node->value();
    std::string what = fmt::format("interpret @{}: argument %{}: {}", f.name, arg.name, type_str(arg.node->type()));
    if (!buf) throw RuntimeError(what + " has no value: pass a buffer in `inputs` or give the node a value");
    if (buf->bytes() < bytes_of(arg.node->type()))
      throw RuntimeError(fmt::format("{} needs {} bytes, its buffer has {}", what, bytes_of(arg.node->type()),
                                     buf->bytes()));
    values[arg.node.get()] = std::move(buf);
  }
  return values;
}

// One node to compute: its operands (read under the graph lock) or the value it already has.
struct Step {
  const Node* node;
  std::vector<const Node*> operands;
  BufferPtr value;
};

std::vector<Step> plan(const std::vector<NodeRef>& order) {
  std::vector<Step> steps;
  steps.reserve(order.size());
  GraphReadLock lock = lock_graph_for_reading();
  for (const NodeRef& n : order) {
    Step s{n.get(), {}, n->value()};
    if (!s.value)
      for (const NodeRef& o : n->operands()) s.operands.push_back(o.get());
    steps.push_back(std::move(s));
  }
  return steps;
}

// A node of the plan with no operands to compute from: a param that is not an argument, or a
// node evaluated elsewhere. Its value is what it holds.
BufferPtr existing_value(const Function& f, const Step& s) {
  if (s.node->op() == Op::Param && !s.value)
    throw RuntimeError(fmt::format("interpret @{}: parameter '{}': {} is not an argument and has no value", f.name,
                                   s.node->name(), type_str(s.node->type())));
  KILN_CHECK(s.value && s.value->bytes() >= bytes_of(s.node->type()))
      << op_name(s.node->op()) << " holds a value too small for " << type_str(s.node->type());
  return s.value;
}

}  // namespace
}  // namespace interp

std::vector<BufferPtr> interpret(const Function& f, std::span<const BufferPtr> inputs) {
  using namespace interp;
  std::unordered_map<const Node*, BufferPtr> values = bind_arguments(f, inputs);
  std::vector<NodeRef> order = topo_order(f);  // holds every computed node alive
  std::vector<Step> steps = plan(order);

  // Uses left per node, to drop an intermediate buffer after its last user.
  std::unordered_map<const Node*, int64_t> uses_left;
  for (const Step& s : steps)
    for (const Node* o : s.operands) ++uses_left[o];
  std::unordered_set<const Node*> results;
  for (const NodeRef& r : f.results) results.insert(r.get());

  for (const Step& s : steps) {
    if (s.node->op() == Op::Param || s.value) {
      values[s.node] = existing_value(f, s);
      continue;
    }
    std::vector<Array> in;
    for (const Node* o : s.operands) {
      auto it = values.find(o);
      KILN_CHECK(it != values.end()) << "operand of " << op_name(s.node->op()) << " computed out of order";
      in.push_back({&o->type(), it->second->data()});
    }
    values[s.node] = evaluate(*s.node, in);
    for (const Node* o : s.operands)
      if (--uses_left[o] == 0 && !results.count(o)) values.erase(o);
  }

  std::vector<BufferPtr> out;
  for (const NodeRef& r : f.results) out.push_back(values.at(r.get()));
  return out;
}

}  // namespace kiln
