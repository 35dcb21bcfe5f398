// kiln's two kinds of failure.
//
// A user's mistake (bad shapes, dtypes, axes, malformed text, a failing backend) throws a
// kiln::Error subclass whose message says what, where and the values involved. A broken
// internal invariant is a bug: KILN_CHECK(cond) << "..." prints the message and aborts.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace kiln {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Shapes that do not fit together (broadcasting, matmul, reshape, concat, ...).
class ShapeError : public Error {
  using Error::Error;
};
// An operand dtype the op does not accept, or dtypes that must match and do not.
class DTypeError : public Error {
  using Error::Error;
};
// An axis out of range, repeated, or a bad permutation.
class AxisError : public Error {
  using Error::Error;
};
// A bad value: a negative size, a slice step of 0, a literal that does not fit, ...
class ValueError : public Error {
  using Error::Error;
};
// Malformed text IR; the message starts with `file:line:col: error: `.
class ParseError : public Error {
 public:
  ParseError(const std::string& message, std::string file, int line, int col)
      : Error(message), file_(std::move(file)), line_(line), col_(col) {}
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int col() const { return col_; }

 private:
  std::string file_;
  int line_;
  int col_;
};
// An array on the wrong device (operands of one op on different devices, host access to a
// device array), or a device that is missing or failing (no CUDA driver, out of memory).
class DeviceError : public Error {
  using Error::Error;
};
// A backend or runtime failure (evaluation of an unbound parameter, a compiler error, ...).
class RuntimeError : public Error {
  using Error::Error;
};

namespace detail {

// Collects a message with <<, then aborts with it when destroyed. Used by KILN_CHECK only.
class CheckFailure {
 public:
  CheckFailure(const char* cond, const char* file, int line);
  [[noreturn]] ~CheckFailure();
  template <class T>
  CheckFailure& operator<<(const T& v) {
    out_ << v;
    return *this;
  }

 private:
  std::ostringstream out_;
};

// Turns `CheckFailure << ...` into a void expression for the ?: of KILN_CHECK.
struct Voidify {
  void operator&(const CheckFailure&) {}
};

}  // namespace detail
}  // namespace kiln

// Aborts with a message when an internal invariant is broken. Never for user mistakes.
// An expression (not an if/else), so it nests safely under an unbraced if or for.
#define KILN_CHECK(cond) \
  (cond) ? (void)0 : ::kiln::detail::Voidify() & ::kiln::detail::CheckFailure(#cond, __FILE__, __LINE__)
