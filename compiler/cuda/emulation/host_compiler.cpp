// Host compilation for the CUDA emulation: hashing, caching, running the compiler, loading.
//
// A cache entry is <key>.so beside <key>.cu (the source it was built from). An entry is reused
// only when the stored source equals the new one; writers build under unique temporary names
// and publish by rename, so concurrent processes never load half an object.
#include "compiler/cuda/emulation/host_compiler.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include "compiler/ir/error.hpp"

extern char** environ;

namespace kiln::cuda {
namespace {

// -O1: compiles several times faster than -O2 for the same run time of these small loops.
// No fast math and no contraction: every op rounds once, as on the device (--fmad=false).
const std::vector<std::string> kFlags = {"-std=c++17", "-O1", "-pipe", "-fPIC", "-shared", "-w", "-ffp-contract=off",
                                         "-fno-fast-math", "-x", "c++"};

uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return (h ^ s.size()) * 0x100000001b3ull;
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

void write_file(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) throw RuntimeError(fmt::format("CUDA emulation: cannot write {}: {}", path, std::strerror(errno)));
}

bool on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':'))
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  return false;
}

// Runs argv (PATH search), its output into `log_path`; returns the exit status (-1: no start).
int run(const std::vector<std::string>& argv, const std::string& log_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string unique_suffix() {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}.{}", getpid(), counter.fetch_add(1));
}

std::shared_ptr<EmulatedModule> load(const std::string& so_path) {
  void* handle = dlopen(so_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return nullptr;
  auto bind = reinterpret_cast<void (*)(const void*)>(dlsym(handle, "kiln_emu_bind"));
  if (bind == nullptr) {
    dlclose(handle);
    return nullptr;
  }
  bind(emulation_api());
  return std::make_shared<EmulatedModule>(handle, so_path);
}

// Compiles `source` into `so_path` (published by rename) in `dir`.
void build(const std::string& source, const std::string& dir, const std::string& header_path,
           const std::string& so_path) {
  const std::string tmp = fmt::format("{}/build.{}", dir, unique_suffix());
  const std::string src = tmp + ".cu", out = tmp + ".so", log = tmp + ".log";
  write_file(src, source);
  std::vector<std::string> argv = {host_compiler()};
  argv.insert(argv.end(), kFlags.begin(), kFlags.end());
  argv.insert(argv.end(), {"-include", header_path, src, "-o", out});
  const int rc = run(argv, log);
  std::string output;
  read_file(log, output);
  unlink(src.c_str());
  unlink(log.c_str());
  if (rc != 0) {
    unlink(out.c_str());
    throw RuntimeError(fmt::format("CUDA emulation: {} failed ({}) on a generated unit:\n{}", argv[0],
                                   rc < 0 ? std::string("could not start") : fmt::format("exit status {}", rc),
                                   output));
  }
  if (rename(out.c_str(), so_path.c_str()) != 0) {
    unlink(out.c_str());
    throw RuntimeError(fmt::format("CUDA emulation: cannot publish {}: {}", so_path, std::strerror(errno)));
  }
}

}  // namespace

EmulatedModule::~EmulatedModule() { dlclose(handle_); }

EmulatedEntry EmulatedModule::entry(const std::string& symbol) const {
  auto fn = reinterpret_cast<EmulatedEntry>(dlsym(handle_, (symbol + "_emu").c_str()));
  KILN_CHECK(fn != nullptr) << "CUDA emulation: " << path_ << " has no entry for " << symbol;
  return fn;
}

std::string host_compiler() {
  const char* env = std::getenv("KILN_CXX");
  if (env != nullptr && *env != '\0') return env;
  for (const char* c : {"g++", "c++"})
    if (on_path(c)) return c;
  throw RuntimeError("CUDA emulation: no C++ compiler (set KILN_CXX, or put g++ or c++ on PATH)");
}

std::shared_ptr<EmulatedModule> compile_for_host(const std::string& source, const std::string& cache_dir) {
  const std::string cxx = host_compiler();
  uint64_t key = fnv1a(0xcbf29ce484222325ull, emulation_header());
  key = fnv1a(key, cxx);
  for (const std::string& f : kFlags) key = fnv1a(key, f);
  key = fnv1a(key, source);
  std::string dir = cache_dir;
  const bool temporary = dir.empty();
  if (temporary) {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/kiln-cuda-emu.XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr)
      throw RuntimeError(fmt::format("CUDA emulation: cannot create a directory like {}: {}", pattern, std::strerror(errno)));
    dir = pattern;
  } else if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw RuntimeError(fmt::format("CUDA emulation: cannot create {}: {}", dir, std::strerror(errno)));
  }
  const uint64_t header_key = fnv1a(0xcbf29ce484222325ull, emulation_header());
  const std::string header_path = fmt::format("{}/kiln_cuda_emulation.{:016x}.h", dir, header_key);
  const std::string base = fmt::format("{}/{:016x}", dir, key), so_path = base + ".so", src_path = base + ".cu";
  std::string stored;
  if (!temporary && read_file(src_path, stored) && stored == source)
    if (auto m = load(so_path)) return m;
  std::string have_header;
  if (!read_file(header_path, have_header) || have_header != emulation_header()) {
    const std::string tmp = header_path + "." + unique_suffix();
    write_file(tmp, emulation_header());
    rename(tmp.c_str(), header_path.c_str());
  }
  build(source, dir, header_path, so_path);
  std::shared_ptr<EmulatedModule> m = load(so_path);
  if (m == nullptr) throw RuntimeError(fmt::format("CUDA emulation: cannot load {}: {}", so_path, dlerror()));
  if (temporary) {
    unlink(so_path.c_str());
    unlink(header_path.c_str());
    rmdir(dir.c_str());
  } else {
    const std::string tmp = src_path + "." + unique_suffix();
    write_file(tmp, source);
    rename(tmp.c_str(), src_path.c_str());
  }
  return m;
}

}  // namespace kiln::cuda
