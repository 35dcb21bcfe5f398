// Lowering of planned kernels (scheduler.hpp): elementwise loops, row kernels with their
// phases, serial scatters, split reductions, transposed copies and GEMM launches.
#include <algorithm>
#include <cmath>
#include <memory>

#include "passes/reuse_values.hpp"
#include "passes/scheduler.hpp"

namespace kiln::scheduling {

std::vector<int32_t> non_unit_dims(KernelBuilder& kb, const Shape& shape) {
  std::vector<int32_t> dims;
  for (int64_t d : shape)
    if (d != 1) dims.push_back(kb.dim(d));
  return dims;
}

std::vector<int32_t> interleave(const RowSpace& space, const std::vector<int32_t>& outer,
                                const std::vector<int32_t>& inner) {
  std::vector<int32_t> point;
  size_t oi = 0, ii = 0;
  for (size_t d = 0; d < space.shape.size(); ++d)
    point.push_back(std::binary_search(space.axes.begin(), space.axes.end(), static_cast<int64_t>(d)) ? inner[ii++]
                                                                                                     : outer[oi++]);
  return point;
}

void Scheduler::lower_elementwise(const KernelPlan& p, KernelBuilder& kb, LaunchPlan& lp) {
  kernel::Kernel& k = kb.kernel();
  k.kind = kernel::KernelKind::Elementwise;
  k.phases.emplace_back();
  kernel::Phase& ph = k.phases.back();
  ph.kind = kernel::Phase::Kind::Store;
  PhaseBuilder pb(kb, ph);
  const Shape& s = p.shape;
  std::vector<int32_t> point;
  if (!s.empty()) {
    Shape leading(s.begin(), s.end() - 1);
    k.outer = non_unit_dims(kb, leading);
    ph.inner = non_unit_dims(kb, Shape{s.back()});
    if (!leading.empty()) point = pb.unflatten(pb.outer_index(), leading);
    point.push_back(s.back() == 1 ? pb.const_i64(0) : pb.inner_index());
    lp.outer_extent = numel(leading);
  }
  lp.elementwise_extent = numel(s);
  for (const Node* out : p.outputs) {
    int32_t v = pb.value(out, point);
    ph.stores.push_back({kb.buffer(out, true), pb.flatten(point, s), v});
  }
}

void Scheduler::lower_rows(const KernelPlan& p, KernelBuilder& kb, LaunchPlan& lp, const Node*& current,
                           const std::unordered_map<const Node*, int32_t>& transposed) {
  kernel::Kernel& k = kb.kernel();
  k.kind = kernel::KernelKind::Rows;
  const RowSpace& sp = p.space;
  Shape kept = sp.kept(), reduced = sp.reduced();
  k.outer = non_unit_dims(kb, kept);
  lp.outer_extent = numel(kept);
  // Levels: a reduction comes after the reductions of this kernel it uses.
  std::unordered_set<const Node*> self(p.outputs.begin(), p.outputs.end());
  std::unordered_map<const Node*, int> level;
  int levels = 0;
  for (const Node* r : p.reductions) {
    int l = 1;
    for (const Node* q : p.reductions)
      if (level.count(q) && reaches(r, {q}, self)) l = std::max(l, level[q] + 1);
    level[r] = l;
    levels = std::max(levels, l);
  }
  // A new phase over the reduced axes (or once per row): its builder, the outer point and
  // the point in the row space.
  struct RowPhase {
    std::unique_ptr<PhaseBuilder> pb;
    std::vector<int32_t> outer, point;
  };
  auto start_phase = [&](kernel::Phase::Kind kind, bool over_reduced) {
    k.phases.emplace_back();
    kernel::Phase& ph = k.phases.back();
    ph.kind = kind;
    if (over_reduced) ph.inner = non_unit_dims(kb, reduced);
    RowPhase rp{std::make_unique<PhaseBuilder>(kb, ph), {}, {}};
    rp.outer = rp.pb->unflatten(rp.pb->outer_index(), kept);
    rp.pb->set_outer_point(rp.outer);
    if (over_reduced) rp.point = interleave(sp, rp.outer, rp.pb->unflatten(rp.pb->inner_index(), reduced));
    return rp;
  };
  for (int l = 1; l <= levels; ++l) {
    RowPhase rp = start_phase(kernel::Phase::Kind::Reduce, true);
    PhaseBuilder* pb = rp.pb.get();
    const std::vector<int32_t>& point = rp.point;
    const std::vector<int32_t>& outer = rp.outer;
    std::vector<std::pair<const Node*, int32_t>> done;
    for (const Node* r : p.reductions) {
      if (level[r] != l) continue;
      current = r;
      int32_t v;
      Op rop = r->op();
      if (rop == Op::Matmul) {
        const Node* a = r->operands()[0].get();
        const Node* b = r->operands()[1].get();
        size_t R = kept.size();
        int32_t kk = point.back();
        auto batch_point = [&](const Node* x) {
          std::vector<int32_t> q;
          size_t xr = x->shape().size();
          for (size_t d = 0; d + 2 < xr; ++d)
            q.push_back(x->shape()[d] == 1 ? pb->const_i64(0) : outer[(R - 2) - (xr - 2) + d]);
          return q;
        };
        std::vector<int32_t> pa = batch_point(a), pbq = batch_point(b);
        pa.push_back(outer[R - 2]);
        pa.push_back(kk);
        int32_t vb;
        auto bt = transposed.find(r);
        if (bt != transposed.end()) {  // b^T[..., n, k]: contiguous along k
          pbq.push_back(outer[R - 1]);
          pbq.push_back(kk);
          kernel::Inst load;
          load.kind = kernel::Inst::Kind::Load;
          load.type = b->dtype();
          load.imm = kb.temp_buffer(bt->second, b->dtype(), false);
          load.args = {pb->flatten(pbq, transposed_shape(b->shape()))};
          vb = pb->inst(load);
        } else {
          pbq.push_back(kk);
          pbq.push_back(outer[R - 1]);
          vb = pb->value(b, pbq);
        }
        // Products of f16/bf16/f32 values are exact in f64, so the sum rounds once, as in
        // the interpreter; f64 and integer products are in their own dtype.
        DType t = wide_type(r);
        int32_t va = pb->value(a, pa);
        if (t != r->dtype()) {
          va = pb->op(Op::Cast, t, {va});
          vb = pb->op(Op::Cast, t, {vb});
        }
        v = pb->op(Op::Mul, t, {va, vb});
        rop = Op::ReduceSum;
      } else {
        v = pb->value(r->operands()[0].get(), point);
      }
      int32_t acc = k.num_accs++;
      DType acc_type = r->op() == Op::Matmul ? wide_type(r) : r->dtype();
      k.phases.back().reductions.push_back({rop, v, acc, acc_type});
      done.emplace_back(r, acc);
    }
    for (const Node* s : l == 1 ? p.siblings : std::vector<const Node*>{}) {
      current = s;
      int32_t v = pb->value(s, point);
      k.phases.back().stores.push_back({kb.buffer(s, true), pb->flatten(point, sp.shape), v});
    }
    for (auto [r, acc] : done) {
      DType t = r->op() == Op::Matmul ? wide_type(r) : r->dtype();
      kb.set_acc(r, acc, t != r->dtype() ? std::optional<DType>(t) : std::nullopt);
    }
  }
  std::vector<const Node*> full, row;
  for (const Node* o : p.outputs) {
    if (!is_reduction(o) && o->shape() == sp.shape && sp.shape != kept)
      full.push_back(o);
    else
      row.push_back(o);
  }
  // Values of the row space's shape in a phase over the reduced axes, then values of the
  // kept shape (and stored reductions) once per row.
  for (bool over_reduced : {true, false}) {
    const std::vector<const Node*>& outs = over_reduced ? full : row;
    if (outs.empty()) continue;
    RowPhase rp = start_phase(kernel::Phase::Kind::Store, over_reduced);
    const std::vector<int32_t>& at = over_reduced ? rp.point : rp.outer;
    const Shape& shape = over_reduced ? sp.shape : kept;
    for (const Node* o : outs) {
      current = o;
      int32_t v = rp.pb->value(o, at);
      k.phases.back().stores.push_back({kb.buffer(o, true), rp.pb->flatten(at, shape), v});
    }
  }
}

// scatter_add as a Serial kernel with an outer index per lane: a point of the coordinates
// off the axis (which dst, idx and src share). Lanes never write the same element, and each
// runs two phases along the axis: out = dst, then src added in idx's order, so every element
// receives its additions in the interpreter's order.
void Scheduler::lower_scatter(const KernelPlan& p, KernelBuilder& kb, LaunchPlan& lp) {
  kernel::Kernel& k = kb.kernel();
  k.kind = kernel::KernelKind::Serial;
  const Node* out = p.outputs[0];
  const Node* dst = out->operands()[0].get();
  const Node* idx = out->operands()[1].get();
  const Node* src = out->operands()[2].get();
  const size_t axis = static_cast<size_t>(out->attrs().axis);
  int32_t ob = kb.buffer(out, true);
  Shape lanes = dst->shape();
  lanes.erase(lanes.begin() + static_cast<std::ptrdiff_t>(axis));
  k.outer = non_unit_dims(kb, lanes);
  lp.outer_extent = numel(lanes);
  // A phase along the axis (`extent` long): the point of (this lane, axis index r).
  auto axis_phase = [&](int64_t extent) {
    k.phases.emplace_back();
    kernel::Phase& ph = k.phases.back();
    ph.inner = non_unit_dims(kb, Shape{extent});
    auto pb = std::make_unique<PhaseBuilder>(kb, ph);
    std::vector<int32_t> point = pb->unflatten(pb->outer_index(), lanes);
    point.insert(point.begin() + static_cast<std::ptrdiff_t>(axis), extent == 1 ? pb->const_i64(0) : pb->inner_index());
    return std::make_pair(std::move(pb), point);
  };
  const int64_t n = dst->shape()[axis];
  {  // out = dst
    auto [pb, point] = axis_phase(n);
    k.phases.back().stores.push_back({ob, pb->flatten(point, dst->shape()), pb->value(dst, point)});
  }
  if (n == 0 || idx->numel() == 0) return;
  auto [pb, point] = axis_phase(idx->shape()[axis]);
  kernel::Phase& ph = k.phases.back();
  int32_t i = pb->value(idx, point);
  if (idx->dtype() != DType::I64) i = pb->op(Op::Cast, DType::I64, {i});
  int32_t d = pb->dim(n), zero = pb->const_i64(0);
  // i < 0 means i + n; still out of range: dropped (the element is written back unchanged).
  int32_t wrapped = pb->op(Op::Where, DType::I64, {pb->op(Op::Lt, DType::Bool, {i, zero}), pb->add(i, d), i});
  int32_t ok = pb->op(Op::LogicalAnd, DType::Bool,
                      {pb->op(Op::Ge, DType::Bool, {wrapped, zero}), pb->op(Op::Lt, DType::Bool, {wrapped, d})});
  std::vector<int32_t> target = point;
  target[axis] = pb->op(Op::Clamp, DType::I64, {wrapped, zero, pb->op(Op::Sub, DType::I64, {d, pb->const_i64(1)})});
  int32_t flat = pb->flatten(target, dst->shape());
  kernel::Inst load;
  load.kind = kernel::Inst::Kind::Load;
  load.type = out->dtype();
  load.imm = ob;
  load.args = {flat};
  int32_t cur = pb->inst(load);
  int32_t sum = pb->op(Op::Add, out->dtype(), {cur, pb->value(src, point)});
  ph.stores.push_back({ob, flat, pb->op(Op::Where, out->dtype(), {ok, sum, cur})});
}

// A reduction of a few long rows is split: a first kernel reduces equal slices of each row
// in parallel into partial results (floating sums and products widened to f64), a second
// combines the slices in order, reduces the few elements left over, merges the two and
// stores the results and their epilogues. The slice count (SplitOptions) depends on the
// shapes only, never on the thread count, so results do not either; it reaches the kernels
// as a dim, so another count compiles nothing new.
bool Scheduler::splittable(const KernelPlan& p) const {
  if (!options_.split || p.kind != kernel::KernelKind::Rows) return false;
  if (options_.splits.slices(numel(p.space.kept()), numel(p.space.reduced())) < 2) return false;
  std::unordered_set<const Node*> reds(p.reductions.begin(), p.reductions.end());
  std::unordered_set<const Node*> self(p.outputs.begin(), p.outputs.end());
  for (const Node* r : p.reductions) {
    switch (r->op()) {
      case Op::ReduceSum:
      case Op::ReduceProd:
      case Op::ReduceMax:
      case Op::ReduceMin:
      case Op::ReduceAny:
      case Op::ReduceAll: break;
      default: return false;
    }
    std::unordered_set<const Node*> others = reds;
    others.erase(r);
    if (reaches(r, others, self)) return false;  // one level of reductions only
  }
  for (const Node* o : p.outputs)
    if (!is_reduction(o) && o->shape() != p.space.kept()) return false;
  return true;
}

namespace {

DType partial_type(const Node* r) {
  bool widen = is_float(r->dtype()) && (r->op() == Op::ReduceSum || r->op() == Op::ReduceProd);
  return widen ? DType::F64 : r->dtype();
}

}  // namespace

// The elementwise op that merges two partial results of a reduction.
Op combine_op(Op reduce_op) {
  switch (reduce_op) {
    case Op::ReduceSum: return Op::Add;
    case Op::ReduceProd: return Op::Mul;
    case Op::ReduceMax: return Op::Maximum;
    case Op::ReduceMin: return Op::Minimum;
    case Op::ReduceAny: return Op::LogicalOr;
    case Op::ReduceAll: return Op::LogicalAnd;
    default: break;
  }
  KILN_CHECK(false) << "no combine op for " << op_name(reduce_op);
  return Op::Add;
}

void Scheduler::lower_split(const KernelPlan& p, const std::unordered_set<const Node*>& in_buffers,
                            std::vector<LaunchPlan>& out, const Node*& current) {
  const RowSpace& sp = p.space;
  Shape kept = sp.kept(), reduced = sp.reduced();
  const int64_t row = numel(reduced), splits = options_.splits.slices(numel(kept), row);
  Shape sliced = kept;
  sliced.push_back(splits);
  // `splits` slices of `slice` elements each, then a tail of fewer than `splits` elements.
  const int64_t slice = row / splits, tail = row - slice * splits;
  // The row-space point of reduced element g of the row at outer point `outer`.
  auto row_point = [&](PhaseBuilder& pb, const std::vector<int32_t>& outer, int32_t g) {
    return interleave(sp, outer, pb.unflatten(g, reduced));
  };
  // Reduces the operands of p's reductions at reduced elements base + r in a new phase.
  auto reduce_phase = [&](KernelBuilder& kb, const Shape& outer_shape, int64_t extent, bool sliced_base) {
    kernel::Kernel& k = kb.kernel();
    k.phases.emplace_back();
    k.phases.back().kind = kernel::Phase::Kind::Reduce;
    k.phases.back().inner = non_unit_dims(kb, Shape{extent});
    PhaseBuilder pb(kb, k.phases.back());
    std::vector<int32_t> outer = pb.unflatten(pb.outer_index(), outer_shape);
    int32_t r = extent == 1 ? pb.const_i64(0) : pb.inner_index();
    int32_t base = sliced_base ? pb.mul(outer.back(), pb.dim(slice)) : pb.dim(slice * splits);
    std::vector<int32_t> point = row_point(pb, outer, pb.add(base, r));
    std::vector<int32_t> accs;
    for (const Node* red : p.reductions) {
      current = red;
      DType t = partial_type(red);
      int32_t v = pb.value(red->operands()[0].get(), point);
      if (t != red->dtype()) v = pb.op(Op::Cast, t, {v});
      int32_t acc = k.num_accs++;
      k.phases.back().reductions.push_back({red->op(), v, acc, t});
      accs.push_back(acc);
    }
    for (const Node* s : p.siblings) {
      current = s;
      int32_t v = pb.value(s, point);
      k.phases.back().stores.push_back({kb.buffer(s, true), pb.flatten(point, sp.shape), v});
    }
    return accs;
  };
  auto acc_value = [](PhaseBuilder& pb, int32_t acc, DType t) {
    kernel::Inst a;
    a.kind = kernel::Inst::Kind::Acc;
    a.type = t;
    a.imm = acc;
    return pb.inst(a);
  };
  std::vector<int32_t> temps;
  {  // Each slice of each row, in parallel: partial results into temporaries.
    KernelBuilder kb(in_buffers);
    kernel::Kernel& k = kb.kernel();
    k.kind = kernel::KernelKind::Rows;
    k.outer = non_unit_dims(kb, sliced);
    std::vector<int32_t> accs = reduce_phase(kb, sliced, slice, true);
    k.phases.emplace_back();
    k.phases.back().kind = kernel::Phase::Kind::Store;
    PhaseBuilder sb(kb, k.phases.back());
    int32_t at = sb.flatten(sb.unflatten(sb.outer_index(), sliced), sliced);
    for (size_t j = 0; j < p.reductions.size(); ++j) {
      DType t = partial_type(p.reductions[j]);
      int32_t id = static_cast<int32_t>(temp_bytes_.size());
      temp_bytes_.push_back(numel(sliced) * dtype_size(t));
      temps.push_back(id);
      k.phases.back().stores.push_back({kb.temp_buffer(id, t, true), at, acc_value(sb, accs[j], t)});
    }
    LaunchPlan lp;
    lp.outer_extent = numel(sliced);
    out.push_back(finish(kb, std::move(lp), p.siblings));
  }
  // Each row: its slices in order, then its tail; the results and their epilogues.
  KernelBuilder kb(in_buffers);
  kernel::Kernel& k = kb.kernel();
  k.kind = kernel::KernelKind::Rows;
  k.outer = non_unit_dims(kb, kept);
  std::vector<int32_t> slice_accs;
  {
    k.phases.emplace_back();
    k.phases.back().kind = kernel::Phase::Kind::Reduce;
    k.phases.back().inner = non_unit_dims(kb, Shape{splits});
    PhaseBuilder pb(kb, k.phases.back());
    std::vector<int32_t> at = pb.unflatten(pb.outer_index(), kept);
    at.push_back(pb.inner_index());
    int32_t index = pb.flatten(at, sliced);
    for (size_t j = 0; j < p.reductions.size(); ++j) {
      DType t = partial_type(p.reductions[j]);
      kernel::Inst load;
      load.kind = kernel::Inst::Kind::Load;
      load.type = t;
      load.imm = kb.temp_buffer(temps[j], t, false);
      load.args = {index};
      int32_t acc = k.num_accs++;
      k.phases.back().reductions.push_back({p.reductions[j]->op(), pb.inst(load), acc, t});
      slice_accs.push_back(acc);
    }
  }
  std::vector<int32_t> tail_accs;
  if (tail > 0) tail_accs = reduce_phase(kb, kept, tail, false);
  k.phases.emplace_back();
  k.phases.back().kind = kernel::Phase::Kind::Store;
  PhaseBuilder sb(kb, k.phases.back());
  std::vector<int32_t> at = sb.unflatten(sb.outer_index(), kept);
  sb.set_outer_point(at);
  for (size_t j = 0; j < p.reductions.size(); ++j) {
    const Node* red = p.reductions[j];
    DType t = partial_type(red);
    int32_t v = acc_value(sb, slice_accs[j], t);
    if (tail > 0) v = sb.op(combine_op(red->op()), t, {v, acc_value(sb, tail_accs[j], t)});
    if (t != red->dtype()) v = sb.op(Op::Cast, red->dtype(), {v});
    sb.set_value(red, at, v);
  }
  for (const Node* o : p.outputs) {
    current = o;
    int32_t v = sb.value(o, at);
    k.phases.back().stores.push_back({kb.buffer(o, true), sb.flatten(at, kept), v});
  }
  LaunchPlan lp;
  lp.outer_extent = numel(kept);
  out.push_back(finish(kb, std::move(lp), tail > 0 ? p.stored() : p.outputs));
}

LaunchPlan Scheduler::lower_gemm(const KernelPlan& p, const std::unordered_set<const Node*>& in_buffers) {
  const Node* c = p.outputs[0];
  const Node* a = c->operands()[0].get();
  const Node* b = c->operands()[1].get();
  // The routine reads each operand from a contiguous buffer holding it or its transpose: the
  // transpose of a value is read where the value is, never copied.
  auto source = [&](const Node* o) {
    if (in_buffers.count(o)) return std::pair{o, false};
    if (!is_matrix_transpose(o)) throw NeedsBuffer{o};
    const Node* x = o->operands()[0].get();
    if (!in_buffers.count(x)) throw NeedsBuffer{x};
    return std::pair{x, true};
  };
  const auto [a_src, a_transposed] = source(a);
  const auto [b_src, b_transposed] = source(b);
  KernelBuilder kb(in_buffers);
  kb.kernel().kind = kernel::KernelKind::Serial;
  kb.positional_buffer(a_src, false);
  kb.positional_buffer(b_src, false);
  LaunchPlan lp;
  lp.builtin = Builtin::Gemm;
  const Shape& cs = c->shape();
  int64_t m = cs[cs.size() - 2], n = cs.back(), k = a->shape().back();
  int64_t batch = numel(Shape(cs.begin(), cs.end() - 2));
  auto stride = [](const Node* o) {
    Shape ob(o->shape().begin(), o->shape().end() - 2);
    return numel(ob) == 1 ? int64_t{0} : o->shape()[o->rank() - 2] * o->shape().back();
  };
  lp.builtin_args = {batch, m, n, k, stride(a), stride(b), a_transposed, b_transposed};
  return finish(kb, std::move(lp), p.outputs);
}

LaunchPlan Scheduler::lower_transpose(const Node* b, const std::unordered_set<const Node*>& in_buffers,
                                      int32_t& temp) {
  Shape bt = transposed_shape(b->shape());
  temp = static_cast<int32_t>(temp_bytes_.size());
  temp_bytes_.push_back(numel(bt) * dtype_size(b->dtype()));
  KernelBuilder kb(in_buffers);
  kernel::Kernel& k = kb.kernel();
  k.kind = kernel::KernelKind::Elementwise;
  k.phases.emplace_back();
  kernel::Phase& ph = k.phases.back();
  Shape leading(bt.begin(), bt.end() - 1);
  k.outer = non_unit_dims(kb, leading);
  ph.inner = non_unit_dims(kb, Shape{bt.back()});
  PhaseBuilder pb(kb, ph);
  std::vector<int32_t> point = pb.unflatten(pb.outer_index(), leading);
  point.push_back(pb.inner_index());
  std::vector<int32_t> at = point;
  std::swap(at[at.size() - 1], at[at.size() - 2]);
  int32_t v = pb.value(b, at);
  ph.stores.push_back({kb.temp_buffer(temp, b->dtype(), true), pb.flatten(point, bt), v});
  LaunchPlan lp;
  lp.outer_extent = numel(leading);
  lp.elementwise_extent = numel(bt);
  return finish(kb, std::move(lp), {});
}

LaunchPlan Scheduler::finish(KernelBuilder& kb, LaunchPlan lp, std::vector<const Node*> outputs) {
  for (const Node* o : outputs) kb.buffer(o, true);
  reuse_phase_values(kb.kernel());
  kernel::check_kernel(kb.kernel());
  lp.kernel = std::move(kb.kernel());
  lp.buffers = kb.buffer_refs();
  lp.dims = kb.dim_values();
  lp.params = kb.param_values();
  lp.param_sources = kb.param_sources();
  lp.outputs = std::move(outputs);
  return lp;
}

std::vector<LaunchPlan> Scheduler::lower(const KernelPlan& p, const std::unordered_set<const Node*>& in_buffers,
                                         const Node*& current) {
  std::vector<LaunchPlan> out;
  if (p.gemm) {
    out.push_back(lower_gemm(p, in_buffers));
    return out;
  }
  if (splittable(p)) {
    lower_split(p, in_buffers, out, current);
    return out;
  }
  // A matmul reads its right operand down columns; a transposed copy makes that contiguous
  // (a right operand that is a transpose already is, read through the view).
  std::unordered_map<const Node*, int32_t> transposed;
  for (const Node* r : p.reductions) {
    if (r->op() != Op::Matmul) continue;
    const Shape& bs = r->operands()[1]->shape();
    if (bs[bs.size() - 2] == 1 || bs.back() == 1 || is_matrix_transpose(r->operands()[1].get())) continue;
    int32_t temp = -1;
    out.push_back(lower_transpose(r->operands()[1].get(), in_buffers, temp));
    transposed[r] = temp;
  }
  KernelBuilder kb(in_buffers);
  LaunchPlan lp;
  switch (p.kind) {
    case kernel::KernelKind::Elementwise: lower_elementwise(p, kb, lp); break;
    case kernel::KernelKind::Rows: lower_rows(p, kb, lp, current, transposed); break;
    case kernel::KernelKind::Serial: lower_scatter(p, kb, lp); break;
  }
  out.push_back(finish(kb, std::move(lp), p.stored()));
  return out;
}

}  // namespace kiln::scheduling

namespace kiln {

int64_t SplitOptions::slices(int64_t rows, int64_t row) const {
  if (rows < 1 || rows > max_rows || row < min_row) return 0;
  return std::min({max_slices, total_slices / rows, row / std::max<int64_t>(min_slice, 1)});
}

}  // namespace kiln
