// What the LLVM backend knows about the host: LLVM's version and the host CPU with its
// features. This header has no LLVM includes; only target_info.cpp sees LLVM.
#pragma once

#include <string>

namespace kiln::llvm_backend {

std::string llvm_version();
// The host CPU name as LLVM calls it (e.g. "skylake-avx512") and its feature string
// ("+avx2,+avx512f,...", only the enabled features, sorted).
std::string host_cpu_name();
std::string host_cpu_features();

}  // namespace kiln::llvm_backend
