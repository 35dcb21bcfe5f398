// The disk cache with the real LLVM backend, across processes: a new process loads the
// kernels an earlier one compiled; damaged entries are rebuilt; processes sharing one cache
// directory at the same time all compute correct results.
#include <doctest/doctest.h>
#include <kiln/kiln.hpp>

#include <filesystem>
#include <fstream>

#include "compiler/ir/element.hpp"
#include "compiler/ir/interpreter.hpp"
#include "runtime_test_util.hpp"

using namespace kiln;
namespace fs = std::filesystem;

namespace {

// A program of `variant`'s structure: variants differ in structure, so each compiles its own
// kernels. Returns the value computed by kiln and by the reference interpreter.
std::pair<double, double> program(int variant) {
  Array x = random_uniform({1000 + variant}, 7);
  Array y = sin(x) * cos(x) + exp(-x * x) * 0.5f + sqrt(abs(x));
  for (int i = 0; i < variant % 7; ++i) y = tanh(y) + x * static_cast<float>(i);
  Array r = sum(y * y, 0) + max(y);
  std::vector<BufferPtr> want = interpret(function_of({r.node()}));
  double oracle = load_as_double(want[0]->data(), r.dtype(), 0);
  return {r.item<double>(), oracle};
}

int child_main(const std::string& mode) {
  int programs = mode == "many" ? 50 : 1;
  for (int v = 0; v < programs; ++v) {
    auto [got, want] = program(v);
    if (std::abs(got - want) > 1e-5 * std::abs(want)) {
      std::printf("wrong result for variant %d: %.9g vs %.9g\n", v, got, want);
      return 1;
    }
  }
  Stats s = stats();
  std::printf("compiled=%lld disk_hits=%lld\n", static_cast<long long>(s.kernels_compiled),
              static_cast<long long>(s.disk_hits));
  return 0;
}

const int kChild = [] {
  if (const char* mode = test::child_mode()) std::exit(child_main(mode));
  return 0;
}();

int count_entries(const std::string& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".kobj";
  return n;
}

}  // namespace

TEST_CASE("a new process loads the kernels an earlier process compiled, from disk") {
  if (backend_name() != "llvm") {
    MESSAGE("the llvm backend is not built or not selected: nothing to cache");
    return;
  }
  test::TempDir dir;
  std::vector<std::string> env = {"KILN_CACHE_DIR=" + dir.path(), "KILN_BACKEND=llvm"};
  test::ChildResult first = test::run_self("one", env);
  INFO(first.output);
  REQUIRE(first.status == 0);
  CHECK(first.output.find("disk_hits=0") != std::string::npos);
  CHECK(first.output.find("compiled=0 ") == std::string::npos);
  CHECK(count_entries(dir.path()) >= 1);
  test::ChildResult second = test::run_self("one", env);
  INFO(second.output);
  REQUIRE(second.status == 0);
  CHECK(second.output.find("compiled=0 ") != std::string::npos);
  CHECK(second.output.find("disk_hits=0") == std::string::npos);

  // Damage every entry: truncated, bit-flipped, emptied. Each is rebuilt, never loaded.
  int k = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    if (e.path().extension() != ".kobj") continue;
    auto size = fs::file_size(e.path());
    if (k % 3 == 0) {
      fs::resize_file(e.path(), size / 2);
    } else if (k % 3 == 1) {
      std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(static_cast<std::streamoff>(size - 7));
      f.put('\x5a');
    } else {
      fs::resize_file(e.path(), 0);
    }
    ++k;
  }
  test::ChildResult third = test::run_self("one", env);
  INFO(third.output);
  REQUIRE(third.status == 0);
  CHECK(third.output.find("compiled=0 ") == std::string::npos);
  CHECK(third.output.find("disk_hits=0") != std::string::npos);
}

TEST_CASE("4 processes x 50 programs sharing one cache directory all compute correct results") {
  if (backend_name() != "llvm") {
    MESSAGE("the llvm backend is not built or not selected: nothing to cache");
    return;
  }
  test::TempDir dir;
  std::vector<std::string> env = {"KILN_CACHE_DIR=" + dir.path(), "KILN_BACKEND=llvm"};
  std::vector<test::Child> children;
  for (int i = 0; i < 4; ++i) children.push_back(test::start_self("many", env));
  for (const test::Child& c : children) {
    test::ChildResult r = test::finish(c);
    INFO(r.output);
    CHECK(r.status == 0);
  }
  // Nothing half-written is left behind: every file is a published entry.
  for (const auto& e : fs::directory_iterator(dir.path())) CHECK(e.path().extension() == ".kobj");
}
