// The LLVM CPU backend's interface: kernel IR -> LLVM IR -> optimised object code for the
// host -> code loaded into a process-wide ORC LLJIT. No LLVM header is included here; only
// the .cpp files of compiler/llvm/ see LLVM.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/kernel/kernel.hpp"
#include "compiler/kernel/program.hpp"

namespace kiln::llvm_backend {

struct CompileOptions {
  int opt_level = 3;       // 0..3, LLVM's new pass manager pipeline of that level
  std::string cpu;         // "": the host CPU and its features; else an LLVM CPU name (x86-64-v3)
  bool vector_math = true; // let loops call glibc's libmvec (when the process has it)
};

// A kernel compiled to a relocatable ELF object for the host, defining `symbol` with the
// launch ABI of kernel.hpp.
struct ObjectCode {
  std::string symbol;
  std::vector<char> bytes;
  double compile_ms = 0;  // wall time of lowering + optimising + emitting
};

// What compiled code depends on, for cache keys: LLVM version, host triple, CPU name, its
// enabled features, libmvec and the backend's codegen version, e.g.
// "llvm-19.1.7;x86_64-pc-linux-gnu;skylake-avx512;+avx2,+fma,...;libmvec;codegen-2".
const std::string& target_id();

// Whether LLVM knows `cpu` as a CPU name for the host's architecture.
bool known_cpu(const std::string& cpu);

// Compiles `k` for the host CPU. Thread-safe. A failure inside LLVM is a RuntimeError.
ObjectCode compile_kernel(const kernel::Kernel& k, const std::string& symbol, const CompileOptions& options = {});

// The LLVM IR of `k` as text, before or after optimisation (for dumps and tests).
std::string kernel_llvm_ir(const kernel::Kernel& k, const std::string& symbol, bool optimized,
                           const CompileOptions& options = {});

// What compile_programs produces.
enum class ProgramOutput { Object, Assembly, LlvmIr };

// The programs as one relocatable, position-independent ELF object (or its assembly, or its
// optimised LLVM IR): each program's kernels as internal functions and its entry points with
// the C interface of compiler/kernel/program.cpp. Throws ValueError for an unknown CPU.
std::string compile_programs(const std::vector<kernel::Program>& programs, ProgramOutput output,
                             const CompileOptions& options = {});

// Code loaded into the JIT. `handle` frees it again.
struct LoadedKernel {
  kernel::KernelFn fn = nullptr;
  uint64_t handle = 0;
};

// Loads an object produced by compile_kernel into the process-wide JIT (created on first
// use; it resolves libm/libmvec symbols from the process). Thread-safe. A corrupt object or
// a missing symbol is a RuntimeError, never a crash.
LoadedKernel load_kernel(const ObjectCode& object);
// Frees the code of a loaded kernel (its ORC ResourceTracker). Thread-safe.
void unload_kernel(uint64_t handle);

}  // namespace kiln::llvm_backend
