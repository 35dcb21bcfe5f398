// Movement and indexing ops of the reference interpreter.
//
// A movement op only moves elements: for each result coordinate (row-major) it computes which
// operand element lands there (or that the pad value does) and copies its bytes, so every
// dtype and every bit pattern (NaN payloads, -0.0) passes through untouched. The offset of the
// source element is affine in the result coordinate for reshape, permute, broadcast, slice
// and flip: a base offset plus one stride per result axis (0 for a broadcast axis, negative
// for a flipped one or a negative slice step). gather and scatter_add replace one coordinate
// with an index read from the index array.
#include <algorithm>
#include <cstring>

#include "compiler/ir/element.hpp"
#include "compiler/ir/interpret_internal.hpp"

namespace kiln::interp {
namespace {

// memcpy of a whole array; a zero-size one may have a null data pointer, which memcpy forbids.
void copy_all(void* out, const Array& x) {
  size_t bytes = static_cast<size_t>(x.numel() * dtype_size(x.dtype()));
  if (bytes > 0) std::memcpy(out, x.data, bytes);
}

// out[c] = x[base + offset_of(c, strides)] for every coordinate c of n's shape.
void copy_affine(const Node& n, const Array& x, int64_t base, const std::vector<int64_t>& strides, void* out) {
  int64_t o = 0;
  for_each_coord(n.shape(),
                 [&](std::span<const int64_t> c) { copy_element(out, o++, x.data, base + offset_of(c, strides), n.dtype()); });
}

// permute: result axis i is operand axis perm[i], so it steps by that axis's stride.
void permute(const Node& n, const Array& x, void* out) {
  std::vector<int64_t> in_strides = row_major_strides(x.shape()), strides;
  for (int64_t p : n.attrs().perm) strides.push_back(in_strides[p]);
  copy_affine(n, x, 0, strides, out);
}

// slice: out[c] = x[start + c * step] on every axis.
void slice(const Node& n, const Array& x, void* out) {
  const Attrs& a = n.attrs();
  std::vector<int64_t> in_strides = row_major_strides(x.shape()), strides(in_strides.size());
  for (size_t d = 0; d < strides.size(); ++d) strides[d] = a.step[d] * in_strides[d];
  copy_affine(n, x, offset_of(a.start, in_strides), strides, out);
}

// flip: on a flipped axis of size s, out coordinate c reads s - 1 - c.
void flip(const Node& n, const Array& x, void* out) {
  std::vector<int64_t> strides = row_major_strides(x.shape());
  int64_t base = 0;
  for (int64_t d : n.attrs().axes) {
    base += (x.shape()[d] - 1) * strides[d];
    strides[d] = -strides[d];
  }
  copy_affine(n, x, base, strides, out);
}

// pad: out coordinate c reads x at c - low, or is the pad value where that is outside x.
void pad(const Node& n, const Array& x, void* out) {
  const Attrs& a = n.attrs();
  alignas(8) unsigned char fill[8] = {};
  store_val(fill, n.dtype(), 0, a.value.is_float ? float_val(a.value.f) : int_val(a.value.i));
  std::vector<int64_t> in_strides = row_major_strides(x.shape());
  int64_t o = 0;
  for_each_coord(n.shape(), [&](std::span<const int64_t> c) {
    int64_t src = 0;
    bool inside = true;
    for (size_t d = 0; d < c.size() && inside; ++d) {
      int64_t ci = c[d] - a.low[d];
      inside = ci >= 0 && ci < x.shape()[d];
      src += ci * in_strides[d];
    }
    if (inside)
      copy_element(out, o++, x.data, src, n.dtype());
    else
      copy_element(out, o++, fill, 0, n.dtype());
  });
}

// concat: operand k lands at offset (sum of the earlier operands' sizes) along `axis`.
void concat(const Node& n, std::span<const Array> in, void* out) {
  const int64_t axis = n.attrs().axis;
  std::vector<int64_t> out_strides = row_major_strides(n.shape());
  int64_t start = 0;
  for (const Array& x : in) {
    int64_t e = 0;
    for_each_coord(x.shape(), [&](std::span<const int64_t> c) {
      int64_t o = offset_of(c, out_strides) + start * out_strides[axis];
      copy_element(out, o, x.data, e++, n.dtype());
    });
    start += x.shape()[axis];
  }
}

// An index along an axis of size `size`: a negative one counts from the end (once).
int64_t from_end(int64_t i, int64_t size) { return i < 0 ? i + size : i; }

// gather(x, idx){axis}: out[p] = x[p with coordinate `axis` replaced by idx[p]], the index
// clamped into [0, size - 1] after counting from the end.
void gather(const Node& n, const Array& x, const Array& idx, void* out) {
  const int64_t axis = n.attrs().axis, size = x.shape()[axis];
  std::vector<int64_t> x_strides = row_major_strides(x.shape());
  int64_t p = 0;
  for_each_coord(idx.shape(), [&](std::span<const int64_t> c) {
    int64_t i = std::clamp<int64_t>(from_end(load_as_int(idx.data, idx.dtype(), p), size), 0, size - 1);
    int64_t src = offset_of(c, x_strides) + (i - c[axis]) * x_strides[axis];
    copy_element(out, p++, x.data, src, n.dtype());
  });
}

// scatter_add(dst, idx, src){axis}: a copy of dst to which, for each p of idx in row-major
// order, src[p] is added at p with coordinate `axis` replaced by idx[p]. Each add is rounded
// to the dtype (so duplicates accumulate in that order); an index outside [0, size - 1] after
// counting from the end is dropped.
void scatter_add(const Node& n, std::span<const Array> in, void* out) {
  const Array &dst = in[0], &idx = in[1], &src = in[2];
  const DType t = n.dtype();
  const int64_t axis = n.attrs().axis, size = dst.shape()[axis];
  copy_all(out, dst);
  std::vector<int64_t> out_strides = row_major_strides(dst.shape());
  int64_t p = 0;
  for_each_coord(idx.shape(), [&](std::span<const int64_t> c) {
    int64_t i = from_end(load_as_int(idx.data, idx.dtype(), p), size);
    if (i >= 0 && i < size) {
      int64_t o = offset_of(c, out_strides) + (i - c[axis]) * out_strides[axis];
      store_val(out, t, o, apply_binary(Op::Add, t, load_val(out, t, o), load_val(src.data, t, p)));
    }
    ++p;
  });
}

}  // namespace

void eval_movement(const Node& n, std::span<const Array> in, void* out) {
  const Array& x = in[0];
  switch (n.op()) {
    case Op::Reshape: return copy_all(out, x);  // row-major order is unchanged: the same bytes
    case Op::Permute: return permute(n, x, out);
    case Op::Broadcast: return copy_affine(n, x, 0, broadcast_strides(x.shape(), n.shape()), out);
    case Op::Slice: return slice(n, x, out);
    case Op::Flip: return flip(n, x, out);
    case Op::Pad: return pad(n, x, out);
    case Op::Concat: return concat(n, in, out);
    case Op::Literal: case Op::Constant: case Op::Param: case Op::Iota: case Op::RandomBits:
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
    case Op::ArgMax: case Op::ArgMin: case Op::ReduceAny: case Op::ReduceAll:
    case Op::Gather: case Op::ScatterAdd: case Op::Matmul: break;
  }
  wrong_family(n.op(), "movement");
}

void eval_index(const Node& n, std::span<const Array> in, void* out) {
  switch (n.op()) {
    case Op::Gather: return gather(n, in[0], in[1], out);
    case Op::ScatterAdd: return scatter_add(n, in, out);
    case Op::Literal: case Op::Constant: case Op::Param: case Op::Iota: case Op::RandomBits:
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
    case Op::Concat: case Op::Matmul: break;
  }
  wrong_family(n.op(), "indexing");
}

}  // namespace kiln::interp
