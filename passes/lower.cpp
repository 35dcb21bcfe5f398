// Lowering of graph nodes to kernel IR at a point (see lower.hpp).
#include "passes/lower.hpp"

#include <bit>

#include "compiler/ir/element.hpp"

namespace kiln {

using kernel::Inst;

int32_t KernelBuilder::buffer(const Node* n, bool output) {
  BufferRef ref{n, -1};
  for (size_t i = 0; i < buffer_refs_.size(); ++i)
    if (buffer_refs_[i] == ref) {
      if (output) k_.buffers[i].output = true;
      return static_cast<int32_t>(i);
    }
  return positional_buffer(n, output);
}

int32_t KernelBuilder::positional_buffer(const Node* n, bool output) {
  buffer_refs_.push_back(BufferRef{n, -1});
  k_.buffers.push_back({n->dtype(), output});
  return static_cast<int32_t>(buffer_refs_.size() - 1);
}

int32_t KernelBuilder::temp_buffer(int32_t temp, DType dtype, bool output) {
  BufferRef ref{nullptr, temp};
  for (size_t i = 0; i < buffer_refs_.size(); ++i)
    if (buffer_refs_[i] == ref) return static_cast<int32_t>(i);
  buffer_refs_.push_back(ref);
  k_.buffers.push_back({dtype, output});
  return static_cast<int32_t>(buffer_refs_.size() - 1);
}

int32_t KernelBuilder::dim(int64_t value) {
  for (size_t i = 0; i < dim_values_.size(); ++i)
    if (dim_values_[i] == value) return static_cast<int32_t>(i);
  dim_values_.push_back(value);
  k_.num_dims = static_cast<int32_t>(dim_values_.size());
  return k_.num_dims - 1;
}

int32_t KernelBuilder::param(const Scalar& value, DType type, const Node* source, ParamField field) {
  param_values_.push_back(value);
  param_sources_.emplace_back(source, field);
  k_.params.push_back(type);
  return static_cast<int32_t>(param_values_.size() - 1);
}

int32_t KernelBuilder::literal_param(const Node* n) {
  auto it = literal_params_.find(n);
  if (it != literal_params_.end()) return it->second;
  int32_t p = param(n->attrs().value, n->dtype(), n, ParamField::Value);
  literal_params_.emplace(n, p);
  return p;
}

int32_t PhaseBuilder::inst(Inst in) {
  std::vector<int64_t> key = {static_cast<int64_t>(in.kind), static_cast<int64_t>(in.op),
                              static_cast<int64_t>(in.type), in.imm, in.value.is_float,
                              std::bit_cast<int64_t>(in.value.f), in.value.i};
  key.insert(key.end(), in.args.begin(), in.args.end());
  auto it = cse_.find(key);
  if (it != cse_.end()) return it->second;
  phase_.body.push_back(std::move(in));
  int32_t id = static_cast<int32_t>(phase_.body.size() - 1);
  cse_.emplace(std::move(key), id);
  return id;
}

int32_t PhaseBuilder::op(Op o, DType type, std::vector<int32_t> args) {
  Inst in;
  in.kind = Inst::Kind::Op;
  in.op = o;
  in.type = type;
  in.args = std::move(args);
  return inst(std::move(in));
}

int32_t PhaseBuilder::const_of(const Scalar& v, DType type) {
  Inst in;
  in.kind = Inst::Kind::Const;
  in.type = type;
  in.value = scalar_to_dtype(v, type);
  return inst(std::move(in));
}

int32_t PhaseBuilder::const_i64(int64_t v) { return const_of(Scalar::of_int(v), DType::I64); }

int32_t PhaseBuilder::dim(int64_t extent) {
  if (extent == 1) return const_i64(1);
  Inst in;
  in.kind = Inst::Kind::Dim;
  in.imm = kb_.dim(extent);
  return inst(std::move(in));
}

int32_t PhaseBuilder::outer_index() {
  Inst in;
  in.kind = Inst::Kind::OuterIndex;
  return inst(std::move(in));
}

int32_t PhaseBuilder::inner_index() {
  Inst in;
  in.kind = Inst::Kind::InnerIndex;
  return inst(std::move(in));
}

std::vector<int32_t> PhaseBuilder::unflatten(int32_t flat, const Shape& shape) {
  std::vector<int32_t> point(shape.size());
  int32_t rest = flat;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 1) {
      point[i] = const_i64(0);
      continue;
    }
    bool first = true;
    for (size_t j = 0; j < i; ++j) first &= shape[j] == 1;
    if (first) {  // the outermost non-1 axis takes what is left; the size-1 axes before it are 0
      point[i] = rest;
      for (size_t j = 0; j < i; ++j) point[j] = const_i64(0);
      break;
    }
    int32_t d = dim(shape[i]);
    Inst m{Inst::Kind::IMod, Op::Add, DType::I64, {rest, d}, 0, {}};
    point[i] = inst(m);
    Inst q{Inst::Kind::IDiv, Op::Add, DType::I64, {rest, d}, 0, {}};
    rest = inst(q);
  }
  return point;
}

