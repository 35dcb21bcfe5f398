// Logging to stderr, selected by KILN_LOG (off, warn, info, debug; default warn). Checking the
// level costs one relaxed load, so disabled logging is free on hot paths.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace kiln {

enum class LogLevel : int { Off = 0, Warn = 1, Info = 2, Debug = 3 };

LogLevel log_level();
void log_write(LogLevel level, std::string_view message);

template <class... Args>
void log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  if (static_cast<int>(level) <= static_cast<int>(log_level()))
    log_write(level, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace kiln
