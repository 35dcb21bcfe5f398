// Type and shape rules, one function per op category. Every failure names the op, what is
// wrong and the values (types, axes) involved.
#include "compiler/ir/infer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace kiln {
namespace {

struct Ctx {
  Op op;
  SourceLoc loc;

  template <class E, class... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) const {
    std::string where = loc ? fmt::format("{}:{}: ", loc.file, loc.line) : std::string();
    throw E(fmt::format("{}{}: {}", where, op_name(op), fmt::format(f, std::forward<Args>(args)...)));
  }
};


void check_accepts(const Ctx& c, DType t) {
  Accepts a = op_info(c.op).accepts;
  if (!dtype_accepted(a, t)) c.fail<DTypeError>("expects {}, got {}", accepts_name(a), dtype_name(t));
}

void check_index_dtype(const Ctx& c, const TensorType& idx) {
  if (!is_integer(idx.dtype))
    c.fail<DTypeError>("index must have an integer dtype, got {}", type_str(idx));
}

std::string types_str(std::span<const TensorType* const> ts) {
  std::string s;
  for (size_t i = 0; i < ts.size(); ++i) s += (i ? ", " : "") + type_str(*ts[i]);
  return s;
}

void check_axis(const Ctx& c, int64_t axis, int rank) {
  if (axis < 0 || axis >= rank) c.fail<AxisError>("axis {} is out of range for rank {}", axis, rank);
}

// Axes must be sorted, unique and in [0, rank).
void check_axes(const Ctx& c, const std::vector<int64_t>& axes, int rank) {
  for (size_t i = 0; i < axes.size(); ++i) {
    check_axis(c, axes[i], rank);
    if (i > 0 && axes[i] <= axes[i - 1])
      c.fail<AxisError>("axes [{}] must be sorted and unique", fmt::join(axes, ", "));
  }
}

TensorType infer_source(const Ctx& c, const Attrs& a, const TensorType& t) {
  checked_numel(t.shape, op_name(c.op).data());
  switch (c.op) {
    case Op::Literal:
    case Op::Constant:
      if (!t.shape.empty()) c.fail<ShapeError>("a literal is 0-d, got {}", type_str(t));
      if (a.value.is_float != is_float(t.dtype))
        c.fail<ValueError>("value kind does not match dtype {}", dtype_name(t.dtype));
      break;
    case Op::Iota:
      check_accepts(c, t.dtype);
      check_axis(c, a.axis, static_cast<int>(t.shape.size()));
      break;
    case Op::RandomBits: check_accepts(c, t.dtype); break;
    default: c.fail<ValueError>("is not a source op");
  }
  return t;
}

TensorType infer_elementwise(const Ctx& c, std::span<const TensorType* const> in, const TensorType* given) {
  const OpInfo& info = op_info(c.op);
  for (const TensorType* t : in)
    if (t->shape != in[0]->shape) c.fail<ShapeError>("operand shapes differ: {}", types_str(in));
  DType dt = in[0]->dtype;
  if (info.rule == TypeRule::Select) {
    if (!is_bool(in[0]->dtype)) c.fail<DTypeError>("condition must be bool, got {}", type_str(*in[0]));
    if (in[1]->dtype != in[2]->dtype) c.fail<DTypeError>("value dtypes differ: {}", types_str(in.subspan(1)));
    return {in[1]->dtype, in[0]->shape};
  }
  for (const TensorType* t : in)
    if (t->dtype != dt) c.fail<DTypeError>("operand dtypes differ: {}", types_str(in));
  check_accepts(c, dt);
  switch (info.rule) {
    case TypeRule::Same: return {dt, in[0]->shape};
    case TypeRule::ToBool: return {DType::Bool, in[0]->shape};
    case TypeRule::Given: return {given->dtype, in[0]->shape};  // cast: any dtype to any dtype
    default: c.fail<ValueError>("bad type rule");
  }
}

TensorType infer_reduce(const Ctx& c, const TensorType& in, const Attrs& a) {
  int rank = static_cast<int>(in.shape.size());
  check_accepts(c, in.dtype);
  check_axes(c, a.axes, rank);
  Shape out;
  bool empty_reduced = false;
  for (int i = 0; i < rank; ++i) {
    if (std::binary_search(a.axes.begin(), a.axes.end(), i))
      empty_reduced |= in.shape[i] == 0;
    else
      out.push_back(in.shape[i]);
  }
  bool needs_element = c.op == Op::ReduceMax || c.op == Op::ReduceMin || c.op == Op::ArgMax || c.op == Op::ArgMin;
  if (needs_element && empty_reduced && numel(out) > 0)
    c.fail<ValueError>("cannot reduce {} over axes [{}]: a reduced axis is empty and there is no identity",
                       type_str(in), fmt::join(a.axes, ", "));
  return {op_info(c.op).rule == TypeRule::ToIndex ? DType::I64 : in.dtype, out};
}

