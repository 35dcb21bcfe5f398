// NumPy-like printing of arrays: nested brackets, one row per line for the last axis,
// long axes (more than 6 entries when the array has over 1000 elements) summarised as
// `first three, ..., last three`. Floats use the shortest text that reads back exactly
// (`1.`, `0.1`, `nan`, `-inf`), integers decimal, bool `true`/`false`.
#include <fmt/format.h>

#include <cmath>
#include <ostream>
#include <sstream>

#include "compiler/ir/element.hpp"
#include "frontend/array.hpp"

namespace kiln {
namespace {

constexpr int64_t kSummariseAbove = 1000;
constexpr int64_t kEdgeItems = 3;

std::string format_element(const void* data, DType t, int64_t i) {
  if (t == DType::Bool) return load_as_int(data, t, i) ? "true" : "false";
  if (!is_float(t)) return std::to_string(load_as_int(data, t, i));
  double v = load_as_double(data, t, i);
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  std::string s = t == DType::F64 ? fmt::format("{}", v) : fmt::format("{}", static_cast<float>(v));
  if (s.find_first_of(".e") == std::string::npos) s += ".";
  return s;
}

struct Printer {
  const void* data;
  DType dtype;
  const Shape& shape;
  std::vector<int64_t> strides;
  bool summarise;
  std::ostream& os;

  // Prints the sub-array at flat offset `base` starting at axis `axis`.
  void print(int axis, int64_t base) {
    if (axis == static_cast<int>(shape.size())) {
      os << format_element(data, dtype, base);
      return;
    }
    int64_t n = shape[axis];
    os << "[";
    bool last_axis = axis + 1 == static_cast<int>(shape.size());
    std::string sep = last_axis ? ", " : ",\n" + std::string(axis + 1, ' ');
    if (!last_axis && shape.size() - axis > 2) sep.insert(1, "\n");
    for (int64_t i = 0; i < n; ++i) {
      if (summarise && n > 2 * kEdgeItems && i == kEdgeItems) {
        os << "..." << sep;
        i = n - kEdgeItems;
      }
      print(axis + 1, base + i * strides[axis]);
      if (i + 1 < n) os << sep;
    }
    os << "]";
  }
};

}  // namespace

std::ostream& operator<<(std::ostream& os, const Array& a) {
  BufferPtr buf = a.to(Device::cpu()).buffer();  // a GPU array's elements are copied back
  Printer p{buf->data(), a.dtype(), a.shape(), row_major_strides(a.shape()), a.size() > kSummariseAbove, os};
  p.print(0, 0);
  return os;
}

std::string to_string(const Array& a) {
  std::ostringstream os;
  os << a;
  return os.str();
}

}  // namespace kiln
