// Kernel IR -> CUDA C: the kernel function, its loops, phases, reductions and stores.
//
// The kernel reads its launch words once (typed buffer pointers b<i>, dims d<i>, parameter
// bits p<i>, the range kiln_begin..kiln_end), then runs one of three loop structures
// (cuda_source.hpp): a grid-stride loop over the flat range (Elementwise), rows o grid-stride
// over blocks with each phase's inner loop strided over the block's threads (Rows), or an
// outer index o per thread with its inner loops in order (Serial). A phase body becomes one `const` C
// variable per instruction, v<phase>_<index>, so the code reads like the kernel IR.
//
// A Reduce phase keeps, per reduction, one partial value per thread (kiln_p<acc>, in the
// accumulation type of kernel.hpp: double for float sums and products), updated in increasing
// r; then the block combines the partials in the prelude's fixed tree and every thread holds
// the final value acc<acc>, which later phases read.
#include <fmt/format.h>

#include <cmath>

#include "compiler/cuda/codegen.hpp"
#include "compiler/cuda/cuda_source.hpp"

namespace kiln::cuda {
namespace {

using detail::reg_type;

bool is_arg(Op op) { return op == Op::ArgMax || op == Op::ArgMin; }

// How one reduction accumulates: the partial's C type, its identity, and how two partials
// (x, y) combine; for argmax/argmin, how a value x beats y.
struct Accumulation {
  std::string type, identity, combine, beats;
};

Accumulation accumulation(const kernel::Reduction& red, DType vt) {
  const std::string t = reg_type(vt);
  const bool fl = is_float(vt);
  switch (red.reduce_op) {
    case Op::ReduceSum:
      if (fl) return {"double", detail::f64_bits(-0.0), "x + y", ""};  // -0.0: the exact identity
      return {t, "0", detail::op_expr(Op::Add, vt, vt, {"x", "y"}), ""};
    case Op::ReduceProd:
      if (fl) return {"double", "1.0", "x * y", ""};
      return {t, "1", detail::op_expr(Op::Mul, vt, vt, {"x", "y"}), ""};
    case Op::ReduceMax: return {t, detail::min_value(vt), detail::op_expr(Op::Maximum, vt, vt, {"x", "y"}), ""};
    case Op::ReduceMin: return {t, detail::max_value(vt), detail::op_expr(Op::Minimum, vt, vt, {"x", "y"}), ""};
    case Op::ReduceAny: return {"int", "0", "x | y", ""};
    case Op::ReduceAll: return {"int", "1", "x & y", ""};
    case Op::ArgMax:
    case Op::ArgMin: {
      const char* cmp = red.reduce_op == Op::ArgMax ? ">" : "<";
      // A NaN beats every number (the first NaN wins); nothing beats a NaN.
      std::string beats = fl ? fmt::format("y == y && (x != x || x {} y)", cmp) : fmt::format("x {} y", cmp);
      return {t, "0", "", beats};
    }
    default: break;
  }
  KILN_CHECK(false) << "CUDA codegen: not a reduction: " << op_name(red.reduce_op);
  return {};
}

class KernelWriter {
 public:
  KernelWriter(const kernel::Kernel& k, const std::string& symbol, const CudaOptions& o) : k_(k), symbol_(symbol) {
    serial_ = k.kind == kernel::KernelKind::Serial;
    block_ = k.kind == kernel::KernelKind::Rows ? o.rows_block : o.elementwise_block;
    KILN_CHECK(block_ >= 1 && block_ <= 1024) << "CUDA codegen: block size " << block_;
    KILN_CHECK(k.kind != kernel::KernelKind::Rows || block_ % 32 == 0)
        << "CUDA codegen: a Rows block must be whole warps, not " << block_;
    num_words_ = static_cast<int>(k.buffers.size() + k.params.size()) + k.num_dims + 2;
    by_value_ = num_words_ <= o.max_param_words;
  }

  CudaKernel run() {
    signature();
    if (k_.kind == kernel::KernelKind::Elementwise)
      elementwise();
    else
      rows();
    line(0, "}");
    line(0, by_value_ ? fmt::format("KILN_EMULATION_ENTRY({}, {})", symbol_, num_words_)
                      : fmt::format("KILN_EMULATION_ENTRY_BUFFER({})", symbol_));
    CudaKernel out;
    out.symbol = symbol_;
    out.code = std::move(code_);
    out.kind = k_.kind;
    out.block = block_;
    out.num_words = num_words_;
    out.words_mode = by_value_ ? WordsMode::ByValue : WordsMode::DeviceBuffer;
    out.shared_bytes = shared_bytes_;
    return out;
  }

