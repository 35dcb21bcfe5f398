// The profiler's settings, event store and JSON writer (see profile.hpp).
//
// The on/off state lives in one atomic int (-1 until KILN_PROFILE has been read, once, under
// call_once), so profiling() is a relaxed load. Events go to a vector under a mutex; the
// store is bounded (kMaxEvents: a long run keeps its first events and counts the rest as
// dropped, with one warning) and never destroyed, so events recorded during static
// destruction and the write at exit are safe. Each thread gets a small tid on first use.
#include "runtime/profile.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "runtime/atomic_file.hpp"
#include "runtime/log.hpp"

namespace kiln {
namespace {

constexpr size_t kMaxEvents = size_t{1} << 22;

struct Event {
  const char* category;
  std::string name;
  int64_t start_ns;
  int64_t dur_ns;
  uint32_t tid;
  std::string args;
};

struct Store {
  std::mutex mutex;
  std::string path;
  std::vector<Event> events;
  int64_t dropped = 0;
  bool exit_hook = false;
};

Store& store() {
  static Store* s = new Store();  // never destroyed: used at exit
  return *s;
}

constinit std::atomic<int> g_enabled{-1};
std::once_flag g_env_once;
std::atomic<uint32_t> g_next_tid{1};

void write_at_exit() { write_profile(); }

// Turns recording on or off for `path`, registering the write at exit once (store mutex held).
void set_path_locked(Store& s, std::string path) {
  s.path = std::move(path);
  if (!s.path.empty() && !s.exit_hook) {
    s.exit_hook = true;
    std::atexit(write_at_exit);
  }
  g_enabled.store(s.path.empty() ? 0 : 1, std::memory_order_relaxed);
}

void read_env() {
  std::call_once(g_env_once, [] {
    const char* env = std::getenv("KILN_PROFILE");
    Store& s = store();
    std::lock_guard lock(s.mutex);
    set_path_locked(s, env ? env : "");
  });
}

uint32_t this_thread_tid() {
  thread_local uint32_t tid = g_next_tid.fetch_add(1, std::memory_order_relaxed);
  return tid;
}

void append_event(std::string& out, const Event& e, int pid) {
  out += fmt::format(R"({{"name": "{}", "cat": "{}", "ph": "X", "ts": {:.3f}, "dur": {:.3f}, "pid": {}, "tid": {})",
                     detail::json_escape(e.name), e.category, static_cast<double>(e.start_ns) / 1e3,
                     static_cast<double>(e.dur_ns) / 1e3, pid, e.tid);
  if (!e.args.empty()) out += fmt::format(", \"args\": {{{}}}", e.args);
  out += '}';
}

}  // namespace

bool profiling() {
  int v = g_enabled.load(std::memory_order_relaxed);
  if (v < 0) [[unlikely]] {
    read_env();
    v = g_enabled.load(std::memory_order_relaxed);
  }
  return v > 0;
}

void set_profile_path(std::string path) {
  read_env();  // so that a later first use does not override this
  Store& s = store();
  std::lock_guard lock(s.mutex);
  set_path_locked(s, std::move(path));
}

std::string profile_path() {
  read_env();
  Store& s = store();
  std::lock_guard lock(s.mutex);
  return s.path;
}

std::string profile_json() {
  Store& s = store();
  std::lock_guard lock(s.mutex);
  int pid = static_cast<int>(::getpid());
  std::string out = "{\"traceEvents\": [\n";
  out += fmt::format(R"({{"name": "process_name", "ph": "M", "pid": {}, "tid": 0, "args": {{"name": "kiln"}}}})", pid);
  for (const Event& e : s.events) {
    out += ",\n";
    append_event(out, e, pid);
  }
  out += fmt::format("\n], \"displayTimeUnit\": \"ms\", \"otherData\": {{\"dropped_events\": {}}}}}\n", s.dropped);
  return out;
}

bool write_profile() {
  if (!profiling()) return true;
  std::string path = profile_path();
  if (path.empty()) return true;
  size_t slash = path.rfind('/');
  std::string error = slash == std::string::npos || slash == 0 ? "" : detail::make_directories(path.substr(0, slash));
  if (error.empty()) error = detail::write_file_atomically(path, profile_json());
  if (error.empty()) return true;
  log(LogLevel::Warn, "cannot write the profile (KILN_PROFILE): {}", error);
  return false;
}

void clear_profile() {
  Store& s = store();
  std::lock_guard lock(s.mutex);
  s.events.clear();
  s.dropped = 0;
}

namespace detail {

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += ch;
    }
  }
  return out;
}

int64_t profile_now_ns() {
  // A local static: set on first use, whatever the order of static initialisation.
  static const std::chrono::steady_clock::time_point epoch = std::chrono::steady_clock::now();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - epoch).count();
}

void profile_event(const char* category, std::string_view name, int64_t start_ns, int64_t end_ns,
                   std::string args_json) {
  Event e{category, std::string(name), start_ns, end_ns - start_ns, this_thread_tid(), std::move(args_json)};
  Store& s = store();
  bool warn = false;
  {
    std::lock_guard lock(s.mutex);
    if (s.events.size() < kMaxEvents) {
      s.events.push_back(std::move(e));
    } else {
      warn = s.dropped++ == 0;
    }
  }
  if (warn)
    log(LogLevel::Warn, "the profile holds {} events; later events are dropped (counted in otherData)", kMaxEvents);
}

void profile_launch(std::string_view name, uint64_t hash, int64_t elements, int64_t bytes, int64_t start_ns,
                    int64_t end_ns) {
  double seconds = static_cast<double>(end_ns - start_ns) / 1e9;
  double gbps = seconds > 0 ? static_cast<double>(bytes) / seconds / 1e9 : 0.0;
  std::string args = hash ? fmt::format(R"("hash": "{:016x}", )", hash) : std::string();
  args += fmt::format(R"("elements": {}, "bytes": {}, "gbps": {:.3f})", elements, bytes, gbps);
  profile_event("launch", name, start_ns, end_ns, std::move(args));
}

}  // namespace detail
}  // namespace kiln
