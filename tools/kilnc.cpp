// kilnc: the offline kernel compiler. Reads graph IR in text form and writes one stage of its
// compilation (graph, optimised graph, kernels, LLVM IR, assembly, an object file with a C
// interface, its C header, a Graphviz picture), or runs a function on .npy files.
//
// This file reads the command line and maps outcomes to exit statuses: 0 done, 1 the input
// is wrong (`file:line:col: error: ...` or `FILE: error: ...` on stderr), 2 the command line
// is wrong (a usage text on stderr). Output files are written atomically (a temporary file
// renamed over OUT), so a failed run leaves no half-written object.
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "compiler/ir/error.hpp"
#include "runtime/atomic_file.hpp"
#include "tools/kilnc.hpp"
#ifdef KILN_HAVE_LLVM
#include "compiler/llvm/cpu_compiler.hpp"
#endif

namespace {

constexpr const char* kUsage = R"(usage: kilnc FILE.kir [--emit=KIND] [-o OUT] [options]
       kilnc run FILE.kir --in NAME=IN.npy ... --out OUT.npy ... [--func=NAME]
       kilnc --help

Compiles kiln graph IR (compiler/ir/text_format.md) ahead of time. FILE may be '-' (stdin).
A dim written as a name (f32[n,3]) is a size: outputs keep it symbolic, and the object
code takes it as an int64_t argument (see README.md, "kilnc").

options:
  --emit=KIND       what to write (default obj):
                      ir       the text, parsed, checked and printed back
                      opt      the text after the optimisation passes
                      kernels  the steps and kernel IR that obj holds
                      llvm     the optimised LLVM IR of obj
                      asm      its assembly
                      obj      an ELF object (position independent; needs -o)
                      header   the C header declaring obj's functions
                      dot      Graphviz picture of the kernels (every size bound)
                      cuda     CUDA C of the JIT's kernels (GPU: sizes are launch arguments)
                      ptx      that CUDA C compiled by NVRTC (loaded at run time)
                    e.g. kilnc f.kir --emit=obj -o f.o && kilnc f.kir --emit=header -o f.h
  -o OUT            write to OUT instead of stdout, atomically      e.g. -o f.o
  --target=CPU      host (default), x86-64-v3, x86-64-v4, or an LLVM CPU name;
                    for cuda and ptx a GPU architecture (default sm_90)
                                                                    e.g. --target=x86-64-v3
  -O0 -O1 -O2 -O3   LLVM optimisation level (default -O3)           e.g. -O2
  --grad=ARGS       add the gradient of each function with one scalar float result
                    w.r.t. the arguments ARGS (comma-separated): @f_grad
                                                                    e.g. --grad=x,w
  --size=NAME=N     bind size NAME to N instead of keeping it symbolic  e.g. --size=n=128
  --vector-math=M   none (default: the object calls scalar libm only) or libmvec (loops
                    call glibc's vector math; link with -lmvec)     e.g. --vector-math=libmvec
  --no-locations    leave loc("file":line) out of ir and opt outputs
  --help            print this text and exit

run options:
  --in NAME=FILE    the .npy file for argument %NAME (one per argument)  e.g. --in x=x.npy
  --out FILE        where result i goes, in order (one per result)    e.g. --out y.npy
  --func=NAME       the function to run when the text has several     e.g. --func=f

example:
  $ cat axpy.kir
  func @axpy(%x: f32[n], %y: f32[n]) -> f32[n] {
    %0 = literal {value = 2.0} : f32[]
    %1 = broadcast %0 : f32[n]
    %2 = mul %1, %x : f32[n]
    %3 = add %2, %y : f32[n]
    return %3
  }
  $ kilnc axpy.kir -o axpy.o && kilnc axpy.kir --emit=header -o axpy.h
  $ cc main.c axpy.o -lm        # main.c calls axpy(x, y, out, n, NULL)
  $ kilnc run axpy.kir --in x=x.npy --in y=y.npy --out out.npy

exit status: 0 success, 1 invalid input (error on stderr), 2 bad usage.
)";

constexpr const char* kEmitKinds[] = {"ir", "opt", "kernels", "llvm", "asm", "obj", "header", "dot", "cuda", "ptx"};

// The value of `--name=value` or `--name value` at argv[i] (advancing i), or null.
const char* option_value(const std::string& a, const char* name, int argc, char** argv, int& i, std::string& error) {
  const std::string n = name;
  if (a.rfind(n + "=", 0) == 0) return argv[i] + n.size() + 1;
  if (a != n) return nullptr;
  if (i + 1 == argc) {
    error = "missing value after " + n;
    return "";
  }
  return argv[++i];
}

std::string parse_value(const std::string& a, const char* v, kilnc::Options& o) {
  auto split = [&](std::string s, std::string& key, std::string& value) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size()) return false;
    key = s.substr(0, eq), value = s.substr(eq + 1);
    return true;
  };
  std::string key, value;
  if (a.rfind("--emit", 0) == 0) {
    if (std::find(std::begin(kEmitKinds), std::end(kEmitKinds), std::string(v)) == std::end(kEmitKinds))
      return "unknown --emit kind '" + std::string(v) + "'";
    o.emit = v;
  } else if (a.rfind("--target", 0) == 0) {
    o.cpu = std::string(v) == "host" ? "" : v;
#ifdef KILN_HAVE_LLVM
    if (!o.cpu.empty() && o.cpu.rfind("sm_", 0) != 0 && !kiln::llvm_backend::known_cpu(o.cpu)) return "unknown --target CPU '" + o.cpu + "'";
#endif
  } else if (a.rfind("--grad", 0) == 0) {
    std::string list = v;
    for (size_t start = 0, comma; start <= list.size(); start = comma + 1) {
      comma = std::min(list.find(',', start), list.size());
      if (comma == start) return "empty argument name in --grad=" + list;
      o.grad.push_back(list.substr(start, comma - start));
    }
  } else if (a.rfind("--size", 0) == 0) {
    char* end = nullptr;
    if (!split(v, key, value)) return "--size wants NAME=VALUE, not '" + std::string(v) + "'";
    errno = 0;
    long long n = std::strtoll(value.c_str(), &end, 10);
    if (errno || *end || n < 0) return "--size " + key + ": '" + value + "' is not a size";
    o.sizes[key] = n;
  } else if (a.rfind("--vector-math", 0) == 0) {
    if (std::string(v) != "none" && std::string(v) != "libmvec") return "--vector-math is none or libmvec";
    o.vector_math = std::string(v) == "libmvec";
  } else if (a.rfind("--in", 0) == 0) {
    if (!split(v, key, value)) return "--in wants NAME=FILE.npy, not '" + std::string(v) + "'";
    o.inputs.emplace_back(key, value);
  } else if (a.rfind("--out", 0) == 0) {
    if (!*v) return "empty file name after --out";
    o.outputs.emplace_back(v);
  } else if (a.rfind("--func", 0) == 0) {
    o.func = v[0] == '@' ? v + 1 : v;
  }
  return "";
}

