// Shape and movement ops of the user API, indexing and matmul.
//
// Movement ops are views in the graph (reshape, permute, broadcast, slice, flip, pad,
// concat): the user-facing forms (NumPy slicing with negative indices, -1 in reshape,
// squeeze/expand_dims, stack) are normalised here into those few IR ops.
#include <algorithm>
#include <limits>

#include "compiler/ir/infer.hpp"
#include "frontend/build.hpp"
#include "frontend/promote.hpp"

namespace kiln {
using namespace frontend;

Array reshape(const Array& x, const Shape& shape, SourceLocation loc) {
  node_of(x, "reshape", loc);
  Shape out = shape;
  int inferred = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1 && inferred < 0) {
      inferred = static_cast<int>(i);
      out[i] = 1;
    } else if (out[i] < 0) {
      fail<ValueError>(loc, "reshape", "invalid shape {}: one dim may be -1, the others >= 0", shape_str(shape));
    }
  }
  int64_t known = checked_numel(out, "reshape");
  if (inferred >= 0) {
    if (known == 0 || x.size() % known != 0)
      fail<ShapeError>(loc, "reshape", "cannot reshape {} to {}", type_str(x.node()->type()), shape_str(shape));
    out[inferred] = x.size() / known;
  }
  if (out == x.shape()) return x;
  TensorType t{x.dtype(), out};
  return apply(Op::Reshape, {x.node()}, loc, {}, &t);
}

Array flatten(const Array& x, SourceLocation loc) {
  node_of(x, "flatten", loc);
  return reshape(x, Shape{x.size()}, loc);
}

Array permute(const Array& x, const std::vector<int>& perm, SourceLocation loc) {
  node_of(x, "permute", loc);
  Attrs a;
  for (int p : perm) a.perm.push_back(p < 0 && p >= -x.ndim() ? p + x.ndim() : p);
  bool identity = true;
  for (size_t i = 0; i < a.perm.size(); ++i) identity &= a.perm[i] == static_cast<int64_t>(i);
  if (identity && static_cast<int>(a.perm.size()) == x.ndim()) return x;
  return apply(Op::Permute, {x.node()}, loc, std::move(a));
}

Array transpose(const Array& x, SourceLocation loc) {
  node_of(x, "transpose", loc);
  std::vector<int> perm(x.ndim());
  for (int i = 0; i < x.ndim(); ++i) perm[i] = x.ndim() - 1 - i;
  return permute(x, perm, loc);
}

Array swapaxes(const Array& x, int a, int b, SourceLocation loc) {
  node_of(x, "swapaxes", loc);
  std::vector<int> perm(x.ndim());
  for (int i = 0; i < x.ndim(); ++i) perm[i] = i;
  std::swap(perm[normalize_axis(a, x.ndim(), "swapaxes", loc)], perm[normalize_axis(b, x.ndim(), "swapaxes", loc)]);
  return permute(x, perm, loc);
}

Array broadcast_to(const Array& x, const Shape& shape, SourceLocation loc) {
  node_of(x, "broadcast", loc);
  checked_numel(shape, "broadcast");
  return broadcast_array(x, shape, "broadcast", loc);
}

Array expand_dims(const Array& x, int axis, SourceLocation loc) {
  node_of(x, "expand_dims", loc);
  int64_t a = normalize_axis(axis, x.ndim() + 1, "expand_dims", loc);
  Shape s = x.shape();
  s.insert(s.begin() + a, 1);
  return reshape(x, s, loc);
}

Array squeeze(const Array& x, const Axes& axes, SourceLocation loc) {
  node_of(x, "squeeze", loc);
  std::vector<int64_t> drop;
  if (axes.is_all()) {
    for (int i = 0; i < x.ndim(); ++i)
      if (x.shape()[i] == 1) drop.push_back(i);
  } else {
    drop = normalize_axes(axes, x.ndim(), "squeeze", loc);
    for (int64_t a : drop)
      if (x.shape()[a] != 1)
        fail<ShapeError>(loc, "squeeze", "axis {} of {} has size {}, not 1", a, type_str(x.node()->type()), x.shape()[a]);
  }
  Shape s;
  for (int i = 0; i < x.ndim(); ++i)
    if (!std::binary_search(drop.begin(), drop.end(), i)) s.push_back(x.shape()[i]);
  return reshape(x, s, loc);
}

namespace {

// NumPy's slice normalisation for one axis of size d: the first index and the count.
std::pair<int64_t, int64_t> normalize_range(const Range& r, int64_t d, int axis, SourceLocation loc) {
  int64_t s = r.step;
  if (s == 0) fail<ValueError>(loc, "slice", "step of axis {} is 0", axis);
  if (s == std::numeric_limits<int64_t>::min()) fail<ValueError>(loc, "slice", "step of axis {} is out of range", axis);
  auto clamp_index = [&](std::optional<int64_t> v, int64_t dflt, int64_t lo, int64_t hi) {
    if (!v) return dflt;
    int64_t i = *v < 0 ? (*v < -d ? lo : *v + d) : *v;
    return std::clamp(i, lo, hi);
  };
  int64_t start, n;
  if (s > 0) {
    start = clamp_index(r.start, 0, 0, d);
    int64_t stop = clamp_index(r.stop, d, 0, d);
    n = stop > start ? (stop - start + s - 1) / s : 0;
  } else {
    start = clamp_index(r.start, d - 1, -1, d - 1);
    int64_t stop = clamp_index(r.stop, -1, -1, d - 1);
    n = start > stop ? (start - stop + (-s) - 1) / (-s) : 0;
  }
  if (n == 0) start = 0;
  return {start, n};
}

}  // namespace

