// Shape arithmetic with overflow checks.
#include "compiler/ir/shape.hpp"

#include <fmt/format.h>

#include "compiler/ir/error.hpp"

namespace kiln {

int64_t checked_numel(const Shape& shape, const char* what) {
  if (shape.size() > static_cast<size_t>(kMaxRank))
    throw ValueError(fmt::format("{}: rank {} is above the limit of {}", what, shape.size(), kMaxRank));
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 0) throw ValueError(fmt::format("{}: negative dimension {} in {}", what, d, shape_str(shape)));
  for (int64_t d : shape) {
    if (d == 0) return 0;
  }
  for (int64_t d : shape) {
    if (n > kMaxElements / d)
      throw ValueError(fmt::format("{}: {} has more than 2^62 elements", what, shape_str(shape)));
    n *= d;
  }
  return n;
}

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<int64_t> row_major_strides(const Shape& shape) {
  std::vector<int64_t> s(shape.size());
  int64_t acc = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    s[i] = acc;
    acc *= shape[i] == 0 ? 1 : shape[i];
  }
  return s;
}

std::string shape_str(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

std::string type_str(DType dtype, const Shape& shape) {
  return fmt::format("{}{}", dtype_name(dtype), shape_str(shape));
}

std::string type_str(const TensorType& t) { return type_str(t.dtype, t.shape); }

}  // namespace kiln
