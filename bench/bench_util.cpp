// Helpers of kiln-bench: clock, medians, buffers, checks, machine facts, child processes.
#include "bench/bench_util.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

extern char** environ;

namespace kiln::bench {

double now_ms() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double, std::milli>(clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

namespace {

FloatBuffer allocate_floats(int64_t n) {
  size_t bytes = (static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(float) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, bytes);
  if (!p) throw std::runtime_error("kiln-bench: out of memory");
  FloatBuffer b;
  b.data = std::unique_ptr<float, void (*)(void*)>(static_cast<float*>(p), std::free);
  b.size = n;
  return b;
}

}  // namespace

FloatBuffer random_floats(int64_t n, float lo, float hi, uint64_t seed) {
  FloatBuffer b = allocate_floats(n);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int64_t i = 0; i < n; ++i) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;  // xorshift64
    float u = static_cast<float>(s >> 40) * (1.0f / 16777216.0f);
    b.get()[i] = lo + (hi - lo) * u;
  }
  return b;
}

FloatBuffer zero_floats(int64_t n) {
  FloatBuffer b = allocate_floats(n);
  std::memset(b.get(), 0, static_cast<size_t>(n) * sizeof(float));
  return b;
}

Check compare(const float* got, const float* want, int64_t n, double atol, double rtol) {
  Check c;
  for (int64_t i = 0; i < n; ++i) {
    Check one = compare_scalar(got[i], want[i], atol, rtol);
    c.ok = c.ok && one.ok;
    c.max_err = std::max(c.max_err, one.max_err);
  }
  return c;
}

Check compare_scalar(double got, double want, double atol, double rtol) {
  Check c;
  if (std::isnan(got) || std::isnan(want)) {
    c.ok = std::isnan(got) && std::isnan(want);
    c.max_err = c.ok ? 0 : INFINITY;
    return c;
  }
  if (std::isinf(got) || std::isinf(want)) {
    c.ok = got == want;
    c.max_err = c.ok ? 0 : INFINITY;
    return c;
  }
  c.max_err = std::fabs(got - want);
  c.ok = c.max_err <= atol + rtol * std::fabs(want);
  return c;
}

Machine machine() {
  Machine m;
  std::ifstream in("/proc/cpuinfo");
  std::string line, physical;
  std::set<std::pair<std::string, std::string>> cores;
  auto value = [](const std::string& l) {
    size_t c = l.find(':');
    std::string v = c == std::string::npos ? "" : l.substr(c + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    return v;
  };
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0 && m.cpu.empty()) m.cpu = value(line);
    if (line.rfind("physical id", 0) == 0) physical = value(line);
    if (line.rfind("core id", 0) == 0) cores.insert({physical, value(line)});
    if (line.rfind("processor", 0) == 0) ++m.cpus;
  }
  m.cores = cores.empty() ? m.cpus : static_cast<int>(cores.size());
  if (m.cpu.empty()) m.cpu = "unknown";
  return m;
}

std::string run_self(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string s = *e;
    if (!env.count(s.substr(0, s.find('=')))) env_strings.push_back(s);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<std::string> argv_strings = {"/proc/self/exe"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv, envp;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  for (std::string& s : env_strings) envp.push_back(s.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);

  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("kiln-bench: pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  pid_t pid;
  int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    throw std::runtime_error(std::string("kiln-bench: cannot start a child: ") + std::strerror(rc));
  }
  std::string out;
  char buf[4096];
  ssize_t got;
  while ((got = read(fds[0], buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR))
    if (got > 0) out.append(buf, static_cast<size_t>(got));
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("kiln-bench: child process failed; its output:\n" + out);
  return out;
}

std::map<std::string, std::string> parse_fields(const std::string& text, const std::string& tag) {
  std::map<std::string, std::string> fields;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(tag + " ", 0) != 0) continue;
    std::istringstream words(line.substr(tag.size()));
    std::string w;
    while (words >> w) {
      size_t eq = w.find('=');
      if (eq != std::string::npos) fields[w.substr(0, eq)] = w.substr(eq + 1);
    }
    break;
  }
  return fields;
}

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/kiln-bench-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (!mkdtemp(name.data())) throw std::runtime_error("kiln-bench: cannot create a temporary directory");
  path_ = name.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace kiln::bench
