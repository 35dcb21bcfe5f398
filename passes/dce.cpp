// dce (see dce.hpp): one rewrite walk, one rule per kind of dead read.
#include "passes/dce.hpp"

#include <algorithm>

#include "passes/rewrite.hpp"
#include "passes/splat.hpp"

namespace kiln {
namespace {

// The range [lo, hi] of positions that `count` (> 0) elements from `start` by `step` read.
std::pair<int64_t, int64_t> read_range(int64_t start, int64_t step, int64_t count) {
  int64_t last = start + (count - 1) * step;  // in range: the slice was checked when built
  return {std::min(start, last), std::max(start, last)};
}

// slice(x) with attributes `a` and type t; x itself when that slice takes all of x.
NodeRef slice_of(const NodeRef& x, Attrs a, const TensorType& t, SourceLoc loc) {
  bool whole = x->type() == t && std::all_of(a.step.begin(), a.step.end(), [](int64_t s) { return s == 1; });
  return whole ? x : make_node(Op::Slice, {x}, std::move(a), &t, loc);
}

// A slice (n) of a concat that reads within one of its operands.
NodeRef slice_of_concat(const Node& n, const Node& concat) {
  const int64_t axis = concat.attrs().axis;
  auto [lo, hi] = read_range(n.attrs().start[axis], n.attrs().step[axis], n.shape()[axis]);
  int64_t offset = 0;
  for (const NodeRef& part : concat.operands()) {
    int64_t size = part->shape()[axis];
    if (lo >= offset && hi < offset + size) {
      Attrs a = n.attrs();
      a.start[axis] -= offset;
      return slice_of(part, std::move(a), n.type(), n.loc());
    }
    offset += size;
  }
  return {};
}

// A slice (n) of a pad that reads only x (the padded operand), or only padding.
NodeRef slice_of_pad(const Node& n, const Node& pad) {
  const NodeRef& x = pad.operands()[0];
  const Attrs &s = n.attrs(), &p = pad.attrs();
  bool inside = true;
  for (int d = 0; d < n.rank(); ++d) {
    auto [lo, hi] = read_range(s.start[d], s.step[d], n.shape()[d]);
    int64_t begin = p.low[d], end = p.low[d] + x->shape()[d];
    if (hi < begin || lo >= end) return make_splat(p.value, n.type(), n.loc());
    inside = inside && lo >= begin && hi < end;
  }
  if (!inside) return {};
  Attrs a = s;
  for (int d = 0; d < n.rank(); ++d) a.start[d] -= p.low[d];
  return slice_of(x, std::move(a), n.type(), n.loc());
}

NodeRef dead_slice(const Node& n, const Node& from) {
  if (from.evaluated() || n.numel() == 0) return {};
  if (from.op() == Op::Concat) return slice_of_concat(n, from);
  if (from.op() == Op::Pad) return slice_of_pad(n, from);
  return {};
}

NodeRef drop_empty_operands(const Node& n, std::span<const NodeRef> operands) {
  std::vector<NodeRef> kept;
  for (const NodeRef& o : operands)
    if (o->numel() > 0) kept.push_back(o);
  if (kept.size() == operands.size() || kept.empty()) return {};
  if (kept.size() == 1) return kept[0];
  return make_node(Op::Concat, std::move(kept), n.attrs(), nullptr, n.loc());
}

// The value of a reduction over no elements: its identity (op.hpp; the interpreter's sum
// of nothing is +0.0).
NodeRef empty_reduction(const Node& n, const Node& operand) {
  if (operand.numel() != 0) return {};
  const Op op = n.op();
  if (op == Op::ReduceSum || op == Op::ReduceAny) return make_splat(Scalar::of_int(0), n.type(), n.loc());
  if (op == Op::ReduceProd || op == Op::ReduceAll) return make_splat(Scalar::of_int(1), n.type(), n.loc());
  // max/min/argmax/argmin of nothing are refused when built (unless the result is empty).
  KILN_CHECK(false) << op_name(op) << " of " << type_str(operand.type()) << " has no identity";
  return {};
}

bool is_splat(const Node& n, std::span<const NodeRef> operands) {
  return n.op() == Op::Constant || (n.op() == Op::Broadcast && splat_constant(*operands[0]) == operands[0].get());
}

NodeRef dead_reads(const Node& n, std::span<const NodeRef> operands) {
  if (n.evaluated()) return {};
  if (n.numel() == 0) return is_splat(n, operands) ? NodeRef() : make_splat(Scalar::of_int(0), n.type(), n.loc());
  switch (op_info(n.op()).category) {
    case OpCategory::Source:
    case OpCategory::Unary:
    case OpCategory::Binary: return {};
    case OpCategory::Ternary: {
      const Node* c = n.op() == Op::Where ? splat_constant(*operands[0]) : nullptr;
      if (!c) return {};
      return c->attrs().value.i != 0 ? operands[1] : operands[2];
    }
    case OpCategory::Reduce: return empty_reduction(n, *operands[0]);
    case OpCategory::Movement:
      if (n.op() == Op::Slice) return dead_slice(n, *operands[0]);
      if (n.op() == Op::Concat) return drop_empty_operands(n, operands);
      return {};
    case OpCategory::Index:
      if (n.op() == Op::ScatterAdd && operands[1]->numel() == 0) return operands[0];
      return {};
    case OpCategory::Matmul:
      if (operands[0]->shape().back() == 0) return make_splat(Scalar::of_int(0), n.type(), n.loc());
      return {};
  }
  return {};
}

}  // namespace

Function dce(const Function& f) { return rewrite(f, dead_reads); }

}  // namespace kiln
