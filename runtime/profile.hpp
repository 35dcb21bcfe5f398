// The profiler: KILN_PROFILE=<file.json> records what the runtime does as a Chrome trace
// (Trace Event Format; open it in chrome://tracing or ui.perfetto.dev).
//
// Every event is a complete event ("ph":"X", ts and dur in µs since the process started,
// pid, tid): each evaluation, the tracing and scheduling steps of an evaluation, each pass,
// each kernel compile and disk-cache load, and each kernel launch with its kernel's hash,
// elements written, bytes moved and GB/s. Events are kept in memory (one mutex-protected
// vector) and written, replacing the file atomically, by write_profile() and at process
// exit. The setting is read once; when it is unset, profiling() is one relaxed load and
// nothing else happens, so the launch path costs nothing more.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln {

// Whether events are being recorded (KILN_PROFILE set, or set_profile_path()).
bool profiling();

// Records to `path` from now on (overriding KILN_PROFILE; "" stops recording). Events
// recorded so far are kept. The file is written at exit and by write_profile().
void set_profile_path(std::string path);
// The file the profile goes to, or "" when not profiling.
std::string profile_path();

// Writes every event recorded so far to the profile file (temporary file, then rename;
// missing directories are created).
// Returns false, after a warning through the log, when it cannot; does nothing (and returns
// true) when not profiling.
bool write_profile();

// The trace of the events recorded so far: {"traceEvents": [...], ...}.
std::string profile_json();
// Drops the events recorded so far.
void clear_profile();

namespace detail {

// Nanoseconds on the profiler's clock (steady, since the process started).
int64_t profile_now_ns();

// `s` as the inside of a JSON string (quotes, backslashes and control characters escaped).
std::string json_escape(std::string_view s);

// Records a complete event [start_ns, end_ns) on the calling thread. `category` is a string
// literal; `args_json` is the inside of the event's "args" object ("" for none), e.g.
// R"("hash": "k0123...", "bytes": 4096)".
void profile_event(const char* category, std::string_view name, int64_t start_ns, int64_t end_ns,
                   std::string args_json = {});

// Records a kernel launch: `name` is the kernel's symbol (or the builtin's name), `elements`
// the elements it writes and `bytes` the bytes of every buffer it reads or writes.
void profile_launch(std::string_view name, uint64_t hash, int64_t elements, int64_t bytes, int64_t start_ns,
                    int64_t end_ns);

// Records the event of a scope: from construction to destruction, when profiling.
class ProfileScope {
 public:
  ProfileScope(const char* category, std::string_view name)
      : category_(category), start_(profiling() ? profile_now_ns() : -1) {
    if (start_ >= 0) name_ = name;
  }
  ~ProfileScope() {
    if (start_ >= 0) profile_event(category_, name_, start_, profile_now_ns(), std::move(args_));
  }
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;
  bool active() const { return start_ >= 0; }
  // Sets the event's args (see profile_event); only worth formatting when active().
  void set_args(std::string args_json) { args_ = std::move(args_json); }

 private:
  const char* category_;
  std::string name_;
  int64_t start_;
  std::string args_;
};

}  // namespace detail
}  // namespace kiln