// Fills `o` from the command line; returns an error message for bad usage, else "".
std::string parse_args(int argc, char** argv, kilnc::Options& o) {
  int first = 1;
  if (argc > 1 && std::string(argv[1]) == "run") {
    o.run = true;
    first = 2;
  }
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    std::string error;
    const char* v = nullptr;
    for (const char* name : {"--emit", "--target", "--grad", "--size", "--vector-math", "--in", "--out", "--func"})
      if ((v = option_value(a, name, argc, argv, i, error))) break;
    if (!error.empty()) return error;
    if (v) {
      const bool run_only = a.rfind("--in", 0) == 0 || a.rfind("--out", 0) == 0 || a.rfind("--func", 0) == 0;
      if (run_only != o.run) return "'" + a + "' is " + (o.run ? "not an option of kilnc run" : "an option of kilnc run");
      error = parse_value(a, v, o);
      if (!error.empty()) return error;
    } else if (a == "--help" || a == "-h") {
      o.help = true;
    } else if (a == "--no-locations") {
      o.locations = false;
    } else if (a.size() == 3 && a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3') {
      o.opt_level = a[2] - '0';
    } else if (a == "-o") {
      if (i + 1 == argc || !*argv[i + 1]) return "missing file name after -o";
      o.output = argv[++i];
    } else if (a.size() > 1 && a[0] == '-') {
      return "unknown option '" + a + "'";
    } else if (!o.input.empty()) {
      return "more than one input file ('" + o.input + "' and '" + a + "')";
    } else {
      o.input = a;
    }
  }
  if (o.help) return "";
  if (o.input.empty()) return "no input file";
  if (!o.run && o.emit == "obj" && o.output.empty()) return "--emit=obj writes binary data: give -o OUT";
  return "";
}

bool read_input(const std::string& path, std::string& text) {
  const bool is_stdin = path == "-";
  std::FILE* in = is_stdin ? stdin : std::fopen(path.c_str(), "rb");
  if (!in) {
    fmt::print(stderr, "kilnc: error: cannot open '{}': {}\n", path, std::strerror(errno));
    return false;
  }
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, in)) > 0) text.append(buf, n);
  const bool ok = !std::ferror(in);
  const int saved = errno;
  if (!is_stdin) std::fclose(in);
  if (!ok) fmt::print(stderr, "kilnc: error: cannot read '{}': {}\n", path, std::strerror(saved));
  return ok;
}

int write_output(const std::string& path, const std::string& data) {
  if (!path.empty()) {
    std::string error = kiln::detail::write_file_atomically(path, data);
    if (error.empty()) return 0;
    fmt::print(stderr, "kilnc: error: {}\n", error);
    return 1;
  }
  if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout) != 0) {
    fmt::print(stderr, "kilnc: error: cannot write to stdout\n");
    return 1;
  }
  return 0;
}

int compile_or_run(kilnc::Options& o) {
  std::string text;
  if (!read_input(o.input, text)) return 1;
  if (o.input == "-") o.input = "<stdin>";
  std::string out;
  try {
    if (o.run) {
      kilnc::run(o, text);
      return 0;
    }
    out = kilnc::emit(o, text);
  } catch (const kiln::ParseError& e) {
    fmt::print(stderr, "{}\n", e.what());
    return 1;
  } catch (const kiln::Error& e) {
    fmt::print(stderr, "{}: error: {}\n", o.input, e.what());
    return 1;
  }
  return write_output(o.output, out);
}

}  // namespace

int main(int argc, char** argv) {
  kilnc::Options o;
  std::string usage_error = parse_args(argc, argv, o);
  if (!usage_error.empty()) {
    fmt::print(stderr, "kilnc: {}\n{}", usage_error, kUsage);
    return 2;
  }
  if (o.help) {
    fmt::print("{}", kUsage);
    return 0;
  }
  return compile_or_run(o);
}
