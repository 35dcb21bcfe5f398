// Writing files so that readers never see half of one: the text goes to a unique temporary
// file in the target's directory and is renamed over the target. Errors come back as text
// (errno's message with the path), never as exceptions, because the callers (dumps, the
// profile at exit) must not fail the program over a file they write on the side.
#pragma once

#include <string>
#include <string_view>

namespace kiln::detail {

// Writes all `n` bytes of `p` to `fd`, retrying short writes and EINTR; false on an error
// (errno tells which).
bool write_all(int fd, const char* p, size_t n);

// Writes `data` to `path` atomically. Returns "" on success, else what went wrong.
std::string write_file_atomically(const std::string& path, std::string_view data);

// Creates `dir` and its missing parents (mode 0777 less the umask). Returns "" on success
// (also when it exists as a directory), else what went wrong.
std::string make_directories(const std::string& dir);

}  // namespace kiln::detail
