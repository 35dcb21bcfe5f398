// NVRTC, the CUDA run-time compiler, loaded with dlopen on first use (never linked: kiln
// builds and runs without the CUDA toolkit). The library is KILN_LIBNVRTC when set (that
// path only), else the first of libnvrtc.so, libnvrtc.so.13, libnvrtc.so.12 in the loader's
// search path, then under /usr/local/cuda/lib64. Only the few functions kiln calls are
// declared here (their C signatures from nvrtc.h).
#pragma once

#include <string>
#include <vector>

#include "compiler/ir/error.hpp"

namespace kiln::cuda {

// NVRTC rejected a translation unit (the message holds its log).
class NvrtcError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

struct NvrtcVersion {
  int major = 0, minor = 0;
};

// Whether NVRTC can be loaded; when not, `why` (if given) says what was tried.
bool nvrtc_available(std::string* why = nullptr);
// The loaded library's version (part of a compiled kernel's cache key); throws RuntimeError
// when NVRTC cannot be loaded.
NvrtcVersion nvrtc_version();
// The path or name the library was loaded from.
std::string nvrtc_library();

struct NvrtcOutput {
  std::string ptx;          // always
  std::vector<char> cubin;  // when asked for and NVRTC produced it
  std::string log;          // NVRTC's messages (warnings on success)
};

// The options kiln compiles with for sm_<arch> (e.g. 90): the architecture, C++17, and no
// fast math and no FMA contraction, so that every op rounds once as on the CPU. With `cubin`
// the target is the real architecture (machine code and PTX), else the virtual one (PTX).
std::vector<std::string> nvrtc_options(int arch, bool cubin);

// Compiles a CUDA C translation unit for sm_<arch>. A compile error throws NvrtcError whose
// message holds `name`, the architecture and NVRTC's log; a missing NVRTC throws
// RuntimeError.
NvrtcOutput nvrtc_compile(const std::string& source, const std::string& name, int arch, bool cubin);

}  // namespace kiln::cuda
