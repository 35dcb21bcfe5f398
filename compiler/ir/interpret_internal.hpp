// Private to the reference interpreter (interpreter.cpp and interpret_*.cpp): how an op family
// sees its operands, the one-element value type the arithmetic works on, and the coordinate
// walks the families share.
//
// Every family writes its result into a fresh, zeroed buffer of the node's type, one element
// at a time, in row-major order. Floats are computed in double (sums and products in long
// double) and rounded once to the result dtype; integers are computed modulo 2^64 and
// wrapped to the dtype when stored.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "compiler/ir/node.hpp"

namespace kiln::interp {

// An evaluated operand: its type and its elements (row-major, storage as in buffer.hpp).
struct Array {
  const TensorType* type;
  const void* data;

  DType dtype() const { return type->dtype; }
  const Shape& shape() const { return type->shape; }
  int64_t numel() const { return kiln::numel(type->shape); }
};

// One element as the arithmetic sees it: a float dtype's value in `f`; any other dtype's
// value (integers, bool) in `i`, u32 zero-extended and bool 0 or 1.
struct Val {
  double f = 0.0;
  int64_t i = 0;
};

inline Val float_val(double f) { return {f, 0}; }
inline Val int_val(int64_t i) { return {0.0, i}; }

// Element k of `data` (dtype t) as a Val.
Val load_val(const void* data, DType t, int64_t k);
// Stores v into element k: a float dtype rounds v.f once, other dtypes wrap v.i to their width.
void store_val(void* data, DType t, int64_t k, Val v);

// A binary elementwise op on one pair of elements of dtype t (the operands' dtype). Shared with
// the reductions (max/min/arg), scatter_add (add) and matmul, so every family agrees on them.
Val apply_binary(Op op, DType t, Val a, Val b);

// Any elementwise op other than cast and where on operands `x` of dtype t (the operands'
// dtype); the result is unrounded (double for floats, 64-bit for integers). Shared with the
// kernel IR evaluator so that both define the ops the same way.
Val apply_elementwise(Op op, DType t, std::span<const Val> x);

// Copies element `from` of `src` to element `to` of `dst` (both of dtype t), bit for bit.
void copy_element(void* dst, int64_t to, const void* src, int64_t from, DType t);

// Calls visit(coord) for every coordinate of `shape` in row-major order (last axis fastest).
// A shape with a zero dim has no coordinates; a 0-d shape has one, the empty coordinate.
template <class Visit>
void for_each_coord(const Shape& shape, Visit visit) {
  if (numel(shape) == 0) return;
  std::vector<int64_t> coord(shape.size(), 0);
  while (true) {
    visit(std::as_const(coord));
    int d = static_cast<int>(shape.size()) - 1;
    while (d >= 0 && ++coord[d] == shape[d]) coord[d--] = 0;
    if (d < 0) return;
  }
}

// sum(coord[d] * strides[d]): the flat offset of a coordinate.
int64_t offset_of(std::span<const int64_t> coord, std::span<const int64_t> strides);

// Strides, one per axis of `out`, that read an array of shape `in` broadcast NumPy-style to
// `out` (right-aligned; an axis `in` lacks or has as 1 gets stride 0).
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out);

// Aborts: `op` reached the evaluator of a family it does not belong to (a broken invariant).
[[noreturn]] void wrong_family(Op op, const char* family);

// The op families. Each writes node n's elements into `out` (zeroed, n.numel() elements).
void eval_elementwise(const Node& n, std::span<const Array> in, void* out);
void eval_reduce(const Node& n, const Array& x, void* out);
void eval_matmul(const Node& n, const Array& a, const Array& b, void* out);
void eval_movement(const Node& n, std::span<const Array> in, void* out);
void eval_index(const Node& n, std::span<const Array> in, void* out);

}  // namespace kiln::interp
