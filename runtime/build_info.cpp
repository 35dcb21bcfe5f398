// Build and host facts, gathered from the backends that were built in.
#include "runtime/build_info.hpp"

#include <fmt/format.h>

#include "runtime/evaluate.hpp"

#ifdef KILN_HAVE_LLVM
#include "compiler/llvm/target_info.hpp"
#endif

namespace kiln {

BuildInfo build_info() {
  BuildInfo b;
  b.kiln_version = KILN_VERSION;
#ifdef KILN_HAVE_LLVM
  b.llvm = true;
  b.llvm_version = llvm_backend::llvm_version();
  b.host_cpu = llvm_backend::host_cpu_name();
  b.host_features = llvm_backend::host_cpu_features();
#endif
#ifdef KILN_HAVE_CUDA_TOOLKIT
  b.cuda_toolkit = true;
#endif
  b.backend = backend_name();
  return b;
}

std::string build_info_text() {
  BuildInfo b = build_info();
  std::string s = fmt::format("kiln: {}\n", b.kiln_version);
  s += b.llvm ? fmt::format("llvm: {}\nhost cpu: {}\nhost features: {}\n", b.llvm_version, b.host_cpu, b.host_features)
              : std::string("llvm: not built (KILN_LLVM=OFF)\n");
  s += fmt::format("cuda toolkit at build time: {}\n", b.cuda_toolkit ? "found" : "not found");
  s += fmt::format("backend: {}\n", b.backend);
  return s;
}

}  // namespace kiln