int32_t PhaseBuilder::flatten(const std::vector<int32_t>& point, const Shape& shape) {
  int32_t flat = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    flat = flat < 0 ? point[i] : add(mul(flat, dim(shape[i])), point[i]);
  }
  return flat < 0 ? const_i64(0) : flat;
}

int32_t PhaseBuilder::value(const Node* n, const std::vector<int32_t>& point) {
  auto key = std::make_pair(n, point);
  auto it = memo_.find(key);
  if (it != memo_.end()) return it->second;
  int32_t v;
  auto acc = kb_.accs().find(n);
  if (kb_.in_buffer(n)) {
    Inst in;
    in.kind = Inst::Kind::Load;
    in.type = n->dtype();
    in.imm = kb_.buffer(n, false);
    in.args = {flatten(point, n->shape())};
    v = inst(std::move(in));
  } else if (acc != kb_.accs().end() && point == outer_point_) {
    DType at = kb_.acc_type(n);
    Inst in;
    in.kind = Inst::Kind::Acc;
    in.type = at;
    in.imm = acc->second;
    v = inst(std::move(in));
    if (at != n->dtype()) v = op(Op::Cast, n->dtype(), {v});
  } else {
    const OpInfo& info = op_info(n->op());
    std::span<const NodeRef> ops = n->operands();
    switch (info.category) {
      case OpCategory::Source: v = source_value(n, point); break;
      case OpCategory::Unary:
      case OpCategory::Binary:
      case OpCategory::Ternary: {
        if (n->op() == Op::StopGradient) {  // the operand's value: no instruction at all
          v = value(ops[0].get(), point);
          break;
        }
        std::vector<int32_t> args;
        for (const NodeRef& o : ops) args.push_back(value(o.get(), point));
        v = op(n->op(), n->dtype(), std::move(args));
        break;
      }
      case OpCategory::Movement: v = movement_value(n, point); break;
      case OpCategory::Index:
        if (n->op() != Op::Gather) throw NeedsBuffer{n};
        v = gather_value(n, point);
        break;
      case OpCategory::Reduce:
      case OpCategory::Matmul: throw NeedsBuffer{n};
    }
  }
  memo_.emplace(std::move(key), v);
  return v;
}

int32_t PhaseBuilder::source_value(const Node* n, const std::vector<int32_t>& point) {
  switch (n->op()) {
    case Op::Literal: {
      Inst in;
      in.kind = Inst::Kind::Param;
      in.type = n->dtype();
      in.imm = kb_.literal_param(n);
      return inst(std::move(in));
    }
    case Op::Constant: return const_of(n->attrs().value, n->dtype());  // baked into the code
    case Op::Iota: return op(Op::Cast, n->dtype(), {point[n->attrs().axis]});
    case Op::RandomBits: return random_bits_value(n, point);
    case Op::Param: throw NeedsBuffer{n};  // a param without a value: the executor reports it
    default: break;
  }
  KILN_CHECK(false) << "not a source op: " << op_name(n->op());
  return -1;
}

