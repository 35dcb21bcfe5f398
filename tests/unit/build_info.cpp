// build_info reports what the library was built with and the host as LLVM sees it.
#include <doctest/doctest.h>
#include <kiln/kiln.hpp>

#include <algorithm>

TEST_CASE("build_info names the version, LLVM 19 and the host CPU") {
  kiln::BuildInfo b = kiln::build_info();
  CHECK(std::count(b.kiln_version.begin(), b.kiln_version.end(), '.') == 2);
  CHECK(b.backend == kiln::backend_name());
  if (b.llvm) {
    CHECK(b.llvm_version.rfind("19.", 0) == 0);
    CHECK_FALSE(b.host_cpu.empty());
#if defined(__x86_64__)
    CHECK(b.host_features.find("+sse2") != std::string::npos);  // every x86-64 CPU has it
#endif
  } else {
    MESSAGE("built with KILN_LLVM=OFF: no LLVM facts to check");
    CHECK(b.llvm_version.empty());
  }
  std::string text = kiln::build_info_text();
  CHECK(text.find("kiln: " + b.kiln_version + "\n") == 0);
  CHECK(text.find("backend: " + b.backend + "\n") != std::string::npos);
}
