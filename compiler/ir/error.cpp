// The abort path of KILN_CHECK.
#include "compiler/ir/error.hpp"

#include <cstdio>
#include <cstdlib>

namespace kiln::detail {

CheckFailure::CheckFailure(const char* cond, const char* file, int line) {
  out_ << file << ":" << line << ": internal error: check failed: " << cond << ": ";
}

CheckFailure::~CheckFailure() {
  std::string s = out_.str();
  std::fprintf(stderr, "%s\n", s.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace kiln::detail
