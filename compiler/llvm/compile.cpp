// compile_kernel, kernel_llvm_ir and target_id: lower a kernel (lower.cpp), optimise it with
// the new pass manager's default pipeline for the host, and emit a relocatable PIC ELF object.
//
// Each compile has its own LLVMContext and TargetMachine, so compiles on different threads
// share nothing but the (immutable) host description of host.cpp.
#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/raw_ostream.h>

#include <chrono>

#include "compiler/ir/error.hpp"
#include "compiler/llvm/cpu_compiler.hpp"
#include "compiler/llvm/host.hpp"
#include "compiler/llvm/lower.hpp"
#include "compiler/llvm/target_info.hpp"

namespace kiln::llvm_backend {
namespace {

using detail::host_target;

// The version of the code this backend generates for a given kernel, part of target_id and so
// of the disk cache's key: bump it whenever lowering or optimisation changes the code (or its
// results), so that no process loads objects compiled by an older backend. 2: Reduce phases
// accumulate straight into vector lanes.
constexpr int kCodegenVersion = 4;

int clamp_level(int level) { return level < 0 ? 0 : level > 3 ? 3 : level; }

std::unique_ptr<llvm::Module> lower_checked(const kernel::Kernel& k, const std::string& symbol, llvm::LLVMContext& ctx,
                                            const llvm::TargetMachine& tm) {
  std::unique_ptr<llvm::Module> m = detail::lower_kernel(k, symbol, ctx, tm);
  std::string problems;
  llvm::raw_string_ostream os(problems);
  KILN_CHECK(!llvm::verifyModule(*m, &os)) << "LLVM backend: invalid IR for kernel " << symbol << ": " << problems;
  return m;
}

}  // namespace

void detail::optimize_module(llvm::Module& m, llvm::TargetMachine& tm, int level, bool vector_math) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = level >= 2;
  tuning.SLPVectorization = level >= 2;
  tuning.LoopUnrolling = level >= 2;
  llvm::PassBuilder pb(&tm, tuning);
  std::unique_ptr<llvm::TargetLibraryInfoImpl> tli = detail::make_library_info(tm, vector_math);
  fam.registerPass([&] { return llvm::TargetLibraryAnalysis(*tli); });  // before the defaults
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  static const llvm::OptimizationLevel kLevels[] = {llvm::OptimizationLevel::O0, llvm::OptimizationLevel::O1,
                                                    llvm::OptimizationLevel::O2, llvm::OptimizationLevel::O3};
  llvm::ModulePassManager mpm =
      level == 0 ? pb.buildO0DefaultPipeline(kLevels[0]) : pb.buildPerModuleDefaultPipeline(kLevels[level]);
  mpm.run(m, mam);
}

std::vector<char> detail::emit_module(llvm::Module& m, llvm::TargetMachine& tm, llvm::CodeGenFileType type,
                                      bool vector_math) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  std::unique_ptr<llvm::TargetLibraryInfoImpl> tli = detail::make_library_info(tm, vector_math);
  pm.add(new llvm::TargetLibraryInfoWrapperPass(*tli));
  if (tm.addPassesToEmitFile(pm, os, nullptr, type))
    throw RuntimeError("LLVM backend: the target machine cannot emit code for " + m.getName().str());
  pm.run(m);
  return std::vector<char>(buffer.begin(), buffer.end());
}

const std::string& target_id() {
  static const std::string id = [] {
    const detail::HostTarget& h = host_target();
    return "llvm-" + llvm_version() + ";" + h.triple + ";" + h.cpu + ";" + h.enabled_features + ";" +
           (h.libmvec ? "libmvec" : "no-libmvec") + ";codegen-" + std::to_string(kCodegenVersion);
  }();
  return id;
}

bool known_cpu(const std::string& cpu) {
  try {
    detail::make_target_machine(0, cpu);
    return true;
  } catch (const ValueError&) {
    return false;
  }
}

ObjectCode compile_kernel(const kernel::Kernel& k, const std::string& symbol, const CompileOptions& options) {
  auto start = std::chrono::steady_clock::now();
  const int level = clamp_level(options.opt_level);
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::TargetMachine> tm = detail::make_target_machine(level, options.cpu);
  std::unique_ptr<llvm::Module> m = lower_checked(k, symbol, ctx, *tm);
  detail::optimize_module(*m, *tm, level, options.vector_math);
  ObjectCode out;
  out.symbol = symbol;
  out.bytes = detail::emit_module(*m, *tm, llvm::CodeGenFileType::ObjectFile, options.vector_math);
  out.compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::string kernel_llvm_ir(const kernel::Kernel& k, const std::string& symbol, bool optimized,
                           const CompileOptions& options) {
  const int level = clamp_level(options.opt_level);
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::TargetMachine> tm = detail::make_target_machine(level, options.cpu);
  std::unique_ptr<llvm::Module> m = lower_checked(k, symbol, ctx, *tm);
  if (optimized) detail::optimize_module(*m, *tm, level, options.vector_math);
  std::string text;
  llvm::raw_string_ostream os(text);
  m->print(os, nullptr);
  return text;
}

}  // namespace kiln::llvm_backend
