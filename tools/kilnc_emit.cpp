// kilnc's compile mode: the text read at the sizes asked for (--size, or probes for the
// sizes left symbolic), then one of the output kinds. Graph outputs (ir, opt) come back
// symbolic through symbolic_text; machine outputs (kernels, llvm, asm, obj, header) go
// through aot_programs, whose programs take the symbolic sizes as arguments.
#include <cctype>
#include <set>

#include "compiler/ir/parser.hpp"
#include "compiler/ir/printer.hpp"
#include "compiler/ir/verifier.hpp"
#include "compiler/cuda/cuda_source.hpp"
#include "compiler/cuda/nvrtc.hpp"
#include "passes/aot.hpp"
#include "passes/autodiff.hpp"
#include "passes/pass_manager.hpp"
#include "passes/schedule.hpp"
#include "runtime/dot.hpp"
#include "tools/kilnc.hpp"
#ifdef KILN_HAVE_LLVM
#include "compiler/llvm/cpu_compiler.hpp"
#endif

namespace kilnc {
namespace {

using kiln::Module;
using kiln::SizeValues;

using Instance = std::function<Module(const SizeValues&)>;

// --grad: the gradient of each function with one scalar float result, after the functions.
void add_gradients(Module& m, const std::vector<std::string>& wrt) {
  const size_t n = m.functions.size();
  for (size_t i = 0; i < n; ++i) {
    const kiln::Function& f = m.functions[i];
    if (f.results.size() == 1 && kiln::is_float(f.results[0]->dtype()) && f.results[0]->numel() == 1)
      m.functions.push_back(kiln::grad_function(f, wrt));
  }
  if (m.functions.size() == n) throw kiln::ValueError("--grad: no function has one scalar float result");
}

Instance instance_of(const Options& o, const std::string& text, bool optimized) {
  return [&o, &text, optimized](const SizeValues& probe) {
    SizeValues values = o.sizes;
    values.insert(probe.begin(), probe.end());
    Module m = kiln::parse_with_sizes(text, o.input, values);
    kiln::verify(m);
    if (!o.grad.empty()) {
      add_gradients(m, o.grad);
      kiln::verify(m);
    }
    if (optimized)
      for (kiln::Function& f : m.functions) f = kiln::optimize(f);
    return m;
  };
}

// The include guard of a header written to `path` (or named after the first function).
std::string guard_of(const std::string& path, const std::vector<kiln::kernel::Program>& programs) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  if (base.empty()) base = "kiln_" + (programs.empty() ? std::string("programs") : programs[0].name) + ".h";
  std::string g;
  for (char c : base) g += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  if (std::isdigit(static_cast<unsigned char>(g[0]))) g = "KILN_" + g;
  return g;
}

std::string dot(const Instance& instance, const std::vector<std::string>& names) {
  if (!names.empty())
    throw kiln::ValueError("--emit=dot draws one size: bind every size with --size (unbound: " + names[0] + ")");
  std::string out;
  for (const kiln::Function& f : instance({}).functions) {
    kiln::Schedule s = kiln::schedule(f);
    out += kiln::graph_dot(f, &s);
  }
  return out;
}

// The CUDA C of the JIT's kernels for every function (kernels take their sizes at launch,
// so probe sizes stand in for the unbound ones): kiln's prelude, then each distinct kernel;
// a GEMM launch is the tiled matmul kernel.
std::string cuda_code(const Instance& instance, const std::vector<std::string>& names) {
  std::string out(kiln::cuda::cuda_prelude());
  std::set<std::string> emitted;
  for (const kiln::Function& f : instance(kiln::probe_values(0, names)).functions) {
    kiln::Schedule s = kiln::schedule(f);
    out += "\n// function @" + f.name + ": " + std::to_string(s.launches.size()) + " launches\n";
    for (const kiln::LaunchPlan& lp : s.launches) {
      if (lp.builtin == kiln::Builtin::Gemm) {
        const bool f64 = !lp.kernel.buffers.empty() && lp.kernel.buffers[0].dtype == kiln::DType::F64;
        const std::string symbol = kiln::cuda::gemm_symbol(f64);
        if (emitted.insert(symbol).second) out += kiln::cuda::gemm_kernel_code(f64, symbol);
        continue;
      }
      const std::string symbol = kiln::kernel::kernel_symbol(lp.kernel);
      if (emitted.insert(symbol).second) out += kiln::cuda::generate_cuda(lp.kernel, symbol).code;
    }
  }
  return out;
}

// The GPU architecture of --target=sm_XX (default sm_90).
int gpu_arch(const Options& o) {
  if (o.cpu.empty()) return 90;
  if (o.cpu.rfind("sm_", 0) != 0 || o.cpu.size() < 5 || o.cpu.find_first_not_of("0123456789", 3) != std::string::npos)
    throw kiln::ValueError("--emit=" + o.emit + " needs a GPU architecture as --target (sm_80, sm_90, ...), not '" +
                           o.cpu + "'");
  return std::stoi(o.cpu.substr(3));
}

std::string machine_code(const Options& o, const std::vector<kiln::kernel::Program>& programs) {
#ifdef KILN_HAVE_LLVM
  using kiln::llvm_backend::ProgramOutput;
  const ProgramOutput kind = o.emit == "llvm" ? ProgramOutput::LlvmIr
                             : o.emit == "asm" ? ProgramOutput::Assembly
                                               : ProgramOutput::Object;
  return kiln::llvm_backend::compile_programs(programs, kind, {o.opt_level, o.cpu, o.vector_math});
#else
  (void)programs;
  throw kiln::RuntimeError("--emit=" + o.emit + ": not built: the LLVM backend is not part of this build");
#endif
}

}  // namespace

std::string emit(const Options& o, const std::string& text) {
  std::vector<std::string> names;
  for (const std::string& n : kiln::size_names(text, o.input))
    if (!o.sizes.count(n)) names.push_back(n);
  for (const auto& [n, v] : o.sizes) {
    const std::vector<std::string> all = kiln::size_names(text, o.input);
    if (std::find(all.begin(), all.end(), n) == all.end())
      throw kiln::ValueError("--size=" + n + "=" + std::to_string(v) + ": the text has no size named " + n);
  }
  const kiln::PrintOptions print{.locations = o.locations};
  if (o.emit == "ir") return kiln::symbolic_text(instance_of(o, text, false), names, print);
  if (o.emit == "opt") return kiln::symbolic_text(instance_of(o, text, true), names, print);
  if (o.emit == "dot") return dot(instance_of(o, text, true), names);
  if (o.emit == "cuda" || o.emit == "ptx") {
    const int arch = gpu_arch(o);
    std::string code = cuda_code(instance_of(o, text, true), names);
    if (o.emit == "cuda") return code;
    return kiln::cuda::nvrtc_compile(code, o.input, arch, false).ptx;
  }
  if (o.cpu.rfind("sm_", 0) == 0)
    throw kiln::ValueError("--target=" + o.cpu + " is a GPU architecture: it goes with --emit=cuda or --emit=ptx");
  std::vector<kiln::kernel::Program> programs = kiln::aot_programs(instance_of(o, text, false), names);
  if (o.emit == "kernels") {
    std::string out;
    for (const kiln::kernel::Program& p : programs) out += (out.empty() ? "" : "\n") + kiln::kernel::print_program(p);
    return out;
  }
  if (o.emit == "header") return kiln::kernel::program_c_header(programs, guard_of(o.output, programs), o.vector_math);
  return machine_code(o, programs);
}

}  // namespace kilnc
