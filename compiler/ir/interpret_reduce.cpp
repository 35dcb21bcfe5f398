// Reductions and matmul of the reference interpreter.
//
// A reduction walks its operand once in row-major order. Each input coordinate maps to an
// output element (the kept axes, row-major) and to a position within the reduced axes (the
// reduced axes, row-major), so every output sees its elements in row-major order of the
// reduced axes: the fixed order that makes float results reproducible and that defines the
// index argmax/argmin return. Float sums and products (and matmul's dot products) accumulate
// in long double and are rounded once to the dtype; integer ones wrap modulo 2^64, then to
// the dtype. A float sum starts from -0.0, the exact identity of IEEE addition, so summing
// [-0.0] gives -0.0; a sum over an empty set is +0.0, a product 1, any false, all true.
#include <cmath>

#include "compiler/ir/element.hpp"
#include "compiler/ir/interpret_internal.hpp"

namespace kiln::interp {
namespace {

// Where each input coordinate goes: its output element and its index within the reduced axes.
struct ReduceMap {
  std::vector<int64_t> out_strides;      // per input axis; 0 on reduced axes
  std::vector<int64_t> reduced_strides;  // per input axis; 0 on kept axes
  int64_t reduced_count = 1;             // elements per output
};

ReduceMap reduce_map(const Shape& in, const std::vector<int64_t>& axes) {
  Shape kept, reduced;
  std::vector<bool> is_reduced(in.size(), false);
  for (int64_t a : axes) is_reduced[a] = true;
  for (size_t d = 0; d < in.size(); ++d) (is_reduced[d] ? reduced : kept).push_back(in[d]);
  std::vector<int64_t> kept_strides = row_major_strides(kept), reduced_strides = row_major_strides(reduced);
  ReduceMap m;
  m.out_strides.assign(in.size(), 0);
  m.reduced_strides.assign(in.size(), 0);
  m.reduced_count = numel(reduced);
  size_t k = 0, r = 0;
  for (size_t d = 0; d < in.size(); ++d) {
    if (is_reduced[d])
      m.reduced_strides[d] = reduced_strides[r++];
    else
      m.out_strides[d] = kept_strides[k++];
  }
  return m;
}

// Calls visit(out_index, reduced_index, in_index) for every element of x, in row-major order.
template <class Visit>
void walk(const Array& x, const ReduceMap& m, Visit visit) {
  int64_t in_index = 0;
  for_each_coord(x.shape(), [&](std::span<const int64_t> c) {
    visit(offset_of(c, m.out_strides), offset_of(c, m.reduced_strides), in_index++);
  });
}

// reduce_sum / reduce_prod.
void sum_or_product(const Node& n, const Array& x, const ReduceMap& m, void* out) {
  const bool sum = n.op() == Op::ReduceSum;
  const DType t = x.dtype();
  if (is_float(t)) {
    std::vector<long double> acc(n.numel(), sum ? -0.0L : 1.0L);
    walk(x, m, [&](int64_t o, int64_t, int64_t e) {
      long double v = load_as_double(x.data, t, e);
      acc[o] = sum ? acc[o] + v : acc[o] * v;
    });
    for (int64_t o = 0; o < n.numel(); ++o) {
      long double v = m.reduced_count == 0 && sum ? 0.0L : acc[o];
      store_double(out, t, o, round_to_dtype(v, t));
    }
    return;
  }
  std::vector<uint64_t> acc(n.numel(), sum ? 0 : 1);
  walk(x, m, [&](int64_t o, int64_t, int64_t e) {
    uint64_t v = static_cast<uint64_t>(load_as_int(x.data, t, e));
    acc[o] = sum ? acc[o] + v : acc[o] * v;
  });
  for (int64_t o = 0; o < n.numel(); ++o) store_int(out, t, o, static_cast<int64_t>(acc[o]));
}

// Whether v replaces `best` as the running extreme: strictly greater (argmax) or smaller
// (argmin), so the first of equal values stays; a NaN replaces anything but an earlier NaN.
bool is_new_extreme(Op op, DType t, Val v, Val best) {
  if (is_float(t)) {
    if (std::isnan(best.f)) return false;
    if (std::isnan(v.f)) return true;
    return op == Op::ArgMax ? v.f > best.f : v.f < best.f;
  }
  return op == Op::ArgMax ? v.i > best.i : v.i < best.i;
}

// reduce_max / reduce_min (through the elementwise maximum/minimum, so NaN and -0.0 follow
// the same rules) and argmax / argmin.
void extreme(const Node& n, const Array& x, const ReduceMap& m, void* out) {
  const DType t = x.dtype();
  const bool arg = n.op() == Op::ArgMax || n.op() == Op::ArgMin;
  const Op pick = n.op() == Op::ReduceMax ? Op::Maximum : Op::Minimum;
  std::vector<Val> best(n.numel());
  std::vector<int64_t> best_index(n.numel(), -1);
  walk(x, m, [&](int64_t o, int64_t r, int64_t e) {
    Val v = load_val(x.data, t, e);
    if (best_index[o] < 0) {  // the first element of this output
      best[o] = v;
      best_index[o] = r;
    } else if (!arg) {
      best[o] = apply_binary(pick, t, best[o], v);
    } else if (is_new_extreme(n.op(), t, v, best[o])) {
      best[o] = v;
      best_index[o] = r;
    }
  });
  for (int64_t o = 0; o < n.numel(); ++o) {
    KILN_CHECK(best_index[o] >= 0) << op_name(n.op()) << " of an empty set passed the type rules";
    if (arg)
      store_int(out, DType::I64, o, best_index[o]);
    else
      store_val(out, t, o, best[o]);
  }
}

// reduce_any / reduce_all on bool.
void any_or_all(const Node& n, const Array& x, const ReduceMap& m, void* out) {
  const bool any = n.op() == Op::ReduceAny;
  std::vector<uint8_t> acc(n.numel(), any ? 0 : 1);
  walk(x, m, [&](int64_t o, int64_t, int64_t e) {
    bool v = load_as_int(x.data, DType::Bool, e) != 0;
    acc[o] = any ? (acc[o] || v) : (acc[o] && v);
  });
  for (int64_t o = 0; o < n.numel(); ++o) store_int(out, DType::Bool, o, acc[o]);
}

}  // namespace

void eval_reduce(const Node& n, const Array& x, void* out) {
  ReduceMap m = reduce_map(x.shape(), n.attrs().axes);
  switch (n.op()) {
    case Op::ReduceSum:
    case Op::ReduceProd: return sum_or_product(n, x, m, out);
    case Op::ReduceMax:
    case Op::ReduceMin:
    case Op::ArgMax:
    case Op::ArgMin: return extreme(n, x, m, out);
    case Op::ReduceAny:
    case Op::ReduceAll: return any_or_all(n, x, m, out);
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
    case Op::Reshape: case Op::Permute: case Op::Broadcast: case Op::Slice: case Op::Flip:
    case Op::Pad: case Op::Concat: case Op::Gather: case Op::ScatterAdd: case Op::Matmul: break;
  }
  wrong_family(n.op(), "reduction");
}

// matmul: out[b..., i, j] = sum over p of a[b..., i, p] * b[b..., p, j], the batch axes of a
// and b broadcast to those of the result. The sum runs over p in increasing order.
void eval_matmul(const Node& n, const Array& a, const Array& b, void* out) {
  const DType t = n.dtype();
  const Shape& os = n.shape();
  const size_t r = os.size();
  const int64_t m = os[r - 2], cols = os[r - 1], k = a.shape().back();
  Shape batch(os.begin(), os.end() - 2);
  std::vector<int64_t> a_batch = broadcast_strides(Shape(a.shape().begin(), a.shape().end() - 2), batch);
  std::vector<int64_t> b_batch = broadcast_strides(Shape(b.shape().begin(), b.shape().end() - 2), batch);
  int64_t o = 0;
  for_each_coord(batch, [&](std::span<const int64_t> c) {
    // Batch strides count whole matrices; scale them to elements.
    const int64_t a0 = offset_of(c, a_batch) * m * k, b0 = offset_of(c, b_batch) * k * cols;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < cols; ++j, ++o) {
        if (is_float(t)) {
          long double acc = k == 0 ? 0.0L : -0.0L;
          for (int64_t p = 0; p < k; ++p)
            acc += static_cast<long double>(load_as_double(a.data, t, a0 + i * k + p)) *
                   load_as_double(b.data, t, b0 + p * cols + j);
          store_double(out, t, o, round_to_dtype(acc, t));
        } else {
          uint64_t acc = 0;
          for (int64_t p = 0; p < k; ++p)
            acc += static_cast<uint64_t>(load_as_int(a.data, t, a0 + i * k + p)) *
                   static_cast<uint64_t>(load_as_int(b.data, t, b0 + p * cols + j));
          store_int(out, t, o, static_cast<int64_t>(acc));
        }
      }
  });
}

}  // namespace kiln::interp
