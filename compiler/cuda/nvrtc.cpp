// Loading NVRTC with dlopen and compiling through it.
//
// The library is loaded once per process (the handle is never closed: NVRTC keeps state of
// its own). A failed load is remembered with its reason, so every later call reports the same
// error instead of searching again. Each compile is one nvrtcProgram, destroyed on every path.
#include "compiler/cuda/nvrtc.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <mutex>

#include "compiler/ir/error.hpp"

namespace kiln::cuda {
namespace {

// From nvrtc.h: nvrtcResult is an enum whose 0 is NVRTC_SUCCESS; nvrtcProgram is a pointer.
using nvrtcResult = int;
using nvrtcProgram = struct NvrtcProgramOpaque*;
constexpr nvrtcResult kNvrtcSuccess = 0;

struct NvrtcApi {
  std::string library;
  const char* (*get_error_string)(nvrtcResult) = nullptr;
  nvrtcResult (*version)(int*, int*) = nullptr;
  nvrtcResult (*create_program)(nvrtcProgram*, const char*, const char*, int, const char* const*,
                                const char* const*) = nullptr;
  nvrtcResult (*destroy_program)(nvrtcProgram*) = nullptr;
  nvrtcResult (*compile_program)(nvrtcProgram, int, const char* const*) = nullptr;
  nvrtcResult (*get_ptx_size)(nvrtcProgram, size_t*) = nullptr;
  nvrtcResult (*get_ptx)(nvrtcProgram, char*) = nullptr;
  nvrtcResult (*get_cubin_size)(nvrtcProgram, size_t*) = nullptr;
  nvrtcResult (*get_cubin)(nvrtcProgram, char*) = nullptr;
  nvrtcResult (*get_log_size)(nvrtcProgram, size_t*) = nullptr;
  nvrtcResult (*get_log)(nvrtcProgram, char*) = nullptr;
};

template <class F>
bool bind(void* handle, const char* name, F& fn, std::string& why) {
  fn = reinterpret_cast<F>(dlsym(handle, name));
  if (fn == nullptr) why = fmt::format("{} has no symbol {}", why, name);
  return fn != nullptr;
}

// Loads and binds the library, or says why not.
std::unique_ptr<NvrtcApi> load(std::string& why) {
  std::vector<std::string> candidates;
  const char* env = std::getenv("KILN_LIBNVRTC");
  if (env != nullptr && *env != '\0') {
    candidates = {env};
  } else {
    candidates = {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "/usr/local/cuda/lib64/libnvrtc.so"};
  }
  void* handle = nullptr;
  std::string tried;
  std::string loaded;
  for (const std::string& c : candidates) {
    handle = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle != nullptr) {
      loaded = c;
      break;
    }
    const char* err = dlerror();
    tried += fmt::format("\n  {}: {}", c, err ? err : "not found");
  }
  if (handle == nullptr) {
    why = fmt::format("NVRTC could not be loaded{}; tried:{}", env && *env ? " from KILN_LIBNVRTC" : "", tried);
    return nullptr;
  }
  auto api = std::make_unique<NvrtcApi>();
  api->library = loaded;
  why = loaded;
  bool ok = bind(handle, "nvrtcGetErrorString", api->get_error_string, why) &&
            bind(handle, "nvrtcVersion", api->version, why) &&
            bind(handle, "nvrtcCreateProgram", api->create_program, why) &&
            bind(handle, "nvrtcDestroyProgram", api->destroy_program, why) &&
            bind(handle, "nvrtcCompileProgram", api->compile_program, why) &&
            bind(handle, "nvrtcGetPTXSize", api->get_ptx_size, why) && bind(handle, "nvrtcGetPTX", api->get_ptx, why) &&
            bind(handle, "nvrtcGetCUBINSize", api->get_cubin_size, why) &&
            bind(handle, "nvrtcGetCUBIN", api->get_cubin, why) &&
            bind(handle, "nvrtcGetProgramLogSize", api->get_log_size, why) &&
            bind(handle, "nvrtcGetProgramLog", api->get_log, why);
  if (!ok) {
    why = "NVRTC at " + why + " (not a usable NVRTC)";
    dlclose(handle);
    return nullptr;
  }
  why.clear();
  return api;
}

struct Loaded {
  std::unique_ptr<NvrtcApi> api;
  std::string why;
};

const Loaded& loaded() {
  static Loaded* l = [] {
    auto* x = new Loaded;  // never destroyed: compiles may run during static destruction
    x->api = load(x->why);
    return x;
  }();
  return *l;
}

const NvrtcApi& api() {
  const Loaded& l = loaded();
  if (!l.api) throw RuntimeError(l.why);
  return *l.api;
}

void check(const NvrtcApi& a, nvrtcResult r, const char* what) {
  if (r != kNvrtcSuccess) throw RuntimeError(fmt::format("NVRTC: {} failed: {}", what, a.get_error_string(r)));
}

// Owns an nvrtcProgram.
class Program {
 public:
  Program(const NvrtcApi& a, const std::string& source, const std::string& name) : a_(a) {
    check(a_, a_.create_program(&p_, source.c_str(), name.c_str(), 0, nullptr, nullptr), "nvrtcCreateProgram");
  }
  ~Program() { a_.destroy_program(&p_); }
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;
  nvrtcProgram get() const { return p_; }

