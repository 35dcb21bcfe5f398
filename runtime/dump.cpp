// KILN_DUMP: the setting and writing an evaluation's dump (see dump.hpp).
//
// The setting lives in one atomic int (-1 until KILN_DUMP has been read, once, under
// call_once), so dumping() is a relaxed load on every evaluation. An evaluation's directory
// is built as a hidden temporary directory beside its final name and renamed into place once
// every file is in.
#include "runtime/dump.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "runtime/atomic_file.hpp"
#include "runtime/log.hpp"

namespace kiln {
namespace {

constinit std::atomic<int> g_enabled{-1};
std::once_flag g_env_once;
constinit std::atomic<int64_t> g_next_eval{0};

struct Settings {
  std::mutex mutex;
  std::string dir;
  bool warned = false;
};

Settings& settings() {
  static Settings* s = new Settings();  // never destroyed: evaluations may run at exit
  return *s;
}

void set_dir_locked(Settings& s, std::string dir) {
  s.dir = std::move(dir);
  s.warned = false;  // a new directory gets a warning of its own
  g_enabled.store(s.dir.empty() ? 0 : 1, std::memory_order_relaxed);
}

void read_env() {
  std::call_once(g_env_once, [] {
    const char* env = std::getenv("KILN_DUMP");
    Settings& s = settings();
    std::lock_guard lock(s.mutex);
    set_dir_locked(s, env ? env : "");
  });
}

// A failed dump costs only the dump: warn once per directory, then log at debug level.
void warn_write(const std::string& what) {
  bool first;
  {
    Settings& s = settings();
    std::lock_guard lock(s.mutex);
    first = !s.warned;
    s.warned = true;
  }
  log(first ? LogLevel::Warn : LogLevel::Debug, "KILN_DUMP: {}; evaluations go on without this dump", what);
}

// Moves `from` (a complete dump directory) to `to`, replacing what an earlier run left there.
std::string publish(const std::string& dir, const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) == 0) return "";
  if (errno != ENOTEMPTY && errno != EEXIST)
    return fmt::format("cannot rename '{}' to '{}': {}", from, to, std::strerror(errno));
  std::string old = fmt::format("{}/.old-XXXXXX", dir);
  if (!::mkdtemp(old.data())) return fmt::format("cannot create a directory in '{}': {}", dir, std::strerror(errno));
  // A directory may be renamed over an empty one: the old dump moves aside, then goes.
  if (::rename(to.c_str(), old.c_str()) != 0) {
    std::string error = fmt::format("cannot replace '{}': {}", to, std::strerror(errno));
    ::rmdir(old.c_str());
    return error;
  }
  if (::rename(from.c_str(), to.c_str()) != 0) {
    std::string error = fmt::format("cannot replace '{}': {}", to, std::strerror(errno));
    ::rename(old.c_str(), to.c_str());  // put the earlier dump back where it was
    return error;
  }
  std::error_code ec;
  std::filesystem::remove_all(old, ec);
  if (ec) log(LogLevel::Debug, "KILN_DUMP: cannot remove '{}': {}", old, ec.message());
  return "";
}

}  // namespace

bool dumping() {
  int v = g_enabled.load(std::memory_order_relaxed);
  if (v < 0) [[unlikely]] {
    read_env();
    v = g_enabled.load(std::memory_order_relaxed);
  }
  return v > 0;
}

void set_dump_dir(std::string dir) {
  read_env();  // so that a later first use does not override this
  Settings& s = settings();
  std::lock_guard lock(s.mutex);
  set_dir_locked(s, std::move(dir));
}

std::string dump_dir() {
  read_env();
  Settings& s = settings();
  std::lock_guard lock(s.mutex);
  return s.dir;
}

void write_dump(const std::vector<DumpText>& texts) {
  std::string dir = dump_dir();
  if (dir.empty()) return;
  std::string error = detail::make_directories(dir);
  if (!error.empty()) return warn_write(error);
  std::string name = fmt::format("eval-{:04}", g_next_eval.fetch_add(1, std::memory_order_relaxed));
  std::string temp = fmt::format("{}/.{}.tmp-XXXXXX", dir, name);
  if (!::mkdtemp(temp.data()))
    return warn_write(fmt::format("cannot create a directory in '{}': {}", dir, std::strerror(errno)));
  for (const DumpText& t : texts) {
    error = detail::write_file_atomically(temp + "/" + t.name, t.text);
    if (!error.empty()) break;
  }
  if (error.empty()) error = publish(dir, temp, dir + "/" + name);
  if (error.empty()) {
    log(LogLevel::Debug, "KILN_DUMP: wrote {} files to {}/{}", texts.size(), dir, name);
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(temp, ec);
  warn_write(error);
}

}  // namespace kiln