int32_t PhaseBuilder::movement_value(const Node* n, const std::vector<int32_t>& point) {
  const Node* x = n->operands()[0].get();
  const Shape& in = x->shape();
  const Shape& out = n->shape();
  const Attrs& a = n->attrs();
  std::vector<int32_t> p(in.size());
  switch (n->op()) {
    case Op::Reshape: {
      std::vector<int32_t> in_axes, out_axes;  // the axes that are not 1
      for (size_t i = 0; i < in.size(); ++i)
        if (in[i] != 1) in_axes.push_back(static_cast<int32_t>(i));
      for (size_t i = 0; i < out.size(); ++i)
        if (out[i] != 1) out_axes.push_back(static_cast<int32_t>(i));
      bool same = in_axes.size() == out_axes.size();
      for (size_t i = 0; same && i < in_axes.size(); ++i) same = in[in_axes[i]] == out[out_axes[i]];
      if (same) {  // only size-1 axes inserted or removed
        for (size_t i = 0; i < in.size(); ++i) p[i] = const_i64(0);
        for (size_t i = 0; i < in_axes.size(); ++i) p[in_axes[i]] = point[out_axes[i]];
      } else {
        p = unflatten(flatten(point, out), in);
      }
      return value(x, p);
    }
    case Op::Permute:
      for (size_t i = 0; i < a.perm.size(); ++i) p[a.perm[i]] = point[i];
      return value(x, p);
    case Op::Broadcast: {
      size_t lead = out.size() - in.size();
      for (size_t i = 0; i < in.size(); ++i) p[i] = in[i] == 1 ? const_i64(0) : point[lead + i];
      return value(x, p);
    }
    case Op::Slice:
      for (size_t i = 0; i < in.size(); ++i) {
        int32_t c = point[i];
        if (a.step[i] != 1) c = mul(c, const_i64(a.step[i]));
        if (a.start[i] != 0) c = add(c, const_i64(a.start[i]));
        p[i] = out[i] == 1 ? const_i64(a.start[i]) : c;
      }
      return value(x, p);
    case Op::Flip:
      p = point;
      for (int64_t ax : a.axes)
        if (in[ax] > 1) p[ax] = op(Op::Sub, DType::I64, {op(Op::Sub, DType::I64, {dim(in[ax]), const_i64(1)}), point[ax]});
      return value(x, p);
    case Op::Pad: {
      int32_t inside = -1;
      for (size_t i = 0; i < in.size(); ++i) {
        if (a.low[i] == 0 && a.high[i] == 0) {
          p[i] = point[i];
          continue;
        }
        int32_t c = a.low[i] ? op(Op::Sub, DType::I64, {point[i], const_i64(a.low[i])}) : point[i];
        int32_t last = op(Op::Sub, DType::I64, {dim(std::max<int64_t>(in[i], 1)), const_i64(1)});
        int32_t ok = op(Op::LogicalAnd, DType::Bool,
                        {op(Op::Ge, DType::Bool, {c, const_i64(0)}), op(Op::Le, DType::Bool, {c, last})});
        if (in[i] == 0) ok = const_of(Scalar::of_int(0), DType::Bool);
        inside = inside < 0 ? ok : op(Op::LogicalAnd, DType::Bool, {inside, ok});
        p[i] = op(Op::Clamp, DType::I64, {c, const_i64(0), last});
      }
      int32_t pad = const_of(a.value, n->dtype());
      if (numel(in) == 0) return pad;
      int32_t v = value(x, p);
      return inside < 0 ? v : op(Op::Where, n->dtype(), {inside, v, pad});
    }
    case Op::Concat: {
      int64_t axis = a.axis, offset = 0;
      int32_t result = -1;
      std::span<const NodeRef> xs = n->operands();
      // Select from the last operand backwards: result = c < end_k ? v_k : result.
      std::vector<std::pair<int64_t, const Node*>> parts;
      for (const NodeRef& o : xs) {
        parts.emplace_back(offset, o.get());
        offset += o->shape()[axis];
      }
      for (size_t k = parts.size(); k-- > 0;) {
        const Node* xk = parts[k].second;
        if (xk->shape()[axis] == 0) continue;
        std::vector<int32_t> pk = point;
        int32_t c = parts[k].first ? op(Op::Sub, DType::I64, {point[axis], const_i64(parts[k].first)}) : point[axis];
        int64_t len = xk->shape()[axis];
        pk[axis] = len == 1 ? const_i64(0)
                            : op(Op::Clamp, DType::I64, {c, const_i64(0), op(Op::Sub, DType::I64, {dim(len), const_i64(1)})});
        int32_t v = value(xk, pk);
        if (result < 0) {
          result = v;
        } else {
          int32_t end = op(Op::Add, DType::I64, {const_i64(parts[k].first), dim(len)});
          result = op(Op::Where, n->dtype(), {op(Op::Lt, DType::Bool, {point[axis], end}), v, result});
        }
      }
      KILN_CHECK(result >= 0) << "concat of empty operands evaluated at a point";
      return result;
    }
    default: break;
  }
  KILN_CHECK(false) << "not a movement op: " << op_name(n->op());
  return -1;
}

