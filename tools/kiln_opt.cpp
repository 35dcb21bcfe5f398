// kiln-opt: reads graph IR in text form, checks it, runs graph passes on it and writes it back
// in canonical form, or the kernels it schedules to (kernel IR or CUDA C).
//
// The tool is one straight pipeline: read the input, parse_module, verify, (--grad: the
// gradient functions, verified again), run the passes of --passes on every function
// (verifying after each), print_module (or, with --emit, optimize + schedule each function
// and print its kernels), write the output. Its exit status tells the three outcomes apart:
// 0 done, 1 the input is wrong (the error, `file:line:col: error: ...`, is on stderr), 2 the
// command line is wrong (a usage text is on stderr). An output file is written to a
// temporary file in
// its directory and renamed over OUT, so OUT is never left half written.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/cuda/cuda_source.hpp"
#include "compiler/ir/parser.hpp"
#include "compiler/ir/printer.hpp"
#include "compiler/ir/verifier.hpp"
#include "passes/autodiff.hpp"
#include "passes/pass_manager.hpp"
#include "passes/schedule.hpp"

namespace {

constexpr const char* kUsageHead =
    R"(usage: kiln-opt [FILE|-] [-o OUT] [--grad=ARGS] [--passes=LIST] [--print-after-all] [--emit=graph|kernels|cuda] [--no-locations] [--help]

Reads kiln graph IR in text form from FILE (stdin when FILE is '-' or absent), checks it, runs
the graph passes of LIST on every function, and prints the result in canonical form
(compiler/ir/text_format.md) to stdout or to OUT.

options:
  -o OUT              write to OUT instead of stdout (atomically: temporary file, then rename)
                        kiln-opt f.kir -o g.kir
  --passes=LIST       run these passes in order, separated by commas; `default` stands for the
                      pipeline kiln runs before scheduling. The IR is verified after each pass.
                        kiln-opt --passes=fold,simplify,cse,dce f.kir
                        kiln-opt --passes=default f.kir
  --print-after-all   print each function to stderr after each pass, headed
                      `// -----// IR Dump After PASS (@FUNCTION) //----- //`
                        kiln-opt --passes=default --print-after-all f.kir
  --grad=ARGS         replace each function with one scalar float result by its gradient
                      w.r.t. the arguments named in ARGS (comma-separated; before any --passes):
                      @f(args) -> scalar becomes @f_grad(args) -> (d/dx, d/dw)
                        kiln-opt --grad=x,w f.kir
  --emit=WHAT         graph (the default): the checked graph; kernels: the kernel IR of each
                      function's launches after optimisation and scheduling; cuda: the CUDA C
                      of those launches (one translation unit: the prelude, then the kernels)
                        kiln-opt --emit=cuda f.kir
  --no-locations      leave out the loc("file":line) annotations
                        kiln-opt --no-locations f.kir
  --help              print this text and exit

passes:
)";

constexpr const char* kUsageTail = R"(
example:
  $ cat f.kir
  func @f(%x: f32[4]) -> f32[] {
    %one = constant {value = 1.0} : f32[]
    %ones = broadcast %one : f32[4]
    %y = mul %x, %ones : f32[4]
    %s = sin %y : f32[4]
    %r = reduce_sum %s {axes = [0]} : f32[]
    return %r
  }
  $ kiln-opt --passes=simplify f.kir
  func @f(%x: f32[4]) -> f32[] {
    %0 = sin %x : f32[4]
    %1 = reduce_sum %0 {axes = [0]} : f32[]
    return %1
  }

exit status: 0 success, 1 invalid input (error on stderr), 2 bad usage.
)";

// The usage text, with one line per pass of the pass table and the default pipeline.
std::string usage() {
  std::string text = kUsageHead;
  for (const kiln::Pass& p : kiln::all_passes()) text += fmt::format("  {:<18}  {}\n", p.name, p.summary);
  std::string pipeline;
  for (const kiln::Pass* p : kiln::default_pipeline()) pipeline += (pipeline.empty() ? "" : ",") + std::string(p->name);
  text += fmt::format("  {:<18}  {}\n", "default", pipeline);
  return text + kUsageTail;
}