 private:
  template <class... A>
  void line(int indent, fmt::format_string<A...> f, A&&... a) {
    code_.append(static_cast<size_t>(indent) * 2, ' ');
    code_ += fmt::format(f, std::forward<A>(a)...);
    code_ += '\n';
  }
  void line(int indent, const std::string& s) { line(indent, "{}", s); }

  std::string word(int i) const { return by_value_ ? fmt::format("kiln_a.w[{}]", i) : fmt::format("kiln_w[{}]", i); }

  std::string product(const std::vector<int32_t>& dims) const {
    if (dims.empty()) return "1ll";
    std::string s;
    for (int32_t d : dims) s += (s.empty() ? "" : " * ") + fmt::format("d{}", d);
    return s;
  }

  void signature() {
    const std::string param = by_value_ ? fmt::format("const kiln_words<{}> kiln_a", num_words_)
                                        : std::string("const unsigned long long* __restrict__ kiln_w");
    line(0, "extern \"C\" __global__ void __launch_bounds__({}) {}({}) {{", block_, symbol_, param);
    int w = 0;
    // Buffers never overlap (kernel.hpp); a Serial kernel may read back what it stored, through
    // the same pointer, so it does without __restrict__ (plain loads and stores in order).
    const char* restrict = serial_ ? "" : " __restrict__";
    for (size_t i = 0; i < k_.buffers.size(); ++i, ++w) {
      const kernel::BufferParam& b = k_.buffers[i];
      const char* c = b.output ? "" : "const ";
      line(1, "{}{}*{} b{} = ({}{}*){};", c, detail::mem_type(b.dtype), restrict, i, c, detail::mem_type(b.dtype),
           word(w));
    }
    for (int32_t i = 0; i < k_.num_dims; ++i, ++w) line(1, "const long long d{} = (long long){};", i, word(w));
    for (size_t i = 0; i < k_.params.size(); ++i, ++w) line(1, "const unsigned long long p{} = {};", i, word(w));
    line(1, "const long long kiln_begin = (long long){}, kiln_end = (long long){};", word(w), word(w + 1));
    for (size_t p = 0; p < k_.phases.size(); ++p) line(1, "const long long n{} = {};", p, product(k_.phases[p].inner));
  }

  void elementwise() {
    const bool flat = k_.phases[0].inner.empty();
    line(1, "const long long kiln_stride = (long long)gridDim.x * {};", block_);
    line(1, "const long long kiln_first = kiln_begin + (long long)blockIdx.x * {} + threadIdx.x;", block_);
    if (!flat) {
      // (o, r) of i, divided once per thread and then stepped by the stride's quotient and
      // remainder: no division per element. n0 > 0 wherever the range is not empty.
      line(1, "if (kiln_first >= kiln_end) return;");
      line(1, "long long o = kiln_idiv(kiln_first, n0), r = kiln_imod(kiln_first, n0);");
      line(1, "const long long kiln_step_o = kiln_idiv(kiln_stride, n0), kiln_step_r = kiln_imod(kiln_stride, n0);");
    }
    line(1, std::string("for (long long i = kiln_first; i < kiln_end; i += kiln_stride) {"));
    if (flat) {
      line(2, "const long long o = i, r = 0;");
      body(0, 2);
      stores(0, 2);
      line(1, "}");
      return;
    }
    body(0, 2);
    stores(0, 2);
    line(2, "r += kiln_step_r;");
    line(2, "o += kiln_step_o;");
    line(2, "if (r >= n0) {");
    line(3, "r -= n0;");
    line(3, "++o;");
    line(2, "}");
    line(1, "}");
  }

  void rows() {
    for (const kernel::Phase& p : k_.phases) {
      for (const kernel::Reduction& red : p.reductions) {
        if (serial_) continue;  // one thread: its partial is the result
        Accumulation a = accumulation(red, p.body.at(red.value).type);
        line(1, "__shared__ {} kiln_s{}[33];", a.type, red.acc);
        shared_bytes_ += 33 * 8;
        if (is_arg(red.reduce_op)) {
          line(1, "__shared__ long long kiln_si{}[33];", red.acc);
          shared_bytes_ += 33 * 8;
        }
      }
    }
    if (serial_)  // an outer index per thread, its inner loops in order
      line(1, "for (long long o = kiln_begin + (long long)blockIdx.x * {0} + threadIdx.x; o < kiln_end; "
              "o += (long long)gridDim.x * {0}) {{",
           block_);
    else
      line(1, "for (long long o = kiln_begin + blockIdx.x; o < kiln_end; o += gridDim.x) {");
    for (const kernel::Phase& p : k_.phases)
      for (const kernel::Reduction& red : p.reductions) line(2, "{} acc{};", reg_type(red.type), red.acc);
    for (size_t p = 0; p < k_.phases.size(); ++p) {
      line(2, "{{  // phase {}: {}", p, k_.phases[p].kind == kernel::Phase::Kind::Reduce ? "reduce" : "store");
      if (k_.phases[p].kind == kernel::Phase::Kind::Reduce)
        reduce_phase(p);
      else
        inner_loop(p, [] {});
      line(2, "}");
    }
    line(1, "}");
  }

