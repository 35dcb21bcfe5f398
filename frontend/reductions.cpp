// Reductions of the user API and the statistics composed from them.
//
// A reduction normalises its axes, builds one reduce node (which removes the axes) and
// reshapes when keepdims asks for the axes back as size 1. mean, var, std, logsumexp and
// softmax are compositions, not ops, so later passes fuse and differentiate them.
#include <algorithm>

#include "frontend/build.hpp"

namespace kiln {
using namespace frontend;

namespace {

Shape kept_shape(const Shape& in, const std::vector<int64_t>& axes) {
  Shape s = in;
  for (int64_t a : axes) s[a] = 1;
  return s;
}

Array reduce(Op op, const Array& x, const Axes& axes, bool keepdims, SourceLocation loc) {
  node_of(x, op_name(op), loc);
  Attrs a;
  a.axes = normalize_axes(axes, x.ndim(), op_name(op), loc);
  Shape keep = kept_shape(x.shape(), a.axes);
  Array r = apply(op, {x.node()}, loc, std::move(a));
  return keepdims ? reshape(r, keep, loc) : r;
}

// sum/prod accumulate bool and integers in i64 (NumPy).
Array accumulating(const Array& x, SourceLocation loc) {
  return is_float(x.dtype()) ? x : to_dtype(x, DType::I64, loc);
}

Array as_bool(const Array& x, SourceLocation loc) {
  return x.dtype() == DType::Bool ? x : not_equal(Operand(x, loc), Operand(0, loc));
}

Array as_float(const Array& x, SourceLocation loc) {
  return is_float(x.dtype()) ? x : to_dtype(x, kDefaultFloat, loc);
}

int64_t reduced_count(const Array& x, const Axes& axes, SourceLocation loc) {
  int64_t n = 1;
  for (int64_t a : normalize_axes(axes, x.ndim(), "mean", loc)) n *= x.shape()[a];
  return n;
}

Array arg_reduce(Op op, const Array& x, const Axes& axes, bool keepdims, SourceLocation loc) {
  node_of(x, op_name(op), loc);
  if (!axes.is_all()) return reduce(op, x, axes, keepdims, loc);
  // NumPy: over the flattened array.
  Array r = reduce(op, flatten(x, loc), Axes{0}, false, loc);
  return keepdims ? reshape(r, Shape(x.ndim(), 1), loc) : r;
}

}  // namespace

Array sum(const Array& x, const Axes& axes, bool keepdims, SourceLocation loc) {
  node_of(x, "reduce_sum", loc);
  return reduce(Op::ReduceSum, accumulating(x, loc), axes, keepdims, loc);
}
Array prod(const Array& x, const Axes& axes, bool keepdims, SourceLocation loc) {
  node_of(x, "reduce_prod", loc);
  return reduce(Op::ReduceProd, accumulating(x, loc), axes, keepdims, loc);
}
Array max(const Array& x, const Axes& axes, bool keepdims, SourceLocation loc) {
  return reduce(Op::ReduceMax, x, axes, keepdims, loc);
}
Array min(const Array& x, const Axes& axes, bool keepdims, SourceLocation loc) {
  return reduce(Op::ReduceMin, x, axes, keepdims, loc);
}
Array any(const Array& x, const Axes& axes, bool keepdims, SourceLocation loc) {
  node_of(x, "reduce_any", loc);
  return reduce(Op::ReduceAny, as_bool(x, loc), axes, keepdims, loc);
}
Array all(const Array& x, const Axes& axes, bool keepdims, SourceLocation loc) {
  node_of(x, "reduce_all", loc);
  return reduce(Op::ReduceAll, as_bool(x, loc), axes, keepdims, loc);
}
Array argmax(const Array& x, const Axes& axes, bool keepdims, SourceLocation loc) {
  return arg_reduce(Op::ArgMax, x, axes, keepdims, loc);
}
Array argmin(const Array& x, const Axes& axes, bool keepdims, SourceLocation loc) {
  return arg_reduce(Op::ArgMin, x, axes, keepdims, loc);
}

Array mean(const Array& x, const Axes& axes, bool keepdims, SourceLocation loc) {
  node_of(x, "mean", loc);
  Array xf = as_float(x, loc);
  int64_t n = reduced_count(x, axes, loc);
  // An empty reduction gives 0 / 0 = NaN, as NumPy.
  return div(Operand(sum(xf, axes, keepdims, loc), loc), Operand(static_cast<double>(n), loc));
}

Array var(const Array& x, const Axes& axes, bool keepdims, int64_t ddof, SourceLocation loc) {
  node_of(x, "var", loc);
  Array xf = as_float(x, loc);
  Array centered = sub(Operand(xf, loc), Operand(mean(xf, axes, true, loc), loc));
  int64_t n = reduced_count(x, axes, loc) - ddof;
  Array ss = sum(mul(Operand(centered, loc), Operand(centered, loc)), axes, keepdims, loc);
  return div(Operand(ss, loc), Operand(static_cast<double>(std::max<int64_t>(n, 0)), loc));
}

Array stddev(const Array& x, const Axes& axes, bool keepdims, int64_t ddof, SourceLocation loc) {
  return sqrt(var(x, axes, keepdims, ddof, loc), loc);
}

Array logsumexp(const Array& x, const Axes& axes, bool keepdims, SourceLocation loc) {
  node_of(x, "logsumexp", loc);
  Array xf = as_float(x, loc);
  // Shift by the max for stability; an infinite max (all -inf, or +inf) shifts by 0.
  Array m = max(xf, axes, true, loc);
  Array shift = where(Operand(isfinite(m, loc), loc), Operand(m, loc), Operand(0.0, loc));
  Array e = exp(sub(Operand(xf, loc), Operand(shift, loc)), loc);
  Array r = add(Operand(log(sum(e, axes, true, loc), loc), loc), Operand(shift, loc));
  if (keepdims) return r;
  std::vector<int64_t> reduced = normalize_axes(axes, x.ndim(), "logsumexp", loc);
  Shape out;
  for (int i = 0; i < x.ndim(); ++i)
    if (!std::binary_search(reduced.begin(), reduced.end(), i)) out.push_back(x.shape()[i]);
  return reshape(r, out, loc);
}

Array softmax(const Array& x, int axis, SourceLocation loc) {
  node_of(x, "softmax", loc);
  Array xf = as_float(x, loc);
  Array m = max(xf, Axes{axis}, true, loc);
  Array e = exp(sub(Operand(xf, loc), Operand(m, loc)), loc);
  return div(Operand(e, loc), Operand(sum(e, Axes{axis}, true, loc), loc));
}

Array log_softmax(const Array& x, int axis, SourceLocation loc) {
  node_of(x, "log_softmax", loc);
  Array xf = as_float(x, loc);
  return sub(Operand(xf, loc), Operand(logsumexp(xf, Axes{axis}, true, loc), loc));
}

}  // namespace kiln