Array slice(const Array& x, const std::vector<Range>& ranges, SourceLocation loc) {
  node_of(x, "slice", loc);
  if (static_cast<int>(ranges.size()) > x.ndim())
    fail<AxisError>(loc, "slice", "{} ranges given for an array of rank {}", ranges.size(), x.ndim());
  Attrs a;
  Shape out = x.shape();
  bool identity = true;
  for (int i = 0; i < x.ndim(); ++i) {
    Range r = i < static_cast<int>(ranges.size()) ? ranges[i] : Range{};
    auto [start, n] = normalize_range(r, x.shape()[i], i, loc);
    int64_t step = n <= 1 ? 1 : r.step;
    a.start.push_back(start);
    a.step.push_back(step);
    out[i] = n;
    identity &= start == 0 && step == 1 && n == x.shape()[i];
  }
  if (identity) return x;
  TensorType t{x.dtype(), out};
  return apply(Op::Slice, {x.node()}, loc, std::move(a), &t);
}

Array flip(const Array& x, const Axes& axes, SourceLocation loc) {
  node_of(x, "flip", loc);
  Attrs a;
  a.axes = normalize_axes(axes, x.ndim(), "flip", loc);
  if (a.axes.empty()) return x;
  return apply(Op::Flip, {x.node()}, loc, std::move(a));
}

Array pad(const Array& x, const std::vector<std::pair<int64_t, int64_t>>& widths, double value, SourceLocation loc) {
  node_of(x, "pad", loc);
  if (static_cast<int>(widths.size()) != x.ndim())
    fail<ShapeError>(loc, "pad", "{} (before, after) pairs given for an array of rank {}", widths.size(), x.ndim());
  Attrs a;
  for (auto [lo, hi] : widths) {
    a.low.push_back(lo);
    a.high.push_back(hi);
  }
  a.value = Scalar::of_float(value);
  return apply(Op::Pad, {x.node()}, loc, std::move(a));
}

Array concat(const std::vector<Array>& xs, int axis, SourceLocation loc) {
  if (xs.empty()) fail<ValueError>(loc, "concat", "needs at least one array");
  DType t = node_of(xs[0], "concat", loc)->dtype();
  for (const Array& x : xs) t = promote_types(t, node_of(x, "concat", loc)->dtype());
  if (xs.size() == 1) return to_dtype(xs[0], t, loc);
  Attrs a;
  a.axis = normalize_axis(axis, xs[0].ndim(), "concat", loc);
  std::vector<NodeRef> nodes;
  for (const Array& x : xs) nodes.push_back(to_dtype(x, t, loc).node());
  return apply(Op::Concat, std::move(nodes), loc, std::move(a));
}

Array stack(const std::vector<Array>& xs, int axis, SourceLocation loc) {
  if (xs.empty()) fail<ValueError>(loc, "stack", "needs at least one array");
  for (const Array& x : xs)
    if (node_of(x, "stack", loc)->shape() != xs[0].shape())
      fail<ShapeError>(loc, "stack", "all arrays need one shape, got {} and {}", type_str(xs[0].node()->type()),
                       type_str(x.node()->type()));
  std::vector<Array> expanded;
  for (const Array& x : xs) expanded.push_back(expand_dims(x, axis, loc));
  return concat(expanded, axis, loc);
}

Array gather(const Array& x, const Array& index, int axis, SourceLocation loc) {
  node_of(x, "gather", loc);
  node_of(index, "gather", loc);
  Attrs a;
  a.axis = normalize_axis(axis, x.ndim(), "gather", loc);
  return apply(Op::Gather, {x.node(), index.node()}, loc, std::move(a));
}

Array scatter_add(const Array& dst, const Array& index, const Array& src, int axis, SourceLocation loc) {
  node_of(dst, "scatter_add", loc);
  node_of(index, "scatter_add", loc);
  node_of(src, "scatter_add", loc);
  Attrs a;
  a.axis = normalize_axis(axis, dst.ndim(), "scatter_add", loc);
  return apply(Op::ScatterAdd, {dst.node(), index.node(), src.node()}, loc, std::move(a));
}

Array matmul(const Array& a, const Array& b, SourceLocation loc) {
  node_of(a, "matmul", loc);
  node_of(b, "matmul", loc);
  if (a.ndim() == 0 || b.ndim() == 0)
    fail<ShapeError>(loc, "matmul", "operands must not be 0-d, got {} and {}", type_str(a.node()->type()),
                     type_str(b.node()->type()));
  DType t = promote_types(a.dtype(), b.dtype());
  Array x = to_dtype(a, t, loc), y = to_dtype(b, t, loc);
  bool vec_a = x.ndim() == 1, vec_b = y.ndim() == 1;
  if (vec_a) x = reshape(x, Shape{1, x.shape()[0]}, loc);
  if (vec_b) y = reshape(y, Shape{y.shape()[0], 1}, loc);
  Array r = apply(Op::Matmul, {x.node(), y.node()}, loc);
  if (!vec_a && !vec_b) return r;
  Shape s = r.shape();
  if (vec_b) s.erase(s.end() - 1);
  if (vec_a) s.erase(s.end() - (vec_b ? 1 : 2));
  return reshape(r, s, loc);
}

}  // namespace kiln
