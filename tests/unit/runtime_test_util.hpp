// Helpers for the runtime tests: running this test program again as a child process (to
// test settings read once from the environment, and several processes sharing a cache),
// temporary directories, and capturing what the runtime logs to stderr.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "compiler/kernel/kernel.hpp"

extern char** environ;

namespace kiln::test {

// A child's exit status (-1 when it did not exit normally) and its stdout and stderr.
struct ChildResult {
  int status = -1;
  std::string output;
};

// A started child process whose stdout and stderr go to one pipe.
struct Child {
  pid_t pid = -1;
  int out = -1;
};

// Starts this program again with KILN_TEST_CHILD=mode and the extra `env` ("NAME=value"
// replaces NAME). The child's static initialiser sees KILN_TEST_CHILD and runs the mode
// instead of the tests (see child_mode()). A bare "NAME" in `env` removes NAME.
inline Child start_self(const std::string& mode, const std::vector<std::string>& env = {}) {
  std::vector<std::string> vars = {"KILN_TEST_CHILD=" + mode};
  vars.insert(vars.end(), env.begin(), env.end());
  for (char** e = environ; *e; ++e) {
    std::string s = *e;
    std::string name = s.substr(0, s.find('='));
    bool replaced = false;
    for (const auto& v : vars) replaced = replaced || v.substr(0, v.find('=')) == name;
    if (!replaced) vars.push_back(s);
  }
  std::vector<char*> envp;
  for (auto& v : vars)
    if (v.find('=') != std::string::npos) envp.push_back(v.data());
  envp.push_back(nullptr);
  static char self[] = "/proc/self/exe";
  char* argv[] = {self, nullptr};
  int fds[2];
  if (pipe(fds) != 0) return {};
  // Everything the child needs is built before fork: only exec-safe calls after it.
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    execve(self, argv, envp.data());
    _exit(127);
  }
  close(fds[1]);
  return {pid, fds[0]};
}

inline ChildResult finish(const Child& c) {
  ChildResult r;
  char buf[4096];
  ssize_t n;
  while ((n = read(c.out, buf, sizeof buf)) > 0) r.output.append(buf, static_cast<size_t>(n));
  close(c.out);
  int status = 0;
  waitpid(c.pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline ChildResult run_self(const std::string& mode, const std::vector<std::string>& env = {}) {
  return finish(start_self(mode, env));
}

// The mode this process was started in by start_self, or nullptr in the test run itself.
inline const char* child_mode() { return std::getenv("KILN_TEST_CHILD"); }

// A fresh directory under /tmp, removed with its contents when this object dies.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/kiln-test-XXXXXX";
    path_ = mkdtemp(name);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Redirects this process's stderr (fd 2) to a file while alive; text() reads what was written.
class CaptureStderr {
 public:
  CaptureStderr() {
    char name[] = "/tmp/kiln-stderr-XXXXXX";
    fd_ = mkstemp(name);
    path_ = name;
    saved_ = dup(2);
    dup2(fd_, 2);
  }
  ~CaptureStderr() {
    restore();
    close(fd_);
    unlink(path_.c_str());
  }
  std::string text() {
    restore();
    std::string s;
    char buf[4096];
    ssize_t n;
    lseek(fd_, 0, SEEK_SET);
    while ((n = read(fd_, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
    return s;
  }

 private:
  void restore() {
    if (saved_ >= 0) {
      dup2(saved_, 2);
      close(saved_);
      saved_ = -1;
    }
  }
  int fd_ = -1;
  int saved_ = -1;
  std::string path_;
};

// How many times `needle` occurs in `text`.
inline int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

}  // namespace kiln::test