TensorType infer_slice(const Ctx& c, const TensorType& in, const Attrs& a, const TensorType& t) {
  size_t rank = in.shape.size();
  if (a.start.size() != rank || a.step.size() != rank || t.shape.size() != rank)
    c.fail<ShapeError>("start/step/result need one entry per axis of {}, got start [{}], step [{}], result {}",
                       type_str(in), fmt::join(a.start, ", "), fmt::join(a.step, ", "), type_str(t));
  for (size_t i = 0; i < rank; ++i) {
    int64_t d = in.shape[i], n = t.shape[i], s = a.step[i], b = a.start[i];
    if (s == 0) c.fail<ValueError>("step of axis {} is 0", i);
    if (n < 0 || n > d) c.fail<ShapeError>("result dim {} of axis {} does not fit in {}", n, i, type_str(in));
    if (n == 0) {
      if (b < 0 || b > d) c.fail<ValueError>("start {} of axis {} is out of range [0, {}]", b, i, d);
      continue;
    }
    __int128 last = static_cast<__int128>(b) + static_cast<__int128>(n - 1) * s;
    if (b < 0 || b >= d || last < 0 || last >= d)
      c.fail<ValueError>("axis {}: start {} step {} count {} reads outside [0, {})", i, b, s, n, d);
  }
  return t;
}

TensorType infer_movement(const Ctx& c, std::span<const TensorType* const> in, const Attrs& a,
                          const TensorType* given) {
  const TensorType& x = *in[0];
  int rank = static_cast<int>(x.shape.size());
  if (given && given->dtype != x.dtype)
    c.fail<DTypeError>("result dtype {} differs from operand {}", dtype_name(given->dtype), type_str(x));
  switch (c.op) {
    case Op::Reshape:
      checked_numel(given->shape, "reshape");
      if (numel(given->shape) != numel(x.shape))
        c.fail<ShapeError>("cannot reshape {} ({} elements) to {} ({} elements)", type_str(x), numel(x.shape),
                           shape_str(given->shape), numel(given->shape));
      return *given;
    case Op::Broadcast: {
      checked_numel(given->shape, "broadcast");
      const Shape& o = given->shape;
      bool ok = o.size() >= x.shape.size();
      for (size_t i = 0; ok && i < x.shape.size(); ++i) {
        int64_t d = x.shape[x.shape.size() - 1 - i];
        ok = d == 1 || d == o[o.size() - 1 - i];
      }
      if (!ok) c.fail<ShapeError>("cannot broadcast {} to {}", type_str(x), shape_str(o));
      return *given;
    }
    case Op::Permute: {
      std::vector<int64_t> sorted = a.perm;
      std::sort(sorted.begin(), sorted.end());
      bool ok = static_cast<int>(a.perm.size()) == rank;
      for (int i = 0; ok && i < rank; ++i) ok = sorted[i] == i;
      if (!ok) c.fail<AxisError>("[{}] is not a permutation of the axes of {}", fmt::join(a.perm, ", "), type_str(x));
      Shape out;
      for (int64_t p : a.perm) out.push_back(x.shape[p]);
      return {x.dtype, out};
    }
    case Op::Slice: return infer_slice(c, x, a, *given);
    case Op::Flip: check_axes(c, a.axes, rank); return x;
    case Op::Pad: {
      if (static_cast<int>(a.low.size()) != rank || static_cast<int>(a.high.size()) != rank)
        c.fail<ShapeError>("low [{}] and high [{}] need one entry per axis of {}", fmt::join(a.low, ", "),
                           fmt::join(a.high, ", "), type_str(x));
      Shape out = x.shape;
      for (int i = 0; i < rank; ++i) {
        if (a.low[i] < 0 || a.high[i] < 0 || a.low[i] > kMaxElements || a.high[i] > kMaxElements)
          c.fail<ValueError>("padding of axis {} must be non-negative, got low {} high {}", i, a.low[i], a.high[i]);
        // Each term is at most 2^62, so the sum needs more than 64 bits.
        if (static_cast<__int128>(out[i]) + a.low[i] + a.high[i] > kMaxElements)
          c.fail<ValueError>("axis {} grows past 2^62", i);
        out[i] += a.low[i] + a.high[i];
      }
      checked_numel(out, "pad");
      return {x.dtype, out};
    }
    case Op::Concat: {
      check_axis(c, a.axis, rank);
      Shape out = x.shape;
      out[a.axis] = 0;
      for (const TensorType* t : in) {
        bool ok = t->dtype == x.dtype && t->shape.size() == x.shape.size();
        for (int i = 0; ok && i < rank; ++i) ok = i == a.axis || t->shape[i] == x.shape[i];
        if (!ok) c.fail<ShapeError>("operands do not fit together along axis {}: {}", a.axis, types_str(in));
        if (t->shape[a.axis] > kMaxElements - out[a.axis]) c.fail<ValueError>("axis {} grows past 2^62", a.axis);
        out[a.axis] += t->shape[a.axis];
      }
      checked_numel(out, "concat");
      return {x.dtype, out};
    }
    default: c.fail<ValueError>("is not a movement op");
  }
}

