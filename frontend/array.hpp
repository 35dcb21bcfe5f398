// kiln::Array, the lazy array handle of the user API.
//
// An Array is a reference-counted handle on a graph node: copying it is cheap and shares the
// node; operations build new nodes and never compute. Evaluation happens when a value is
// needed (item, to_vector, data, printing) or asked for (eval). Every function that builds
// an op records the caller's source line, which appears in error messages
// (`train.cpp:42: add: cannot broadcast f32[3,4] with f32[5]`) and in the text IR.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <source_location>
#include <string>
#include <type_traits>
#include <vector>

#include "compiler/ir/device.hpp"
#include "compiler/ir/node.hpp"
#include "runtime/dump.hpp"

namespace kiln {

using SourceLocation = std::source_location;
#define KILN_HERE ::kiln::SourceLocation loc = ::kiln::SourceLocation::current()

// The dtype that stores C++ type T: bool, int32_t, int64_t, uint32_t, float, double.
template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, bool>) return DType::Bool;
  else if constexpr (std::is_same_v<T, int32_t>) return DType::I32;
  else if constexpr (std::is_same_v<T, int64_t>) return DType::I64;
  else if constexpr (std::is_same_v<T, uint32_t>) return DType::U32;
  else if constexpr (std::is_same_v<T, float>) return DType::F32;
  else if constexpr (std::is_same_v<T, double>) return DType::F64;
  else static_assert(sizeof(T) == 0, "kiln: no dtype for this C++ type");
}

// One slice of an axis with NumPy semantics: start/stop may be negative (counted from the
// end) or absent; step may be negative, never 0. `{}` is the whole axis, `{2, 5}` elements
// 2..4, `{none, none, -1}` the axis reversed.
struct Range {
  std::optional<int64_t> start;
  std::optional<int64_t> stop;
  int64_t step = 1;
};
inline constexpr std::nullopt_t none = std::nullopt;

// A set of axes for reductions: all axes by default, one axis, or a list (negative counts
// from the end).
class Axes {
 public:
  Axes() = default;  // all axes
  Axes(int axis) : all_(false), axes_{axis} {}
  Axes(std::initializer_list<int> axes) : all_(false), axes_(axes) {}
  explicit Axes(std::vector<int> axes) : all_(false), axes_(std::move(axes)) {}
  static Axes all() { return Axes(); }
  bool is_all() const { return all_; }
  const std::vector<int>& list() const { return axes_; }

 private:
  bool all_ = true;
  std::vector<int> axes_;
};

class Operand;

class Array {
 public:
  // An empty handle; using it in an op throws ValueError.
  Array() = default;
  explicit Array(NodeRef node) : node_(std::move(node)) {}

  DType dtype() const;
  const Shape& shape() const;
  int ndim() const;
  int64_t size() const;  // number of elements
  // Dimension `axis` (negative counts from the end).
  int64_t dim(int axis) const;
  bool valid() const { return static_cast<bool>(node_); }
  // True once the value is computed (or the array wraps host data).
  bool is_evaluated() const;
  // Where the array lives and its operations run (frontend/device.hpp).
  Device device() const;
  // This array on `device`: *this when it is there already, else an evaluated copy (this
  // evaluates the array now and copies its elements; device.hpp).
  Array to(Device device, KILN_HERE) const;