  // The phase's inner loop: this thread's share of r in increasing order, the body, `extra`
  // (the reductions' updates), the stores.
  template <class F>
  void inner_loop(size_t p, F extra) {
    if (serial_)
      line(3, "for (long long r = 0; r < n{}; ++r) {{", p);
    else
      line(3, "for (long long r = threadIdx.x; r < n{}; r += {}) {{", p, block_);
    body(p, 4);
    extra();
    stores(p, 4);
    line(3, "}");
  }

  void reduce_phase(size_t p) {
    const kernel::Phase& phase = k_.phases[p];
    std::vector<Accumulation> accs;
    for (const kernel::Reduction& red : phase.reductions) {
      const DType vt = phase.body.at(red.value).type;
      Accumulation a = accumulation(red, vt);
      line(3, "{} kiln_p{} = {};", a.type, red.acc, a.identity);
      if (is_arg(red.reduce_op)) {
        line(3, "long long kiln_i{} = -1;", red.acc);
        line(3, "auto kiln_beats{} = []({} x, {} y) {{ return {}; }};", red.acc, a.type, a.type, a.beats);
      }
      accs.push_back(a);
    }
    inner_loop(p, [&] {
      for (size_t j = 0; j < phase.reductions.size(); ++j) {
        const kernel::Reduction& red = phase.reductions[j];
        const DType vt = phase.body.at(red.value).type;
        const std::string v = fmt::format("v{}_{}", p, red.value), acc = fmt::format("kiln_p{}", red.acc);
        if (is_arg(red.reduce_op)) {
          line(4, "if (kiln_i{0} < 0 || kiln_beats{0}({1}, {2})) {{ {2} = {1}; kiln_i{0} = r; }}", red.acc, v, acc);
          continue;
        }
        std::string x = v;
        if (accs[j].type == "double" && vt != DType::F64) x = "(double)" + v;
        if (accs[j].type == "int") x = "(int)" + v;
        std::string e = accs[j].combine;
        line(4, "{{ const {0} x = {1}, y = {2}; {1} = {3}; }}", accs[j].type, acc, x, e);
      }
    });
    for (size_t j = 0; j < phase.reductions.size(); ++j) finish(p, phase.reductions[j], accs[j]);
  }

  void finish(size_t p, const kernel::Reduction& red, const Accumulation& a) {
    const DType vt = k_.phases[p].body.at(red.value).type;
    const std::string part = fmt::format("kiln_p{}", red.acc);
    if (!serial_) {
      if (is_arg(red.reduce_op))
        line(3, "kiln_block_arg_reduce(kiln_p{0}, kiln_i{0}, kiln_s{0}, kiln_si{0}, kiln_beats{0});", red.acc);
      else
        line(3, "kiln_p{0} = kiln_block_reduce(kiln_p{0}, ({1}){2}, kiln_s{0}, []({1} x, {1} y) {{ return ({1})({3}); }});",
             red.acc, a.type, a.identity, a.combine);
    }
    std::string value;
    switch (red.reduce_op) {
      case Op::ReduceSum:
        // Rounded once to the dtype; an empty sum is +0.0 (the partials started from -0.0).
        value = is_float(vt) ? fmt::format("n{} == 0 ? {} : {}", p, detail::constant(vt, Scalar::of_float(0.0)),
                                           detail::round_float(part, true, vt))
                             : part;
        break;
      case Op::ReduceProd: value = is_float(vt) ? detail::round_float(part, true, vt) : part; break;
      case Op::ReduceMax:
      case Op::ReduceMin: value = part; break;
      case Op::ReduceAny:
      case Op::ReduceAll: value = part + " != 0"; break;
      case Op::ArgMax:
      case Op::ArgMin: value = fmt::format("kiln_i{0} < 0 ? 0ll : kiln_i{0}", red.acc); break;
      default: KILN_CHECK(false) << "CUDA codegen: not a reduction: " << op_name(red.reduce_op);
    }
    line(3, "acc{} = {};", red.acc, value);
  }

