// write_file_atomically and make_directories with POSIX calls (see atomic_file.hpp). The
// temporary file is named `.<name>.tmp-XXXXXX` beside the target, so a crash leaves at most a
// hidden file, never a truncated target. Files are created private to the user (0600, as
// mkostemp makes them): dumps and profiles describe the user's program.
#include "runtime/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kiln::detail {
namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

std::string write_file_atomically(const std::string& path, std::string_view data) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string temp = fmt::format("{}/.{}.tmp-XXXXXX", dir, name);
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return fmt::format("cannot create a file in '{}': {}", dir, errno_text());
  std::string error;
  if (!write_all(fd, data.data(), data.size())) error = fmt::format("cannot write '{}': {}", temp, errno_text());
  if (::close(fd) != 0 && error.empty()) error = fmt::format("cannot write '{}': {}", temp, errno_text());
  if (error.empty() && ::rename(temp.c_str(), path.c_str()) != 0)
    error = fmt::format("cannot rename '{}' to '{}': {}", temp, path, errno_text());
  if (!error.empty()) ::unlink(temp.c_str());
  return error;
}

std::string make_directories(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0777) == 0 || errno == EEXIST) continue;
    return fmt::format("cannot create the directory '{}': {}", part, errno_text());
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return fmt::format("cannot use the directory '{}': {}", dir, errno_text());
  if (!S_ISDIR(st.st_mode)) return fmt::format("'{}' is not a directory", dir);
  return "";
}

}  // namespace kiln::detail
