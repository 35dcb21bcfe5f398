// An ahead-of-time program: the kernels of one function with everything that launches them,
// for code that runs outside kiln (kilnc's object files and C headers).
//
// kiln's runtime launches a schedule itself (runtime/executor.hpp); a Program writes down
// what that launch does so that a code generator can emit it as plain functions: which
// buffers each step binds (the caller's arguments and results, or regions of a workspace
// the caller provides), its dims as expressions of the function's size arguments, and its
// scalar parameters, fixed when the program is made. Steps run in order; the chunks of one
// step may run in any order and on any threads.
//
// The C interface (what program_c_header declares) is described in program.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/kernel/kernel.hpp"

namespace kiln::kernel {

// A size known when the program runs: coeff times the product of the size arguments listed
// in `factors` (indices into Program::sizes; a repeated index is a power).
struct SizeExpr {
  int64_t coeff = 1;
  std::vector<int32_t> factors;
  bool operator==(const SizeExpr&) const = default;
};

// An argument or a result: its C name, dtype and shape.
struct ProgramValue {
  std::string name;
  DType dtype = DType::F32;
  std::vector<SizeExpr> shape;
};

// What a buffer parameter of a step binds: argument `index`, result `index`, or workspace
// region `index`.
struct Binding {
  enum class Kind : uint8_t { Arg, Result, Work };
  Kind kind = Kind::Arg;
  int32_t index = 0;
  bool operator==(const Binding&) const = default;
};

struct Step {
  enum class Kind : uint8_t { Kernel, Copy };
  Kind kind = Kind::Kernel;
  int32_t kernel = -1;            // Kernel: index into Program::kernels
  std::vector<Binding> buffers;   // Kernel: its buffer parameters; Copy: {destination, source}
  std::vector<SizeExpr> dims;     // Kernel: its launch dims
  std::vector<uint64_t> params;   // Kernel: its launch parameters (kernel.hpp's param bits)
  SizeExpr bytes;                 // Copy: how many bytes
};

struct Program {
  std::string name;                  // C identifier; prefixes every entry point
  std::vector<std::string> sizes;    // size arguments (int64_t), in order
  std::vector<ProgramValue> args, results;
  std::vector<Kernel> kernels;       // distinct kernels, each compiled once
  std::vector<Step> steps;
  std::vector<SizeExpr> work;        // bytes of each workspace region
};

// Workspace regions start at multiples of this many bytes from the workspace's start.
inline constexpr int64_t kWorkAlign = 64;

// The C type that holds one element of `t` (uint8_t for bool, uint16_t for f16/bf16).
const char* c_element_type(DType t);

// Checks that bindings, kernels and size factors are in range and that each step binds
// buffers of its kernel's dtypes; a failure is a kiln bug (KILN_CHECK).
void check_program(const Program& p);

// The C header declaring the entry points of `programs` (one object), with comments; see
// program.cpp. `guard` is the include guard macro; `libmvec`: the object calls glibc's vector
// math (the header says to link -lmvec).
std::string program_c_header(const std::vector<Program>& programs, const std::string& guard, bool libmvec);

// A readable listing of `p`: its signature, each step (kernel symbol, bindings, dims as
// size expressions, parameter bits) and the kernel IR of each kernel.
std::string print_program(const Program& p);

// `expr` in C, over the size names (`3*n*m`).
std::string size_expr_c(const SizeExpr& expr, const std::vector<std::string>& sizes);

}  // namespace kiln::kernel