TensorType infer_index(const Ctx& c, std::span<const TensorType* const> in, const Attrs& a) {
  const TensorType& x = *in[0];
  const TensorType& idx = *in[1];
  int rank = static_cast<int>(x.shape.size());
  check_accepts(c, x.dtype);
  check_index_dtype(c, idx);
  check_axis(c, a.axis, rank);
  if (idx.shape.size() != x.shape.size())
    c.fail<ShapeError>("index {} must have the rank of {}", type_str(idx), type_str(x));
  for (int i = 0; i < rank; ++i)
    if (i != a.axis && idx.shape[i] != x.shape[i])
      c.fail<ShapeError>("index {} and {} differ on axis {}", type_str(idx), type_str(x), i);
  if (c.op == Op::Gather) {
    if (x.shape[a.axis] == 0 && numel(idx.shape) > 0)
      c.fail<ShapeError>("cannot gather from {}: axis {} is empty", type_str(x), a.axis);
    return {x.dtype, idx.shape};
  }
  const TensorType& src = *in[2];
  if (src.shape != idx.shape || src.dtype != x.dtype)
    c.fail<ShapeError>("source {} must have the shape of index {} and the dtype of {}", type_str(src),
                       type_str(idx), type_str(x));
  return x;
}

TensorType infer_matmul(const Ctx& c, const TensorType& x, const TensorType& y) {
  if (x.dtype != y.dtype) c.fail<DTypeError>("operand dtypes differ: {} and {}", type_str(x), type_str(y));
  check_accepts(c, x.dtype);
  if (x.shape.size() < 2 || y.shape.size() < 2)
    c.fail<ShapeError>("operands need rank >= 2, got {} and {}", type_str(x), type_str(y));
  int64_t m = x.shape[x.shape.size() - 2], k = x.shape.back();
  int64_t k2 = y.shape[y.shape.size() - 2], n = y.shape.back();
  if (k != k2)
    c.fail<ShapeError>("contracted dims differ: {} and {} ({} vs {})", type_str(x), type_str(y), k, k2);
  Shape bx(x.shape.begin(), x.shape.end() - 2), by(y.shape.begin(), y.shape.end() - 2);
  std::optional<Shape> batch = broadcast_shapes(bx, by);
  if (!batch) c.fail<ShapeError>("batch dims do not broadcast: {} and {}", type_str(x), type_str(y));
  batch->push_back(m);
  batch->push_back(n);
  checked_numel(*batch, "matmul");
  return {x.dtype, *batch};
}

}  // namespace

std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[r - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

TensorType infer_type(Op op, std::span<const TensorType* const> in, const Attrs& attrs,
                      const TensorType* given, SourceLoc loc) {
  Ctx c{op, loc};
  const OpInfo& info = op_info(op);
  if (info.arity >= 0 ? static_cast<int>(in.size()) != info.arity : in.empty())
    c.fail<ValueError>("expects {} operand(s), got {}", info.arity >= 0 ? std::to_string(info.arity) : "1 or more",
                       in.size());
  if (info.rule == TypeRule::Given && !given) c.fail<ValueError>("needs a declared result type");
  if (given) checked_numel(given->shape, op_name(op).data());
  TensorType t;
  switch (info.category) {
    case OpCategory::Source: t = infer_source(c, attrs, *given); break;
    case OpCategory::Unary:
    case OpCategory::Binary:
    case OpCategory::Ternary: t = infer_elementwise(c, in, given); break;
    case OpCategory::Reduce: t = infer_reduce(c, *in[0], attrs); break;
    case OpCategory::Movement: t = infer_movement(c, in, attrs, given); break;
    case OpCategory::Index: t = infer_index(c, in, attrs); break;
    case OpCategory::Matmul: t = infer_matmul(c, *in[0], *in[1]); break;
  }
  if (given && !(t == *given))
    c.fail<ShapeError>("declared result type {} differs from the inferred {}", type_str(*given), type_str(t));
  return t;
}

TensorType infer_type(Op op, std::span<const NodeRef> operands, const Attrs& attrs, const TensorType* given,
                      SourceLoc loc) {
  // Most ops have at most three operands: no allocation for them.
  std::array<const TensorType*, 4> small;
  std::vector<const TensorType*> large;
  std::span<const TensorType*> types;
  if (operands.size() <= small.size()) {
    for (size_t i = 0; i < operands.size(); ++i) small[i] = &operands[i]->type();
    types = std::span<const TensorType*>(small.data(), operands.size());
  } else {
    for (const NodeRef& o : operands) large.push_back(&o->type());
    types = large;
  }
  return infer_type(op, types, attrs, given, loc);
}

}  // namespace kiln
