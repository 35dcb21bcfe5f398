// Shapes and tensor types. Shapes are static: a list of non-negative dimensions, row-major.
//
// Element counts are checked: a shape whose product passes kMaxElements (2^62) is an error,
// never a wrapped number.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/dtype.hpp"

namespace kiln {

using Shape = std::vector<int64_t>;

inline constexpr int64_t kMaxElements = int64_t{1} << 62;
inline constexpr int kMaxRank = 64;

// Product of the dims; throws ValueError (naming `what`) on a negative dim or a product
// past kMaxElements.
int64_t checked_numel(const Shape& shape, const char* what = "shape");
// Product of the dims of a shape already known to be valid.
int64_t numel(const Shape& shape);
// Row-major strides in elements.
std::vector<int64_t> row_major_strides(const Shape& shape);

// "[3,4]"
std::string shape_str(const Shape& shape);

struct TensorType {
  DType dtype = DType::F32;
  Shape shape;
  bool operator==(const TensorType&) const = default;
};

// "f32[3,4]"
std::string type_str(const TensorType& t);
std::string type_str(DType dtype, const Shape& shape);

}  // namespace kiln
