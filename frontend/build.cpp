// Node-building helpers shared by the frontend's op families.
#include "frontend/build.hpp"

#include <algorithm>

#include "compiler/ir/infer.hpp"
#include "frontend/device.hpp"

namespace kiln::frontend {

SourceLoc to_loc(SourceLocation loc) {
  const char* file = loc.file_name();
  if (!file || !*file) return {};
  // The same few file names come back all the time: remember the last one's base name.
  thread_local const char* last_file = nullptr;
  thread_local const char* last_base = nullptr;
  if (file != last_file) {
    const char* base = file;
    for (const char* p = file; *p; ++p)
      if (*p == '/' || *p == '\\') base = p + 1;
    last_file = file;
    last_base = base;
  }
  return {last_base, loc.line()};
}

const NodeRef& node_of(const Array& a, std::string_view what, SourceLocation loc) {
  if (!a.valid()) fail<ValueError>(loc, what, "operand is an empty Array (default-constructed)");
  return a.node();
}

bool device_neutral(const Node* n) {
  // An op never changes, so most nodes are told apart without taking the lock.
  const Op op = n->op();
  if (op != Op::Broadcast && op != Op::Cast && op != Op::Reshape && op != Op::Literal && op != Op::Constant)
    return false;
  GraphReadLock lock = lock_graph_for_reading();
  while (!n->evaluated() && (n->op() == Op::Broadcast || n->op() == Op::Cast || n->op() == Op::Reshape))
    n = n->operands()[0].get();
  return !n->evaluated() && (n->op() == Op::Literal || n->op() == Op::Constant);
}

Array apply(Op op, std::vector<NodeRef> operands, SourceLocation loc, Attrs attrs, const TensorType* given) {
  // Operands must live on one device, except scalars (device_neutral). Without other operands
  // the op runs on the default device.
  const Node* first = nullptr;
  for (const NodeRef& o : operands) {
    if (device_neutral(o.get())) continue;
    if (first == nullptr)
      first = o.get();
    else if (o->attrs().device != first->attrs().device)
      fail<DeviceError>(loc, op_name(op), "operands on different devices: {} on {} and {} on {} (move one with .to())",
                        type_str(first->type()), first->attrs().device.str(), type_str(o->type()),
                        o->attrs().device.str());
  }
  attrs.device = first != nullptr ? first->attrs().device : default_device();
  return Array(make_node(op, std::move(operands), std::move(attrs), given, to_loc(loc)));
}

Array literal(const Scalar& v, DType t, SourceLocation loc) {
  Attrs a;
  a.value = scalar_to_dtype(v, t);
  TensorType type{t, {}};
  return apply(Op::Literal, {}, loc, std::move(a), &type);
}

Array to_dtype(const Array& x, DType t, SourceLocation loc) {
  if (x.dtype() == t) return x;
  TensorType type{t, x.shape()};
  return apply(Op::Cast, {x.node()}, loc, {}, &type);
}

Array broadcast_array(const Array& x, const Shape& shape, std::string_view what, SourceLocation loc) {
  if (x.shape() == shape) return x;
  std::optional<Shape> b = broadcast_shapes(x.shape(), shape);
  if (!b || *b != shape) fail<ShapeError>(loc, what, "cannot broadcast {} to {}", type_str(x.node()->type()), shape_str(shape));
  TensorType type{x.dtype(), shape};
  return apply(Op::Broadcast, {x.node()}, loc, {}, &type);
}

Array operand_as(const Operand& o, DType t, SourceLocation loc) {
  if (o.is_array()) return to_dtype(o.array(), t, loc);
  return literal(o.scalar(), t, loc);
}

int64_t normalize_axis(int64_t axis, int rank, std::string_view what, SourceLocation loc) {
  if (axis < -rank || axis >= rank)
    fail<AxisError>(loc, what, "axis {} is out of range for an array of rank {}", axis, rank);
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> normalize_axes(const Axes& axes, int rank, std::string_view what, SourceLocation loc) {
  std::vector<int64_t> out;
  if (axes.is_all()) {
    for (int i = 0; i < rank; ++i) out.push_back(i);
    return out;
  }
  for (int a : axes.list()) out.push_back(normalize_axis(a, rank, what, loc));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    fail<AxisError>(loc, what, "repeated axis in [{}]", fmt::join(axes.list(), ", "));
  return out;
}

}  // namespace kiln::frontend