  void body(size_t p, int indent) {
    const kernel::Phase& phase = k_.phases[p];
    for (size_t i = 0; i < phase.body.size(); ++i) {
      const kernel::Inst& in = phase.body[i];
      auto arg = [&](size_t a) {
        KILN_CHECK(a < in.args.size()) << "CUDA codegen: missing operand " << a << " of %" << i;
        return fmt::format("v{}_{}", p, in.args[a]);
      };
      std::string e;
      switch (in.kind) {
        case kernel::Inst::Kind::Op: {
          std::vector<std::string> args;
          for (size_t a = 0; a < in.args.size(); ++a) args.push_back(arg(a));
          const int32_t data = in.op == Op::Where ? in.args.at(1) : in.args.at(0);
          e = detail::op_expr(in.op, phase.body[data].type, in.type, args);
          break;
        }
        case kernel::Inst::Kind::OuterIndex: e = "o"; break;
        case kernel::Inst::Kind::InnerIndex: e = "r"; break;
        case kernel::Inst::Kind::Dim: e = fmt::format("d{}", in.imm); break;
        case kernel::Inst::Kind::Param: e = detail::from_param_bits(fmt::format("p{}", in.imm), in.type); break;
        case kernel::Inst::Kind::Const: e = detail::constant(in.type, in.value); break;
        case kernel::Inst::Kind::Load:
          KILN_CHECK(k_.buffers.at(in.imm).dtype == in.type) << "CUDA codegen: load of the wrong dtype";
          e = detail::from_memory(fmt::format("b{}[{}]", in.imm, arg(0)), in.type);
          break;
        case kernel::Inst::Kind::Acc: e = fmt::format("acc{}", in.imm); break;
        case kernel::Inst::Kind::IDiv: e = fmt::format("kiln_idiv({}, {})", arg(0), arg(1)); break;
        case kernel::Inst::Kind::IMod: e = fmt::format("kiln_imod({}, {})", arg(0), arg(1)); break;
      }
      line(indent, "const {} v{}_{} = {};", reg_type(in.type), p, i, e);
    }
  }

  void stores(size_t p, int indent) {
    const kernel::Phase& phase = k_.phases[p];
    for (const kernel::Store& st : phase.stores) {
      const DType t = k_.buffers.at(st.buffer).dtype;
      KILN_CHECK(phase.body.at(st.value).type == t) << "CUDA codegen: store of the wrong dtype";
      line(indent, "b{}[v{}_{}] = {};", st.buffer, p, st.index, detail::to_memory(fmt::format("v{}_{}", p, st.value), t));
    }
  }

  const kernel::Kernel& k_;
  std::string symbol_;
  bool serial_ = false;
  int block_ = 1;
  int num_words_ = 0;
  bool by_value_ = true;
  int shared_bytes_ = 0;
  std::string code_;
};

}  // namespace

CudaKernel generate_cuda(const kernel::Kernel& k, const std::string& symbol, const CudaOptions& options) {
  kernel::check_kernel(k);
  return KernelWriter(k, symbol, options).run();
}

std::string cuda_source(const kernel::Kernel& k, const std::string& symbol, const CudaOptions& options) {
  return std::string(cuda_prelude()) + "\n" + generate_cuda(k, symbol, options).code;
}

std::vector<uint64_t> launch_words(const kernel::Kernel& k, void* const* buffers, const int64_t* dims,
                                   const uint64_t* params, int64_t begin, int64_t end) {
  std::vector<uint64_t> w;
  w.reserve(k.buffers.size() + k.params.size() + static_cast<size_t>(k.num_dims) + 2);
  for (size_t i = 0; i < k.buffers.size(); ++i) w.push_back(reinterpret_cast<uintptr_t>(buffers[i]));
  for (int32_t i = 0; i < k.num_dims; ++i) w.push_back(static_cast<uint64_t>(dims[i]));
  for (size_t i = 0; i < k.params.size(); ++i) w.push_back(params[i]);
  w.push_back(static_cast<uint64_t>(begin));
  w.push_back(static_cast<uint64_t>(end));
  return w;
}

int64_t grid_blocks(const CudaKernel& kernel, int64_t begin, int64_t end, int64_t max_blocks) {
  KILN_CHECK(max_blocks >= 1) << "CUDA launch: max_blocks " << max_blocks;
  if (end <= begin) return 0;
  const int64_t n = end - begin;
  switch (kernel.kind) {
    case kernel::KernelKind::Elementwise: return std::min(max_blocks, (n + kernel.block - 1) / kernel.block);
    case kernel::KernelKind::Rows: return std::min(max_blocks, n);
    case kernel::KernelKind::Serial: return std::min(max_blocks, (n + kernel.block - 1) / kernel.block);
  }
  return 0;
}

}  // namespace kiln::cuda
