// Private to compiler/llvm: the host target as the LLVM backend compiles for it. LLVM's
// native target is initialised once (no signal handlers, no command-line parsing, no change
// to the FP environment); glibc's libmvec is loaded into the process at the same moment, so
// the compiler's decision to call vector math and the JIT's ability to resolve it agree.
#pragma once

#include <llvm/Analysis/TargetLibraryInfo.h>
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

// A TargetMachine for the host at `opt_level` (0..3): position independent, small code
// model, default (strict) floating-point options. One per compile: not shared across threads.
std::unique_ptr<llvm::TargetMachine> make_target_machine(int opt_level);

// The library info for the optimiser and code generator: the host's libm plus the libmvec
// mappings of HostTarget::vector_math.
std::unique_ptr<llvm::TargetLibraryInfoImpl> make_library_info();

}  // namespace kiln::llvm_backend::detail
