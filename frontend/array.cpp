// Array handle methods: queries, evaluation, reading values back, dumping and printing.
#include "frontend/array.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <ostream>
#include <sstream>

#include "compiler/ir/element.hpp"
#include "compiler/ir/printer.hpp"
#include "frontend/build.hpp"
#include "frontend/device.hpp"
#include "runtime/cuda_device.hpp"
#include "runtime/evaluate.hpp"
#include "runtime/host_allocator.hpp"

namespace kiln {
using namespace frontend;

namespace {

const Node& node_or_throw(const NodeRef& n) {
  if (!n) throw ValueError("kiln::Array: this Array is empty (default-constructed)");
  return *n;
}

// The node's buffer, evaluating first when needed.
BufferPtr value_of(const NodeRef& n) {
  node_or_throw(n);
  {
    GraphReadLock lock = lock_graph_for_reading();
    if (n->evaluated()) return n->value();
  }
  evaluate(std::span<const NodeRef>(&n, 1));
  GraphReadLock lock = lock_graph_for_reading();
  KILN_CHECK(n->evaluated()) << "evaluation left the node without a value";
  return n->value();
}

// `buf` (on any device) as a host buffer: itself, or a copy of a device buffer.
BufferPtr on_host(const BufferPtr& buf) {
  const Device d = buf->device();
  switch (d.kind) {
    case DeviceKind::Cpu: return buf;
    case DeviceKind::Cuda: {
      BufferPtr host = host_allocate(buf->bytes());
      cuda_download(*buf, host->data(), buf->bytes());
      return host;
    }
  }
  return nullptr;
}

// `buf` copied to `to` (a new buffer of `bytes` bytes).
BufferPtr transfer(const BufferPtr& buf, size_t bytes, Device to) {
  BufferPtr host = on_host(buf);
  switch (to.kind) {
    case DeviceKind::Cpu: {
      if (host != buf) return host;
      BufferPtr copy = host_allocate(bytes);
      std::memcpy(copy->data(), buf->data(), bytes);
      return copy;
    }
    case DeviceKind::Cuda: return cuda_upload(to.index, host->data(), bytes);
  }
  return nullptr;
}

void require_host(const NodeRef& n, std::string_view what, SourceLocation loc) {
  const Device d = n->attrs().device;
  if (!d.is_cpu())
    fail<DeviceError>(loc, what, "the array ({}) is on {}; host pointers need an array on the cpu: use .to(Device::cpu())",
                      type_str(n->type()), d.str());
}

}  // namespace

Device Array::device() const { return node_or_throw(node_).attrs().device; }

Array Array::to(Device device, SourceLocation loc) const {
  node_of(*this, "to", loc);
  if (this->device() == device) return *this;
  try {
    check_device(device);
  } catch (const DeviceError& e) {
    fail<DeviceError>(loc, "to", "cannot move {} from {} to {}: {}", type_str(node_->type()), this->device().str(),
                      device.str(), e.what());
  }
  BufferPtr value = value_of(node_);
  const size_t bytes = static_cast<size_t>(size()) * dtype_size(dtype());
  return Array(make_param(node_->type(), "", transfer(value, bytes, device), to_loc(loc)));
}

DType Array::dtype() const { return node_or_throw(node_).dtype(); }
const Shape& Array::shape() const { return node_or_throw(node_).shape(); }
int Array::ndim() const { return node_or_throw(node_).rank(); }
int64_t Array::size() const { return node_or_throw(node_).numel(); }

int64_t Array::dim(int axis) const {
  int r = ndim();
  if (axis < -r || axis >= r) throw AxisError(fmt::format("dim: axis {} is out of range for rank {}", axis, r));
  return shape()[axis < 0 ? axis + r : axis];
}

bool Array::is_evaluated() const {
  if (!node_) return false;
  GraphReadLock lock = lock_graph_for_reading();
  return node_->evaluated();
}

const Array& Array::eval(SourceLocation loc) const {
  node_of(*this, "eval", loc);
  evaluate(std::span<const NodeRef>(&node_, 1));
  return *this;
}

void Array::copy_to(void* out, DType as, size_t count, bool scalar, SourceLocation loc) const {
  node_of(*this, scalar ? "item" : "to_vector", loc);
  if (scalar && size() != 1)
    fail<ShapeError>(loc, "item", "needs an array of one element, got {}", type_str(node_->type()));
  BufferPtr buf = on_host(value_of(node_));
  DType t = dtype();
  for (size_t i = 0; i < count; ++i) {
    int64_t k = static_cast<int64_t>(i);
    if (is_float(t) || is_float(as))
      store_double(out, as, k, load_as_double(buf->data(), t, k));
    else
      store_int(out, as, k, load_as_int(buf->data(), t, k));
  }
}

const void* Array::raw_data(DType a, DType b, SourceLocation loc) const {
  node_of(*this, "data", loc);
  DType t = dtype();
  if (t != a && t != b)
    fail<DTypeError>(loc, "data", "the element type is the storage of {}{}{}, but the array is {}", dtype_name(a),
                     a == b ? "" : " or ", a == b ? "" : dtype_name(b), dtype_name(t));
  require_host(node_, "data", loc);
  return value_of(node_)->data();
}

BufferPtr Array::buffer(SourceLocation loc) const {
  node_of(*this, "buffer", loc);
  require_host(node_, "buffer", loc);
  return value_of(node_);
}

BufferPtr Array::device_buffer(SourceLocation loc) const {
  node_of(*this, "device_buffer", loc);
  return value_of(node_);
}

Array Array::reshape(const Shape& s, SourceLocation loc) const { return kiln::reshape(*this, s, loc); }
Array Array::astype(DType t, SourceLocation loc) const { return kiln::cast(*this, t, loc); }
Array Array::slice(const std::vector<Range>& r, SourceLocation loc) const { return kiln::slice(*this, r, loc); }

Array& Array::operator+=(const Operand& o) { return *this = add(Operand(*this, o.loc()), o); }
Array& Array::operator-=(const Operand& o) { return *this = sub(Operand(*this, o.loc()), o); }
Array& Array::operator*=(const Operand& o) { return *this = mul(Operand(*this, o.loc()), o); }
Array& Array::operator/=(const Operand& o) { return *this = div(Operand(*this, o.loc()), o); }
Array& Array::operator%=(const Operand& o) { return *this = mod(Operand(*this, o.loc()), o); }
Array& Array::operator&=(const Operand& o) { return *this = bitwise_and(Operand(*this, o.loc()), o); }
Array& Array::operator|=(const Operand& o) { return *this = bitwise_or(Operand(*this, o.loc()), o); }
Array& Array::operator^=(const Operand& o) { return *this = bitwise_xor(Operand(*this, o.loc()), o); }
Array& Array::operator<<=(const Operand& o) { return *this = left_shift(Operand(*this, o.loc()), o); }
Array& Array::operator>>=(const Operand& o) { return *this = right_shift(Operand(*this, o.loc()), o); }

void eval(const std::vector<Array>& arrays) {
  std::vector<NodeRef> roots;
  for (const Array& a : arrays) {
    node_or_throw(a.node());
    roots.push_back(a.node());
  }
  evaluate(roots);
}

namespace {

std::vector<NodeRef> nodes_of(const std::vector<Array>& arrays) {
  std::vector<NodeRef> roots;
  for (const Array& a : arrays) {
    node_or_throw(a.node());
    roots.push_back(a.node());
  }
  return roots;
}

}  // namespace

std::vector<DumpText> dump(const std::vector<Array>& arrays, const DumpOptions& options) {
  return dump_stages(nodes_of(arrays), options);
}

std::string to_dot(const std::vector<Array>& arrays) {
  DumpOptions options;
  options.graphs = options.kernels = options.code = false;
  std::vector<DumpText> texts = dump_stages(nodes_of(arrays), options);
  KILN_CHECK(texts.size() == 1 && texts[0].name == "graph.dot") << "a dump of the picture alone has "
                                                                 << texts.size() << " texts";
  return std::move(texts[0].text);
}

std::string dump(const std::vector<Array>& arrays, bool locations) {
  std::vector<NodeRef> roots = nodes_of(arrays);
  PrintOptions options;
  options.locations = locations;
  // One read lock over both walks, so that no node is evaluated (by another thread) between
  // choosing the arguments and printing.
  GraphReadLock lock = lock_graph_for_reading();
  return print_function(function_of(std::move(roots)), options);
}

}  // namespace kiln
