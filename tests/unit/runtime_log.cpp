// KILN_LOG and the log sink: level names, the one-time warning for an unknown value, line
// format, whole lines from concurrent threads, and the strict size parser behind the
// runtime's numeric settings.
#include <doctest/doctest.h>

#include <sstream>
#include <thread>
#include <vector>

#include "runtime/log.hpp"
#include "runtime_test_util.hpp"

using namespace kiln;

namespace {

// Child mode: logs one line at each level and prints the level in effect.
int child_main() {
  log(LogLevel::Warn, "a warning");
  log(LogLevel::Info, "some info");
  log(LogLevel::Debug, "a detail");
  std::printf("level=%d\n", static_cast<int>(log_level()));
  return 0;
}

const int kChild = [] {
  if (test::child_mode()) std::exit(child_main());
  return 0;
}();

}  // namespace

TEST_CASE("KILN_LOG values are parsed case-insensitively") {
  CHECK(parse_log_level("off") == LogLevel::Off);
  CHECK(parse_log_level("WARN") == LogLevel::Warn);
  CHECK(parse_log_level("warning") == LogLevel::Warn);
  CHECK(parse_log_level("Info") == LogLevel::Info);
  CHECK(parse_log_level("DeBuG") == LogLevel::Debug);
  CHECK_FALSE(parse_log_level("verbose").has_value());
  CHECK_FALSE(parse_log_level("").has_value());
  CHECK_FALSE(parse_log_level("debug ").has_value());
}

TEST_CASE("KILN_LOG selects what is written, prefixed with the level") {
  auto debug = test::run_self("log", {"KILN_LOG=Debug"});
  CHECK(debug.status == 0);
  CHECK(debug.output == "kiln: warning: a warning\nkiln: info: some info\nkiln: debug: a detail\nlevel=3\n");

  auto off = test::run_self("log", {"KILN_LOG=off"});
  CHECK(off.output == "level=0\n");

  auto info = test::run_self("log", {"KILN_LOG=INFO"});
  CHECK(info.output == "kiln: warning: a warning\nkiln: info: some info\nlevel=2\n");
}

TEST_CASE("the default level is warn; an unknown KILN_LOG means warn with one warning naming it") {
  auto plain = test::run_self("log", {"KILN_LOG"});  // unset
  CHECK(plain.output == "kiln: warning: a warning\nlevel=1\n");

  auto bad = test::run_self("log", {"KILN_LOG=loud"});
  CHECK(bad.status == 0);
  CHECK(test::count_of(bad.output, "KILN_LOG='loud'") == 1);
  CHECK(test::count_of(bad.output, "kiln: warning: ") == 2);
  CHECK(test::count_of(bad.output, "level=1\n") == 1);
}

TEST_CASE("lines logged from many threads at once stay whole") {
  LogLevel before = log_level();
  set_log_level(LogLevel::Info);
  test::CaptureStderr capture;
  std::vector<std::thread> threads;
  std::string filler(300, 'x');
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) log(LogLevel::Info, "thread {} line {} {}", t, i, filler);
    });
  for (auto& t : threads) t.join();
  std::string text = capture.text();
  set_log_level(before);
  std::istringstream lines(text);
  std::string line;
  int count = 0, whole = 0;
  while (std::getline(lines, line)) {
    ++count;
    int t = -1, i = -1;
    char rest[400] = {};
    if (std::sscanf(line.c_str(), "kiln: info: thread %d line %d %399s", &t, &i, rest) == 3 && rest == filler) ++whole;
  }
  CHECK(count == 8 * 200);
  CHECK(whole == 8 * 200);
}

TEST_CASE("size settings: digits with an optional binary suffix, nothing else") {
  CHECK(detail::parse_size("0") == 0);
  CHECK(detail::parse_size("12345") == 12345);
  CHECK(detail::parse_size("64M") == (int64_t{64} << 20));
  CHECK(detail::parse_size("1g") == (int64_t{1} << 30));
  CHECK(detail::parse_size("2k") == 2048);
  CHECK(detail::parse_size("1T") == (int64_t{1} << 40));
  for (const char* bad :
       {"", "M", "-1", "+1", " 5", "5 ", "12x", "1.5G", "0x10", "99999999999999999999", "9000000000000000000K"})
    CHECK_MESSAGE(!detail::parse_size(bad).has_value(), "'" << bad << "'");
}