  // Reading values: an array on a GPU is copied back (waiting for the device); data() and
  // buffer() throw DeviceError for it (use to(Device::cpu()) first).
  // Evaluates (if needed) and returns the single element converted to T (the `cast` rules).
  template <class T>
  T item(KILN_HERE) const {
    T out{};
    copy_to(&out, dtype_of<T>(), 1, true, loc);
    return out;
  }
  // Evaluates (if needed) and returns all elements, row-major, converted to T.
  template <class T>
  std::vector<T> to_vector(KILN_HERE) const {
    std::vector<T> out(static_cast<size_t>(size()));
    if constexpr (std::is_same_v<T, bool>) {
      std::vector<uint8_t> bytes(out.size());
      copy_to(bytes.data(), DType::Bool, bytes.size(), false, loc);
      for (size_t i = 0; i < out.size(); ++i) out[i] = bytes[i] != 0;
    } else {
      copy_to(out.data(), dtype_of<T>(), out.size(), false, loc);
    }
    return out;
  }
  // Evaluates (if needed) and returns the storage, row-major. T must be the storage type of
  // the dtype exactly (uint16_t for f16/bf16, uint8_t or bool for bool); valid while this
  // Array (or a copy) lives.
  template <class T>
  const T* data(KILN_HERE) const {
    if constexpr (std::is_same_v<T, uint16_t>)
      return static_cast<const T*>(raw_data(DType::F16, DType::BF16, loc));
    else if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, bool>)
      return static_cast<const T*>(raw_data(DType::Bool, DType::Bool, loc));
    else
      return static_cast<const T*>(raw_data(dtype_of<T>(), dtype_of<T>(), loc));
  }
  // Evaluates (if needed) and returns the host buffer holding the elements (row-major, the
  // storage of buffer.hpp).
  BufferPtr buffer(KILN_HERE) const;
  // Evaluates (if needed) and returns the buffer on the array's own device: for a GPU array,
  // device memory (its address() is a device address; its data() must not be used).
  BufferPtr device_buffer(KILN_HERE) const;
  // Evaluates this array now; returns *this.
  const Array& eval(KILN_HERE) const;

  // Views and conversions (see the free functions of the same names).
  Array reshape(const Shape& shape, KILN_HERE) const;
  Array astype(DType dtype, KILN_HERE) const;
  Array slice(const std::vector<Range>& ranges, KILN_HERE) const;

  // Compound assignment rebinds this handle to the new node (arrays are immutable).
  Array& operator+=(const Operand& o);
  Array& operator-=(const Operand& o);
  Array& operator*=(const Operand& o);
  Array& operator/=(const Operand& o);
  Array& operator%=(const Operand& o);
  Array& operator&=(const Operand& o);
  Array& operator|=(const Operand& o);
  Array& operator^=(const Operand& o);
  Array& operator<<=(const Operand& o);
  Array& operator>>=(const Operand& o);

  const NodeRef& node() const { return node_; }

 private:
  void copy_to(void* out, DType as, size_t count, bool scalar, SourceLocation loc) const;
  // The storage when the dtype is `a` or `b`; DTypeError otherwise.
  const void* raw_data(DType a, DType b, SourceLocation loc) const;
  NodeRef node_;
};

// An argument of a binary function or operator: an Array, or a C++ number (a "weak" scalar
// that takes the other operand's dtype where it fits, as in NumPy and JAX: x * 2.0 stays f32
// for an f32 x; x + 1 stays i32). Records the source line where it was written.
class Operand {
 public:
  Operand(const Array& a, SourceLocation loc = SourceLocation::current()) : array_(a), loc_(loc) {}
  template <class T>
    requires std::is_arithmetic_v<T>
  Operand(T v, SourceLocation loc = SourceLocation::current()) : loc_(loc) {
    if constexpr (std::is_same_v<T, bool>) {
      scalar_ = Scalar::of_int(v);
      kind_ = Kind::Bool;
    } else if constexpr (std::is_floating_point_v<T>) {
      scalar_ = Scalar::of_float(static_cast<double>(v));
      kind_ = Kind::Float;
    } else {
      static_assert(sizeof(T) <= 8);
      if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8)
        if (v > static_cast<T>(INT64_MAX)) throw ValueError("kiln: integer scalar does not fit in int64");
      scalar_ = Scalar::of_int(static_cast<int64_t>(v));
      kind_ = Kind::Int;
    }
  }

  enum class Kind : uint8_t { Array, Bool, Int, Float };
  Kind kind() const { return kind_; }
  bool is_array() const { return kind_ == Kind::Array; }
  const Array& array() const { return array_; }
  const Scalar& scalar() const { return scalar_; }
  SourceLocation loc() const { return loc_; }

 private:
  Kind kind_ = Kind::Array;
  Array array_;
  Scalar scalar_;
  SourceLocation loc_;
};

// Evaluates every array given (a single evaluation for all of them).
void eval(const std::vector<Array>& arrays);
template <class... A>
  requires(std::is_same_v<std::remove_cvref_t<A>, Array> && ...)
void eval(const A&... arrays) {
  eval(std::vector<Array>{arrays...});
}

// The text IR of what the arrays depend on (a function @main whose arguments are the
// evaluated inputs). `to_text` is the same.
std::string dump(const std::vector<Array>& arrays, bool locations = true);
inline std::string dump(const Array& a, bool locations = true) { return dump(std::vector<Array>{a}, locations); }
inline std::string to_text(const Array& a) { return dump(a); }

// Every stage that evaluating the arrays goes through, as the texts KILN_DUMP would write
// (runtime/dump.hpp), without evaluating: the graph before and after each pass, the
// schedule, each kernel's kernel IR and backend code (LLVM IR), and a Graphviz picture;
// `options` chooses which.
std::vector<DumpText> dump(const std::vector<Array>& arrays, const DumpOptions& options);
// The Graphviz text (`dot -Tsvg`) of what the arrays depend on, after the passes, with the
// kernels that would compute it as clusters. Evaluates nothing.
std::string to_dot(const std::vector<Array>& arrays);
inline std::string to_dot(const Array& a) { return to_dot(std::vector<Array>{a}); }

// NumPy-like printing (evaluates): `[[1, 2], [3, 4]]`, long axes summarised with `...`.
std::ostream& operator<<(std::ostream& os, const Array& a);
std::string to_string(const Array& a);

}  // namespace kiln