struct Options {
  std::string input = "-";
  std::string output;  // empty: stdout
  bool locations = true;
  bool help = false;
  std::vector<std::string> grad;  // --grad: argument names, in order
  bool print_after_all = false;
  std::vector<const kiln::Pass*> passes;  // run in order on every function
  std::string emit = "graph";  // graph, kernels or cuda
};

// Appends the passes named in `list` (comma-separated; `default` is the default pipeline)
// to `passes`; returns an error message for an unknown or empty name, else "".
std::string parse_pass_list(std::string_view list, std::vector<const kiln::Pass*>& passes) {
  std::string known;
  for (const kiln::Pass& p : kiln::all_passes()) known += std::string(p.name) + ", ";
  known += "default";
  while (true) {
    size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    if (name == "default") {
      for (const kiln::Pass* p : kiln::default_pipeline()) passes.push_back(p);
    } else if (const kiln::Pass* p = kiln::find_pass(name)) {
      passes.push_back(p);
    } else {
      return fmt::format("unknown pass '{}' in --passes (known passes: {})", name, known);
    }
    if (comma == std::string_view::npos) return "";
    list.remove_prefix(comma + 1);
  }
}

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
    } else if (a.rfind("--grad=", 0) == 0) {
      std::string list = a.substr(7);
      for (size_t start = 0, comma; start <= list.size(); start = comma + 1) {
        comma = std::min(list.find(',', start), list.size());
        if (comma == start) return "empty argument name in '" + a + "'";
        o.grad.push_back(list.substr(start, comma - start));
      }
    } else if (a == "--print-after-all") {
      o.print_after_all = true;
    } else if (a.starts_with("--passes=")) {
      std::string error = parse_pass_list(std::string_view(a).substr(9), o.passes);
      if (!error.empty()) return error;
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

// --grad: each function with one scalar float result becomes its gradient function; the
// others stay as they are. Throws kiln::Error (an unknown argument name, no such function).
kiln::Module gradient_module(const kiln::Module& m, const std::vector<std::string>& wrt) {
  kiln::Module out;
  bool any = false;
  for (const kiln::Function& f : m.functions) {
    const bool scalar = f.results.size() == 1 && kiln::is_float(f.results[0]->dtype()) && f.results[0]->numel() == 1;
    any |= scalar;
    out.functions.push_back(scalar ? kiln::grad_function(f, wrt) : f);
  }
  if (!any) throw kiln::ValueError("--grad: no function has one scalar float result");
  return out;
}

// Runs o.passes on f, verifying after each pass (a pass whose output does not verify is a
// bug in it: the check names it and aborts); with --print-after-all, prints f after each.
kiln::Function run_pipeline(const Options& o, kiln::Function f) {
  kiln::PipelineOptions options;
  options.verify = true;
  if (o.print_after_all)
    options.after_pass = [&](std::string_view pass, const kiln::Function& after, double) {
      if (pass == "input") return;
      fmt::print(stderr, "// -----// IR Dump After {} (@{}) //----- //\n{}\n", pass, after.name,
                 kiln::print_function(after, kiln::PrintOptions{.locations = o.locations}));
    };
  return kiln::run_passes(std::move(f), o.passes, options);
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
    if (!o.grad.empty()) {
      m = gradient_module(m, o.grad);
      kiln::verify(m);
    }
    if (!o.passes.empty())
      for (kiln::Function& f : m.functions) f = run_pipeline(o, std::move(f));
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
    fmt::print(stderr, "kiln-opt: {}\n{}", usage_error, usage());
    return 2;
  }
  if (o.help) {
    fmt::print("{}", usage());
    return 0;
  }
  return run(o);
}
