// Loading libcuda.so.1 and binding the driver functions kiln uses.
//
// The load happens once per process (the handle is never closed: the driver keeps state of
// its own); a failure is remembered with its reason, so that every later call reports the
// same clear error instead of searching again.
#include "runtime/cuda_driver.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <mutex>

#include "compiler/ir/error.hpp"

namespace kiln::cuda_api {
namespace {

template <class F>
bool bind(void* handle, const char* name, F& fn, std::string& why) {
  fn = reinterpret_cast<F>(dlsym(handle, name));
  if (fn == nullptr) why = fmt::format("{} has no symbol {}", why, name);
  return fn != nullptr;
}

bool bind_all(void* h, Driver& d, std::string& why) {
  return bind(h, "cuInit", d.cuInit, why) && bind(h, "cuGetErrorName", d.cuGetErrorName, why) &&
         bind(h, "cuGetErrorString", d.cuGetErrorString, why) &&
         bind(h, "cuDriverGetVersion", d.cuDriverGetVersion, why) &&
         bind(h, "cuDeviceGetCount", d.cuDeviceGetCount, why) && bind(h, "cuDeviceGet", d.cuDeviceGet, why) &&
         bind(h, "cuDeviceGetName", d.cuDeviceGetName, why) &&
         bind(h, "cuDeviceGetAttribute", d.cuDeviceGetAttribute, why) &&
         bind(h, "cuDeviceTotalMem_v2", d.cuDeviceTotalMem, why) &&
         bind(h, "cuDevicePrimaryCtxRetain", d.cuDevicePrimaryCtxRetain, why) &&
         bind(h, "cuCtxSetCurrent", d.cuCtxSetCurrent, why) && bind(h, "cuMemGetInfo_v2", d.cuMemGetInfo, why) &&
         bind(h, "cuMemAlloc_v2", d.cuMemAlloc, why) && bind(h, "cuMemFree_v2", d.cuMemFree, why) &&
         bind(h, "cuMemHostAlloc", d.cuMemHostAlloc, why) && bind(h, "cuMemFreeHost", d.cuMemFreeHost, why) &&
         bind(h, "cuMemcpyHtoDAsync_v2", d.cuMemcpyHtoDAsync, why) &&
         bind(h, "cuMemcpyDtoHAsync_v2", d.cuMemcpyDtoHAsync, why) &&
         bind(h, "cuMemcpyDtoDAsync_v2", d.cuMemcpyDtoDAsync, why) &&
         bind(h, "cuStreamCreate", d.cuStreamCreate, why) &&
         bind(h, "cuStreamSynchronize", d.cuStreamSynchronize, why) &&
         bind(h, "cuEventCreate", d.cuEventCreate, why) && bind(h, "cuEventRecord", d.cuEventRecord, why) &&
         bind(h, "cuEventSynchronize", d.cuEventSynchronize, why) &&
         bind(h, "cuEventElapsedTime", d.cuEventElapsedTime, why) &&
         bind(h, "cuModuleLoadData", d.cuModuleLoadData, why) &&
         bind(h, "cuModuleGetFunction", d.cuModuleGetFunction, why) &&
         bind(h, "cuModuleUnload", d.cuModuleUnload, why) && bind(h, "cuLaunchKernel", d.cuLaunchKernel, why);
}

// Loads, binds and initialises the driver, or says why not.
std::unique_ptr<Driver> load(std::string& why) {
  const char* env = std::getenv("KILN_LIBCUDA");
  const std::string path = env != nullptr && *env != '\0' ? env : "libcuda.so.1";
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = dlerror();
    why = fmt::format("the CUDA driver could not be loaded from {}{}: {}", path,
                      env != nullptr && *env != '\0' ? " (KILN_LIBCUDA)" : "", err ? err : "not found");
    return nullptr;
  }
  auto d = std::make_unique<Driver>();
  d->library = path;
  why = path;
  if (!bind_all(handle, *d, why)) return nullptr;
  d->cuOccupancyMaxPotentialBlockSize = reinterpret_cast<decltype(d->cuOccupancyMaxPotentialBlockSize)>(
      dlsym(handle, "cuOccupancyMaxPotentialBlockSize"));
  if (CUresult r = d->cuInit(0); r != kSuccess) {
    const char* name = nullptr;
    d->cuGetErrorName(r, &name);
    why = fmt::format("the CUDA driver ({}) failed to initialise: cuInit returned {} ({})", path, r,
                      name ? name : "unknown error");
    return nullptr;
  }
  return d;
}

struct Loaded {
  std::unique_ptr<Driver> driver;
  std::string why;
};

const Loaded& loaded() {
  static const Loaded* l = [] {
    auto* out = new Loaded();  // never destroyed: the driver may be used during static destruction
    out->driver = load(out->why);
    return out;
  }();
  return *l;
}

}  // namespace

bool driver_available(std::string* why) {
  const Loaded& l = loaded();
  if (why != nullptr) *why = l.driver ? l.driver->library : l.why;
  return l.driver != nullptr;
}

const Driver& driver() {
  const Loaded& l = loaded();
  if (!l.driver) throw DeviceError("CUDA is not available: " + l.why);
  return *l.driver;
}

std::string error_text(CUresult r) {
  const Driver& d = driver();
  const char* name = nullptr;
  const char* text = nullptr;
  d.cuGetErrorName(r, &name);
  d.cuGetErrorString(r, &text);
  return fmt::format("{} ({})", name ? name : fmt::format("CUresult {}", r), text ? text : "no description");
}

void fail(CUresult r, const std::string& what) { throw DeviceError(fmt::format("{}: {}", what, error_text(r))); }

}  // namespace kiln::cuda_api
