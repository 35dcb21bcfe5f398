// kiln-opt: reads graph IR in text form, checks it and writes it back in canonical form, or
// the kernels it schedules to (kernel IR or CUDA C).
//
// The tool is one straight pipeline: read the input, parse_module, verify, (passes, later),
// print_module (or, with --emit, optimize + schedule each function and print its kernels),
// write the output. Its exit status tells the three outcomes apart: 0 done,
// 1 the input is wrong (the error, `file:line:col: error: ...`, is on stderr), 2 the command
// line is wrong (a usage text is on stderr). An output file is written to a temporary file in
// its directory and renamed over OUT, so OUT is never left half written.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "compiler/cuda/cuda_source.hpp"
#include "compiler/ir/parser.hpp"
#include "compiler/ir/printer.hpp"
#include "compiler/ir/verifier.hpp"
#include "passes/pass_manager.hpp"
#include "passes/schedule.hpp"

namespace {

constexpr const char* kUsage = R"(usage: kiln-opt [FILE|-] [-o OUT] [--no-locations] [--emit=graph|kernels|cuda] [--help]

Reads kiln graph IR in text form from FILE (stdin when FILE is '-' or absent), checks it, and
prints it in canonical form (compiler/ir/text_format.md) to stdout or to OUT.

options:
  -o OUT            write to OUT instead of stdout (atomically: temporary file, then rename)
  --no-locations    leave out the loc("file":line) annotations
  --emit=WHAT       graph (the default): the checked graph; kernels: the kernel IR of each
                    function's launches after optimisation and scheduling; cuda: the CUDA C
                    of those launches (one translation unit: the prelude, then the kernels)
  --help            print this text and exit

example:
  $ cat f.kir
  func @f(%x: f32[4]) -> f32[] {
    %s = sin %x : f32[4]
    %r = reduce_sum %s {axes = [0]} : f32[]
    return %r
  }
  $ kiln-opt f.kir
  func @f(%x: f32[4]) -> f32[] {
    %0 = sin %x : f32[4]
    %1 = reduce_sum %0 {axes = [0]} : f32[]
    return %1
  }

exit status: 0 success, 1 invalid input (error on stderr), 2 bad usage.
)";

struct Options {
  std::string input = "-";
  std::string output;  // empty: stdout
  bool locations = true;
  bool help = false;
  std::string emit = "graph";  // graph, kernels or cuda
  // --passes=a,b,c will add the list of pass names here, run in order by run() below.
};

// Fills `o` from the command line; returns an error message for bad usage, else "".
std::string parse_args(int argc, char** argv, Options& o) {
  bool have_input = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      o.help = true;
    } else if (a.rfind("--emit=", 0) == 0) {
      o.emit = a.substr(7);
      if (o.emit != "graph" && o.emit != "kernels" && o.emit != "cuda")
        return "unknown --emit value '" + o.emit + "' (graph, kernels or cuda)";
    } else if (a == "--no-locations") {
      o.locations = false;
    } else if (a == "-o") {
      if (i + 1 == argc) return "missing file name after -o";
      o.output = argv[++i];
      if (o.output.empty()) return "empty file name after -o";
    } else if (a.size() > 1 && a[0] == '-') {
      return "unknown option '" + a + "'";
    } else if (have_input) {
      return "more than one input file ('" + o.input + "' and '" + a + "')";
    } else {
      o.input = a;
      have_input = true;
    }
  }
  return "";
}

// Reads all of `path` ("-": stdin) into `text`; returns false with `error` set on failure
// (a directory fails here too: reading it gives EISDIR).
bool read_input(const std::string& path, std::string& text, std::string& error) {
  bool is_stdin = path == "-";
  std::FILE* in = is_stdin ? stdin : std::fopen(path.c_str(), "rb");
  if (!in) {
    error = fmt::format("cannot open '{}': {}", path, std::strerror(errno));
    return false;
  }
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, in)) > 0) text.append(buf, n);
  bool ok = !std::ferror(in);
  int saved = errno;
  if (!is_stdin) std::fclose(in);
  if (!ok) error = fmt::format("cannot read '{}': {}", is_stdin ? "<stdin>" : path, std::strerror(saved));
  return ok;
}

bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Writes `data` to a temporary file beside `path`, then renames it over `path`.
bool write_atomically(const std::string& path, const std::string& data, std::string& error) {
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    error = fmt::format("cannot create a temporary file for '{}': {}", path, std::strerror(errno));
    return false;
  }
  mode_t mask = ::umask(0);
  ::umask(mask);
  bool ok = ::fchmod(fd, 0666 & ~mask) == 0 && write_all(fd, data) && ::fsync(fd) == 0;
  int saved = errno;
  ok = ::close(fd) == 0 && ok;
  if (ok && ::rename(tmp.c_str(), path.c_str()) == 0) return true;
  saved = errno ? errno : saved;
  ::unlink(tmp.c_str());
  error = fmt::format("cannot write '{}': {}", path, std::strerror(saved));
  return false;
}

// The kernels of every function of `m`, as kernel IR or as one CUDA C translation unit. A
// GEMM launch prints as a comment line (kernel IR) or as the tiled matmul kernel (CUDA C).
std::string emit_kernels(const kiln::Module& m, bool cuda) {
  std::string out = cuda ? std::string(kiln::cuda::cuda_prelude()) : std::string();
  bool gemm_emitted[2] = {false, false};
  for (const kiln::Function& f : m.functions) {
    kiln::Schedule s = kiln::schedule(kiln::optimize(f));
    out += fmt::format("{} function @{}: {} launches\n", cuda ? "//" : ";", f.name, s.launches.size());
    for (const kiln::LaunchPlan& lp : s.launches) {
      if (lp.builtin == kiln::Builtin::Gemm) {
        const bool f64 = lp.kernel.buffers.empty() ? false : lp.kernel.buffers[0].dtype == kiln::DType::F64;
        const std::string symbol = kiln::cuda::gemm_symbol(f64);
        if (!cuda) {
          out += fmt::format("; builtin gemm {} args [{}]\n", f64 ? "f64" : "f32", fmt::join(lp.builtin_args, ", "));
        } else if (!gemm_emitted[f64]) {
          out += kiln::cuda::gemm_kernel_code(f64, symbol);
          gemm_emitted[f64] = true;
        }
        continue;
      }
      const std::string symbol = kiln::kernel::kernel_symbol(lp.kernel);
      out += cuda ? kiln::cuda::generate_cuda(lp.kernel, symbol).code : kiln::kernel::print_kernel(lp.kernel, symbol);
    }
  }
  return out;
}

// The pipeline; returns the exit status.
int run(const Options& o) {
  std::string text, error;
  std::string name = o.input == "-" ? "<stdin>" : o.input;
  if (!read_input(o.input, text, error)) {
    fmt::print(stderr, "kiln-opt: error: {}\n", error);
    return 1;
  }
  std::string out;
  try {
    kiln::Module m = kiln::parse_module(text, name);
    kiln::verify(m);
    // Passes go here: for each name of --passes, run that pass on `m`, then verify(m) again.
    if (o.emit == "graph")
      out = kiln::print_module(m, kiln::PrintOptions{.locations = o.locations});
    else
      out = emit_kernels(m, o.emit == "cuda");
  } catch (const kiln::ParseError& e) {
    fmt::print(stderr, "{}\n", e.what());
    return 1;
  } catch (const kiln::Error& e) {
    fmt::print(stderr, "{}: error: {}\n", name, e.what());
    return 1;
  }
  if (!o.output.empty()) {
    if (write_atomically(o.output, out, error)) return 0;
    fmt::print(stderr, "kiln-opt: error: {}\n", error);
    return 1;
  }
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    fmt::print(stderr, "kiln-opt: error: cannot write to stdout\n");
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string usage_error = parse_args(argc, argv, o);
  if (!usage_error.empty()) {
    fmt::print(stderr, "kiln-opt: {}\n{}", usage_error, kUsage);
    return 2;
  }
  if (o.help) {
    fmt::print("{}", kUsage);
    return 0;
  }
  return run(o);
}
