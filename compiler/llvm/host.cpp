// The host target: one-time LLVM initialisation, host CPU facts, libmvec and its mappings.
//
// LLVM 19's built-in LIBMVEC_X86 table knows only sin/cos/tan/pow/exp/log and only up to
// AVX2 (`_ZGVdN8v_sinf`). glibc 2.35+ ships many more functions and AVX-512 variants
// (`_ZGVeN16v_tanhf`), so the table is built here instead: for every math function kiln calls
// and every x86 vector ISA the host has (b = SSE4, d = AVX2, e = AVX-512), the variant is
// offered to the vectoriser only when dlsym finds it in the process, so a kernel never refers
// to a symbol the JIT cannot resolve.
#include "compiler/llvm/host.hpp"

#include <dlfcn.h>
#include <llvm/ADT/StringMap.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>

#include <algorithm>
#include <deque>

#include "compiler/ir/error.hpp"
#include "compiler/llvm/target_info.hpp"

namespace kiln::llvm_backend::detail {
namespace {

// The math functions lowering calls (as intrinsics or libm calls) that libmvec may provide.
struct MathFn {
  const char* name;
  int arity;
  bool intrinsic;  // also reached as llvm.<name>.f32/.f64
};
constexpr MathFn kMathFns[] = {
    {"sin", 1, true},    {"cos", 1, true},   {"tan", 1, false},   {"asin", 1, false}, {"acos", 1, false},
    {"atan", 1, false},  {"sinh", 1, false}, {"cosh", 1, false},  {"tanh", 1, false}, {"exp", 1, true},
    {"exp2", 1, true},   {"expm1", 1, false}, {"log", 1, true},   {"log2", 1, true},  {"log1p", 1, false},
    {"erf", 1, false},   {"pow", 2, true},   {"atan2", 2, false},
};

struct VectorIsa {
  char letter;  // the x86 vector function ABI's ISA letter
  int bits;
  const char* feature;
};
constexpr VectorIsa kIsas[] = {{'b', 128, "sse4.1"}, {'d', 256, "avx2"}, {'e', 512, "avx512f"}};

// Strings the VecDescs point into; filled once, never freed.
std::deque<std::string>& vecdesc_strings() {
  static std::deque<std::string> s;
  return s;
}

std::vector<llvm::VecDesc> libmvec_mappings(const llvm::StringMap<bool>& features) {
  std::vector<llvm::VecDesc> out;
  auto keep = [](std::string s) -> llvm::StringRef { return vecdesc_strings().emplace_back(std::move(s)); };
  for (const MathFn& fn : kMathFns) {
    for (bool f32 : {true, false}) {
      for (const VectorIsa& isa : kIsas) {
        auto it = features.find(isa.feature);
        if (it == features.end() || !it->second) continue;
        const int lanes = isa.bits / (f32 ? 32 : 64);
        const std::string params(fn.arity, 'v');
        const std::string scalar = std::string(fn.name) + (f32 ? "f" : "");
        std::string vector = "_ZGV" + std::string(1, isa.letter) + "N" + std::to_string(lanes) + params + "_" + scalar;
        if (dlsym(RTLD_DEFAULT, vector.c_str()) == nullptr) continue;
        llvm::StringRef vec = keep(vector);
        llvm::StringRef abi = keep("_ZGV_LLVM_N" + std::to_string(lanes) + params);
        llvm::ElementCount vf = llvm::ElementCount::getFixed(lanes);
        out.emplace_back(keep(scalar), vec, vf, false, abi);
        if (fn.intrinsic)
          out.emplace_back(keep("llvm." + std::string(fn.name) + (f32 ? ".f32" : ".f64")), vec, vf, false, abi);
      }
    }
  }
  return out;
}

HostTarget make_host_target() {
  // Initialising the native target registers it; it installs no signal handlers and parses
  // no options (that is what InitLLVM / cl::ParseCommandLineOptions would do).
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::InitializeNativeTargetAsmParser();

  HostTarget h;
  h.triple = llvm::Triple::normalize(llvm::sys::getProcessTriple());
  h.cpu = llvm::sys::getHostCPUName().str();
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> all;
  for (const auto& f : features) all.push_back((f.second ? "+" : "-") + f.first().str());
  std::sort(all.begin(), all.end());
  for (const std::string& f : all) h.features += (h.features.empty() ? "" : ",") + f;
  h.enabled_features = host_cpu_features();

  std::string error;
  h.target = llvm::TargetRegistry::lookupTarget(h.triple, error);
  if (h.target == nullptr) throw RuntimeError("LLVM backend: no target for host triple " + h.triple + ": " + error);

  // glibc's vector math library. Without it (another libc, glibc < 2.22) kernels still run:
  // the vectoriser is simply not told about any vector math and math calls stay scalar libm.
  h.libmvec = dlopen("libmvec.so.1", RTLD_NOW | RTLD_GLOBAL) != nullptr;
  if (h.libmvec) h.vector_math = libmvec_mappings(features);
  return h;
}

}  // namespace

const HostTarget& host_target() {
  static const HostTarget host = make_host_target();  // thread-safe initialisation
  return host;
}

std::unique_ptr<llvm::TargetMachine> make_target_machine(int opt_level, const std::string& cpu) {
  const HostTarget& h = host_target();
  if (!cpu.empty()) {
    std::unique_ptr<llvm::MCSubtargetInfo> info(h.target->createMCSubtargetInfo(h.triple, cpu, ""));
    if (!info || !info->isCPUStringValid(cpu))
      throw ValueError("unknown CPU '" + cpu + "' for " + h.triple + " (LLVM names such as x86-64-v3, skylake-avx512)");
  }
  llvm::CodeGenOptLevel level = opt_level <= 0   ? llvm::CodeGenOptLevel::None
                                : opt_level == 1 ? llvm::CodeGenOptLevel::Less
                                : opt_level == 2 ? llvm::CodeGenOptLevel::Default
                                                 : llvm::CodeGenOptLevel::Aggressive;
  llvm::TargetOptions options;  // strict FP: no unsafe math, no FMA contraction across ops
  const std::string& name = cpu.empty() ? h.cpu : cpu;
  llvm::TargetMachine* tm = h.target->createTargetMachine(h.triple, name, cpu.empty() ? h.features : "", options,
                                                          llvm::Reloc::PIC_, llvm::CodeModel::Small, level);
  if (tm == nullptr) throw RuntimeError("LLVM backend: cannot create a target machine for " + h.triple + " " + name);
  return std::unique_ptr<llvm::TargetMachine>(tm);
}

std::unique_ptr<llvm::TargetLibraryInfoImpl> make_library_info(const llvm::TargetMachine& tm, bool vector_math) {
  const HostTarget& h = host_target();
  auto tli = std::make_unique<llvm::TargetLibraryInfoImpl>(llvm::Triple(h.triple));
  if (!vector_math || h.vector_math.empty()) return tli;
  // The ISA letter of a variant (`_ZGVeN16v_sinf`: e) says which feature it needs.
  const llvm::MCSubtargetInfo* sti = tm.getMCSubtargetInfo();
  std::vector<llvm::VecDesc> usable;
  for (const llvm::VecDesc& d : h.vector_math) {
    llvm::StringRef v = d.getVectorFnName();
    for (const VectorIsa& isa : kIsas)
      if (v.size() > 4 && v[4] == isa.letter && sti->checkFeatures(std::string("+") + isa.feature)) usable.push_back(d);
  }
  tli->addVectorizableFunctions(usable);
  return tli;
}

}  // namespace kiln::llvm_backend::detail
