// What this kiln library was built with and what it found on the host: kiln's version, the
// LLVM version and the host CPU as LLVM sees it (when the LLVM backend is built), whether the
// CUDA toolkit was found at build time, and the evaluation backend in use.
#pragma once

#include <string>

namespace kiln {

struct BuildInfo {
  std::string kiln_version;
  bool llvm = false;         // LLVM backend parts built in
  std::string llvm_version;  // empty without LLVM
  std::string host_cpu;      // LLVM's name of the host CPU, empty without LLVM
  std::string host_features; // enabled features, "+avx2,+fma,...", empty without LLVM
  bool cuda_toolkit = false; // CUDA toolkit found when kiln was built
  std::string backend;       // the evaluation backend (KILN_BACKEND)
};

BuildInfo build_info();
// One line per fact, "name: value".
std::string build_info_text();

}  // namespace kiln
