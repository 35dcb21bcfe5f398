// Compiling generated CUDA C for the host, for the CUDA emulation (a test vehicle, see
// kiln_cuda_emulation.h): the system C++ compiler turns a translation unit into a shared
// object that is loaded with dlopen and bound to the block runner.
//
// The compiler is KILN_CXX when set, else `g++` (then `c++`) from PATH. Objects are cached by
// a hash of the source, the emulation header, the compiler and its flags in `cache_dir`
// (beside a copy of the source, compared on reuse); with no cache dir they are built in a
// private temporary directory that is removed once the object is loaded.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "compiler/cuda/emulation/block_runner.hpp"

namespace kiln::cuda {

// The text of kiln_cuda_emulation.h (embedded in the library at build time).
std::string_view emulation_header();

// A loaded unit; its code stays loaded while this object lives.
class EmulatedModule {
 public:
  EmulatedModule(void* handle, std::string path) : handle_(handle), path_(std::move(path)) {}
  ~EmulatedModule();
  EmulatedModule(const EmulatedModule&) = delete;
  EmulatedModule& operator=(const EmulatedModule&) = delete;
  // The entry <symbol>_emu; a missing one is a kiln bug.
  EmulatedEntry entry(const std::string& symbol) const;

 private:
  void* handle_;
  std::string path_;
};

// The compiler command in use (KILN_CXX or the one found on PATH); throws RuntimeError when
// there is none.
std::string host_compiler();

// Compiles (or finds in `cache_dir`) a translation unit and loads it. A compile error throws
// RuntimeError with the compiler's output.
std::shared_ptr<EmulatedModule> compile_for_host(const std::string& source, const std::string& cache_dir);

}  // namespace kiln::cuda