  std::string log() const {
    size_t n = 0;
    check(a_, a_.get_log_size(p_, &n), "nvrtcGetProgramLogSize");
    std::string s(n, '\0');
    if (n > 0) check(a_, a_.get_log(p_, s.data()), "nvrtcGetProgramLog");
    while (!s.empty() && (s.back() == '\0' || s.back() == '\n')) s.pop_back();
    return s;
  }

 private:
  const NvrtcApi& a_;
  nvrtcProgram p_ = nullptr;
};

}  // namespace

bool nvrtc_available(std::string* why) {
  const Loaded& l = loaded();
  if (why != nullptr) *why = l.why;
  return l.api != nullptr;
}

NvrtcVersion nvrtc_version() {
  const NvrtcApi& a = api();
  NvrtcVersion v;
  check(a, a.version(&v.major, &v.minor), "nvrtcVersion");
  return v;
}

std::string nvrtc_library() { return api().library; }

std::vector<std::string> nvrtc_options(int arch, bool cubin) {
  return {fmt::format("--gpu-architecture={}_{}", cubin ? "sm" : "compute", arch), "--std=c++17", "--fmad=false",
          "--prec-div=true", "--prec-sqrt=true", "--ftz=false"};
}

NvrtcOutput nvrtc_compile(const std::string& source, const std::string& name, int arch, bool cubin) {
  const NvrtcApi& a = api();
  Program prog(a, source, name);
  std::vector<std::string> options = nvrtc_options(arch, cubin);
  std::vector<const char*> argv;
  for (const std::string& o : options) argv.push_back(o.c_str());
  const nvrtcResult r = a.compile_program(prog.get(), static_cast<int>(argv.size()), argv.data());
  NvrtcOutput out;
  out.log = prog.log();
  if (r != kNvrtcSuccess)
    throw NvrtcError(fmt::format("NVRTC could not compile {} for sm_{} ({}):\n{}", name, arch, a.get_error_string(r),
                                 out.log));
  size_t n = 0;
  check(a, a.get_ptx_size(prog.get(), &n), "nvrtcGetPTXSize");
  out.ptx.assign(n, '\0');
  check(a, a.get_ptx(prog.get(), out.ptx.data()), "nvrtcGetPTX");
  while (!out.ptx.empty() && out.ptx.back() == '\0') out.ptx.pop_back();
  if (cubin) {
    check(a, a.get_cubin_size(prog.get(), &n), "nvrtcGetCUBINSize");
    out.cubin.resize(n);
    if (n > 0) check(a, a.get_cubin(prog.get(), out.cubin.data()), "nvrtcGetCUBIN");
  }
  return out;
}

}  // namespace kiln::cuda