int32_t PhaseBuilder::gather_value(const Node* n, const std::vector<int32_t>& point) {
  const Node* x = n->operands()[0].get();
  const Node* idx = n->operands()[1].get();
  int64_t axis = n->attrs().axis;
  int64_t len = x->shape()[axis];
  int32_t i = value(idx, point);
  if (idx->dtype() != DType::I64) i = op(Op::Cast, DType::I64, {i});
  std::vector<int32_t> p = point;
  if (len == 1) {
    p[axis] = const_i64(0);
  } else {
    // i < 0 means i + n; then clamp into [0, n - 1].
    int32_t d = dim(len);
    int32_t wrapped = op(Op::Where, DType::I64, {op(Op::Lt, DType::Bool, {i, const_i64(0)}), add(i, d), i});
    p[axis] = op(Op::Clamp, DType::I64, {wrapped, const_i64(0), op(Op::Sub, DType::I64, {d, const_i64(1)})});
  }
  return value(x, p);
}

// Philox4x32-10 (philox.hpp) in i64 arithmetic on 32-bit values: products of two 32-bit
// numbers fit the 64 bits, and the high half is a shift and a mask away.
int32_t PhaseBuilder::random_bits_value(const Node* n, const std::vector<int32_t>& point) {
  auto p64 = [&](uint64_t v, KernelBuilder::ParamField field) {
    Inst in;
    in.kind = Inst::Kind::Param;
    in.type = DType::I64;
    in.imm = kb_.param(Scalar::of_int(static_cast<int64_t>(v)), DType::I64, n, field);
    return inst(std::move(in));
  };
  int32_t mask = const_i64(0xffffffffll);
  auto band = [&](int32_t a) { return op(Op::BitwiseAnd, DType::I64, {a, mask}); };
  auto bxor = [&](int32_t a, int32_t b) { return op(Op::BitwiseXor, DType::I64, {a, b}); };
  int32_t idx = flatten(point, n->shape());
  int32_t seed = p64(n->attrs().seed, KernelBuilder::ParamField::Seed);
  int32_t stream = p64(n->attrs().stream, KernelBuilder::ParamField::Stream);
  int32_t c0 = band(idx), c1 = band(op(Op::ShiftRight, DType::I64, {idx, const_i64(32)}));
  int32_t c2 = band(stream), c3 = band(op(Op::ShiftRight, DType::I64, {stream, const_i64(32)}));
  int32_t k0 = band(seed), k1 = band(op(Op::ShiftRight, DType::I64, {seed, const_i64(32)}));
  for (int round = 0; round < 10; ++round) {
    int32_t prod0 = mul(c0, const_i64(0xD2511F53ll));
    int32_t prod1 = mul(c2, const_i64(0xCD9E8D57ll));
    int32_t hi0 = band(op(Op::ShiftRight, DType::I64, {prod0, const_i64(32)})), lo0 = band(prod0);
    int32_t hi1 = band(op(Op::ShiftRight, DType::I64, {prod1, const_i64(32)})), lo1 = band(prod1);
    int32_t n0 = bxor(bxor(hi1, c1), k0), n2 = bxor(bxor(hi0, c3), k1);
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 = band(add(k0, const_i64(0x9E3779B9ll)));
    k1 = band(add(k1, const_i64(0xBB67AE85ll)));
  }
  return op(Op::Cast, DType::U32, {c0});
}

}  // namespace kiln

