// Private to compiler/llvm: the host target as the LLVM backend compiles for it. LLVM's
// native target is initialised once (no signal handlers, no command-line parsing, no change
// to the FP environment); glibc's libmvec is loaded into the process at the same moment, so
// the compiler's decision to call vector math and the JIT's ability to resolve it agree.
#pragma once

#include <llvm/Analysis/TargetLibraryInfo.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include <memory>
#include <string>
#include <vector>

namespace kiln::llvm_backend::detail {

struct HostTarget {
  std::string triple;            // normalised process triple, e.g. x86_64-pc-linux-gnu
  std::string cpu;               // sys::getHostCPUName()
  std::string features;          // every host feature as +f / -f (for the TargetMachine)
  std::string enabled_features;  // only the enabled ones, sorted (for target_id)
  bool libmvec = false;          // libmvec.so.1 is loaded (RTLD_GLOBAL) into this process
  const llvm::Target* target = nullptr;
  // Scalar -> vector function mappings for the loop vectoriser (only variants whose symbol
  // the process resolves and whose ISA the host has). Empty without libmvec.
  std::vector<llvm::VecDesc> vector_math;
};

// Initialises LLVM's native target and loads libmvec on first use. Thread-safe.
const HostTarget& host_target();

// A TargetMachine for the host triple at `opt_level` (0..3): position independent, small code
// model, default (strict) floating-point options. One per compile: not shared across threads.
// `cpu` empty: the host CPU with its features; else an LLVM CPU name with that CPU's own
// features (ValueError for a name LLVM does not know).
std::unique_ptr<llvm::TargetMachine> make_target_machine(int opt_level, const std::string& cpu = "");

// The library info for the optimiser and code generator: the host's libm plus, with
// `vector_math`, the libmvec mappings of HostTarget::vector_math whose ISA `tm` has.
std::unique_ptr<llvm::TargetLibraryInfoImpl> make_library_info(const llvm::TargetMachine& tm, bool vector_math);

// The new pass manager's default pipeline of `level` (0..3) on `m`.
void optimize_module(llvm::Module& m, llvm::TargetMachine& tm, int level, bool vector_math);
// `m` as an object file or assembly text.
std::vector<char> emit_module(llvm::Module& m, llvm::TargetMachine& tm, llvm::CodeGenFileType type, bool vector_math);

}  // namespace kiln::llvm_backend::detail
