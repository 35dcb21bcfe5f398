// Logging to stderr, selected by KILN_LOG (off, warn, info, debug, case-insensitive; default
// warn; an unknown value means warn and is reported once). Checking the level costs one
// relaxed load, so disabled logging is free on hot paths. Each message is one line
// `kiln: <level>: <message>` written with a single write(2), so lines logged by several
// threads at once do not interleave.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace kiln {

enum class LogLevel : int { Off = 0, Warn = 1, Info = 2, Debug = 3 };

LogLevel log_level();
void log_write(LogLevel level, std::string_view message);
// Overrides KILN_LOG for the rest of the process (tools and tests).
void set_log_level(LogLevel level);
// The level a KILN_LOG value names (case-insensitive), or nullopt for an unknown value.
std::optional<LogLevel> parse_log_level(std::string_view text);

template <class... Args>
void log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  if (static_cast<int>(level) <= static_cast<int>(log_level()))
    log_write(level, fmt::format(f, std::forward<Args>(args)...));
}

namespace detail {
// A non-negative integer setting: decimal digits with an optional binary suffix K, M, G or T
// (case-insensitive; "64M" = 64 << 20), nothing else; nullopt when malformed or too large.
std::optional<int64_t> parse_size(std::string_view text);
// The environment variable `name` parsed with parse_size and at least `min`; `fallback` when
// unset, and also (with one warning naming the variable and the value) when malformed.
int64_t env_size(const char* name, int64_t fallback, int64_t min);
}  // namespace detail

}  // namespace kiln
