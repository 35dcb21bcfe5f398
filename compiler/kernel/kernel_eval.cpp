// The kernel IR evaluator: phases and instructions interpreted with the reference
// interpreter's arithmetic (interp::apply_elementwise), values rounded to their dtype after
// every instruction, reductions accumulated as the interpreter does (long double for floats).
#include "compiler/kernel/kernel_eval.hpp"

#include <bit>
#include <cmath>
#include <cstring>

#include "compiler/ir/element.hpp"
#include "compiler/ir/interpret_internal.hpp"

namespace kiln::kernel {
namespace {

using interp::Val;

Val rounded(Val v, DType t) {
  if (is_float(t)) return interp::float_val(round_to_dtype(v.f, t));
  return interp::int_val(wrap_int(v.i, t));
}

Val param_val(uint64_t bits, DType t) {
  switch (t) {
    case DType::F32: return interp::float_val(std::bit_cast<float>(static_cast<uint32_t>(bits)));
    case DType::F64: return interp::float_val(std::bit_cast<double>(bits));
    case DType::F16: return interp::float_val(f16_bits_to_f32(static_cast<uint16_t>(bits)));
    case DType::BF16: return interp::float_val(bf16_bits_to_f32(static_cast<uint16_t>(bits)));
    case DType::Bool:
    case DType::I32:
    case DType::I64:
    case DType::U32: return interp::int_val(wrap_int(static_cast<int64_t>(bits), t));
  }
  return {};
}

Val cast_val(Val v, DType from, DType to) {
  if (is_float(from)) {
    double d = v.f;
    if (is_float(to)) return interp::float_val(round_to_dtype(d, to));
    if (to == DType::Bool) return interp::int_val(d != 0.0 || std::isnan(d));
    return interp::int_val(float_to_int_saturating(d, to));
  }
  if (is_float(to)) return interp::float_val(round_to_dtype(static_cast<long double>(v.i), to));
  return interp::int_val(wrap_int(v.i, to));
}

struct Accumulator {
  long double f = 0;
  int64_t i = 0;
  Val best;
  int64_t index = -1;
  bool any = false;
};

int64_t product(const int64_t* dims, const std::vector<int32_t>& which) {
  int64_t n = 1;
  for (int32_t d : which) n *= dims[d];
  return n;
}

class Evaluator {
 public:
  Evaluator(const Kernel& k, void* const* buffers, const int64_t* dims, const uint64_t* params)
      : k_(k), buffers_(buffers), dims_(dims), params_(params), accs_(k.num_accs) {}

  void run_outer(int64_t o) {
    for (const Phase& p : k_.phases) {
      current_ = &p;
      int64_t inner = product(dims_, p.inner);
      std::vector<Accumulator> acc(p.reductions.size());
      for (size_t j = 0; j < p.reductions.size(); ++j) init(p.reductions[j], acc[j], inner);
      for (int64_t r = 0; r < inner; ++r) step(p, o, r, acc);
      for (size_t j = 0; j < p.reductions.size(); ++j) accs_[p.reductions[j].acc] = finish(p.reductions[j], acc[j]);
    }
  }

  // One point of the single phase of an elementwise kernel.
  void run_point(int64_t o, int64_t r) {
    current_ = &k_.phases[0];
    std::vector<Accumulator> none;
    step(k_.phases[0], o, r, none);
  }

 private:
  void init(const Reduction& red, Accumulator& a, int64_t inner) {
    a.f = red.reduce_op == Op::ReduceProd ? 1.0L : (inner > 0 ? -0.0L : 0.0L);
    a.i = red.reduce_op == Op::ReduceProd || red.reduce_op == Op::ReduceAll ? 1 : 0;
  }

  void step(const Phase& p, int64_t o, int64_t r, std::vector<Accumulator>& acc) {
    std::vector<Val> v(p.body.size());
    for (size_t n = 0; n < p.body.size(); ++n) v[n] = eval(p.body[n], v, o, r);
    for (size_t j = 0; j < p.reductions.size(); ++j) accumulate(p.reductions[j], acc[j], v[p.reductions[j].value], r);
    for (const Store& s : p.stores) {
      const Inst& value = p.body[s.value];
      Val x = v[s.value];
      if (is_float(value.type))
        store_double(buffers_[s.buffer], k_.buffers[s.buffer].dtype, v[s.index].i, x.f);
      else
        store_int(buffers_[s.buffer], k_.buffers[s.buffer].dtype, v[s.index].i, x.i);
    }
  }

