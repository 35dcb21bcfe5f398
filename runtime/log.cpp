// KILN_LOG and the stderr sink. The level lives in one atomic int: -1 until the
// environment has been read (once, under call_once), so log_level() is a relaxed load on
// every call after the first.
#include "runtime/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <mutex>
#include <string>

namespace kiln {
namespace {

constinit std::atomic<int> g_level{-1};
std::once_flag g_level_once;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

void read_level_from_env() {
  std::call_once(g_level_once, [] {
    const char* env = std::getenv("KILN_LOG");
    std::optional<LogLevel> level = env ? parse_log_level(env) : LogLevel::Warn;
    g_level.store(static_cast<int>(level.value_or(LogLevel::Warn)), std::memory_order_relaxed);
    if (!level) log(LogLevel::Warn, "KILN_LOG='{}' is not one of off, warn, info, debug; using warn", env);
  });
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Off: return "off";
    case LogLevel::Warn: return "warning";
    case LogLevel::Info: return "info";
    case LogLevel::Debug: return "debug";
  }
  return "?";
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) {
  for (LogLevel l : {LogLevel::Off, LogLevel::Warn, LogLevel::Info, LogLevel::Debug}) {
    std::string_view name = l == LogLevel::Warn ? "warn" : level_name(l);
    if (iequals(text, name)) return l;
  }
  if (iequals(text, "warning")) return LogLevel::Warn;
  return std::nullopt;
}

LogLevel log_level() {
  int v = g_level.load(std::memory_order_relaxed);
  if (v < 0) [[unlikely]] {
    read_level_from_env();
    v = g_level.load(std::memory_order_relaxed);
  }
  return static_cast<LogLevel>(v);
}

void set_log_level(LogLevel level) {
  read_level_from_env();  // so that a later first use does not override this
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

void log_write(LogLevel level, std::string_view message) {
  std::string line = fmt::format("kiln: {}: {}\n", level_name(level), message);
  // One write normally; loop only for a partial write (pipe full, signal).
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr closed or broken: nothing sensible to do with a log line
    p += n;
    left -= static_cast<size_t>(n);
  }
}

namespace detail {

std::optional<int64_t> parse_size(std::string_view text) {
  int shift = 0;
  if (!text.empty()) {
    switch (text.back()) {
      case 'k':
      case 'K': shift = 10; break;
      case 'm':
      case 'M': shift = 20; break;
      case 'g':
      case 'G': shift = 30; break;
      case 't':
      case 'T': shift = 40; break;
      default: break;
    }
    if (shift) text.remove_suffix(1);
  }
  if (text.empty() || text[0] < '0' || text[0] > '9') return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (v > (INT64_MAX >> shift)) return std::nullopt;
  return v << shift;
}

int64_t env_size(const char* name, int64_t fallback, int64_t min) {
  const char* env = std::getenv(name);
  if (!env) return fallback;
  std::optional<int64_t> v = parse_size(env);
  if (!v || *v < min) {
    log(LogLevel::Warn, "{}='{}' is not a valid value (an integer >= {}, optional K/M/G/T suffix); using {}", name, env,
        min, fallback);
    return fallback;
  }
  return *v;
}

}  // namespace detail
}  // namespace kiln