  Val eval(const Inst& in, const std::vector<Val>& v, int64_t o, int64_t r) {
    switch (in.kind) {
      case Inst::Kind::OuterIndex: return interp::int_val(o);
      case Inst::Kind::InnerIndex: return interp::int_val(r);
      case Inst::Kind::Dim: return interp::int_val(dims_[in.imm]);
      case Inst::Kind::Param: return param_val(params_[in.imm], in.type);
      case Inst::Kind::Const: return in.value.is_float ? interp::float_val(in.value.f) : interp::int_val(in.value.i);
      case Inst::Kind::Load: {
        DType t = k_.buffers[in.imm].dtype;
        int64_t idx = v[in.args[0]].i;
        return is_float(t) ? interp::float_val(load_as_double(buffers_[in.imm], t, idx))
                           : interp::int_val(load_as_int(buffers_[in.imm], t, idx));
      }
      case Inst::Kind::Acc: return accs_[in.imm];
      case Inst::Kind::IDiv: return interp::int_val(v[in.args[0]].i / v[in.args[1]].i);
      case Inst::Kind::IMod: return interp::int_val(v[in.args[0]].i % v[in.args[1]].i);
      case Inst::Kind::Op: break;
    }
    std::vector<Val> x;
    for (int32_t a : in.args) x.push_back(v[a]);
    if (in.op == Op::Where) return x[0].i ? x[1] : x[2];
    DType operand = in.args.empty() ? in.type : operand_type(in);
    if (in.op == Op::Cast) return cast_val(x[0], operand, in.type);
    return rounded(interp::apply_elementwise(in.op, operand, x), in.type);
  }

  // The dtype of an op's operands: the type of its first argument's instruction.
  DType operand_type(const Inst& in) const { return current_->body[in.args[0]].type; }

  void accumulate(const Reduction& red, Accumulator& a, Val x, int64_t r) {
    DType t = value_type(red);
    bool fl = is_float(t);
    switch (red.reduce_op) {
      case Op::ReduceSum:
        if (fl) a.f += x.f;
        else a.i = interp::apply_binary(Op::Add, DType::I64, interp::int_val(a.i), x).i;
        return;
      case Op::ReduceProd:
        if (fl) a.f *= x.f;
        else a.i = interp::apply_binary(Op::Mul, DType::I64, interp::int_val(a.i), x).i;
        return;
      case Op::ReduceMax:
      case Op::ReduceMin:
        a.best = a.index < 0 ? x : interp::apply_binary(red.reduce_op == Op::ReduceMax ? Op::Maximum : Op::Minimum, t, a.best, x);
        a.index = 0;
        return;
      case Op::ArgMax:
      case Op::ArgMin: {
        bool better;
        if (a.index < 0) better = true;
        else if (fl && std::isnan(a.best.f)) better = false;
        else if (fl && std::isnan(x.f)) better = true;
        else better = red.reduce_op == Op::ArgMax ? (fl ? x.f > a.best.f : x.i > a.best.i) : (fl ? x.f < a.best.f : x.i < a.best.i);
        if (better) {
          a.best = x;
          a.index = r;
        }
        return;
      }
      case Op::ReduceAny: a.i = a.i || x.i; return;
      case Op::ReduceAll: a.i = a.i && x.i; return;
      default: KILN_CHECK(false) << "not a reduction: " << op_name(red.reduce_op);
    }
  }

  Val finish(const Reduction& red, const Accumulator& a) {
    DType t = red.type;
    switch (red.reduce_op) {
      case Op::ReduceSum:
      case Op::ReduceProd:
        return is_float(t) ? interp::float_val(round_to_dtype(a.f, t)) : interp::int_val(wrap_int(a.i, t));
      case Op::ReduceMax:
      case Op::ReduceMin: return a.best;
      case Op::ArgMax:
      case Op::ArgMin: return interp::int_val(a.index < 0 ? 0 : a.index);
      default: return interp::int_val(a.i);
    }
  }

  DType value_type(const Reduction& red) const { return current_->body[red.value].type; }

  const Phase* current_ = nullptr;
  const Kernel& k_;
  void* const* buffers_;
  const int64_t* dims_;
  const uint64_t* params_;
  std::vector<Val> accs_;
};

}  // namespace

uint64_t param_bits(const Scalar& v, DType t) {
  switch (t) {
    case DType::F32: return std::bit_cast<uint32_t>(static_cast<float>(v.as_double()));
    case DType::F64: return std::bit_cast<uint64_t>(v.as_double());
    case DType::F16: return f32_to_f16_bits(static_cast<float>(v.as_double()));
    case DType::BF16: return f32_to_bf16_bits(static_cast<float>(v.as_double()));
    case DType::Bool:
    case DType::I32:
    case DType::I64:
    case DType::U32: return static_cast<uint64_t>(v.is_float ? static_cast<int64_t>(v.f) : v.i);
  }
  return 0;
}

void evaluate_kernel(const Kernel& k, void* const* buffers, const int64_t* dims, const uint64_t* params,
                     int64_t begin, int64_t end) {
  Evaluator e(k, buffers, dims, params);
  if (k.kind == KernelKind::Elementwise) {
    int64_t inner = product(dims, k.phases[0].inner);
    for (int64_t i = begin; i < end; ++i) e.run_point(i / inner, i % inner);
    return;
  }
  for (int64_t o = begin; o < end; ++o) e.run_outer(o);
}

}  // namespace kiln::kernel
