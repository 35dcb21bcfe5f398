// The CUDA driver API (libcuda.so.1), loaded with dlopen on first use and never linked, so
// kiln builds without CUDA headers and loads and runs where there is no driver or GPU. The
// library is KILN_LIBCUDA when set (that path only), else libcuda.so.1 from the loader's
// search path. Only the functions kiln calls are declared, with their C signatures from
// cuda.h (the `_v2` entry points where cuda.h maps the plain names to them).
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <string>

namespace kiln::cuda_api {

using CUresult = int;  // 0 is CUDA_SUCCESS
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st*;
using CUmodule = struct CUmod_st*;
using CUfunction = struct CUfunc_st*;
using CUstream = struct CUstream_st*;
using CUevent = struct CUevent_st*;
using CUoccupancyB2DSize = size_t (*)(int block_size);

constexpr CUresult kSuccess = 0;
constexpr CUresult kErrorOutOfMemory = 2;
constexpr int kAttrMultiprocessorCount = 16;
constexpr int kAttrComputeCapabilityMajor = 75;
constexpr int kAttrComputeCapabilityMinor = 76;
constexpr unsigned kMemHostAllocPortable = 1;
constexpr unsigned kStreamNonBlocking = 1;

struct Driver {
  std::string library;  // what was loaded
  CUresult (*cuInit)(unsigned) = nullptr;
  CUresult (*cuGetErrorName)(CUresult, const char**) = nullptr;
  CUresult (*cuGetErrorString)(CUresult, const char**) = nullptr;
  CUresult (*cuDriverGetVersion)(int*) = nullptr;
  CUresult (*cuDeviceGetCount)(int*) = nullptr;
  CUresult (*cuDeviceGet)(CUdevice*, int) = nullptr;
  CUresult (*cuDeviceGetName)(char*, int, CUdevice) = nullptr;
  CUresult (*cuDeviceGetAttribute)(int*, int, CUdevice) = nullptr;
  CUresult (*cuDeviceTotalMem)(size_t*, CUdevice) = nullptr;  // _v2
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext*, CUdevice) = nullptr;
  CUresult (*cuCtxSetCurrent)(CUcontext) = nullptr;
  CUresult (*cuMemGetInfo)(size_t*, size_t*) = nullptr;           // _v2
  CUresult (*cuMemAlloc)(CUdeviceptr*, size_t) = nullptr;         // _v2
  CUresult (*cuMemFree)(CUdeviceptr) = nullptr;                   // _v2
  CUresult (*cuMemHostAlloc)(void**, size_t, unsigned) = nullptr;
  CUresult (*cuMemFreeHost)(void*) = nullptr;
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr, const void*, size_t, CUstream) = nullptr;  // _v2
  CUresult (*cuMemcpyDtoHAsync)(void*, CUdeviceptr, size_t, CUstream) = nullptr;        // _v2
  CUresult (*cuMemcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream) = nullptr;  // _v2
  CUresult (*cuStreamCreate)(CUstream*, unsigned) = nullptr;
  CUresult (*cuStreamSynchronize)(CUstream) = nullptr;
  CUresult (*cuEventCreate)(CUevent*, unsigned) = nullptr;
  CUresult (*cuEventRecord)(CUevent, CUstream) = nullptr;
  CUresult (*cuEventSynchronize)(CUevent) = nullptr;
  CUresult (*cuEventElapsedTime)(float*, CUevent, CUevent) = nullptr;
  CUresult (*cuModuleLoadData)(CUmodule*, const void*) = nullptr;
  CUresult (*cuModuleGetFunction)(CUfunction*, CUmodule, const char*) = nullptr;
  CUresult (*cuModuleUnload)(CUmodule) = nullptr;
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                             CUstream, void**, void**) = nullptr;
  // Optional (may be null): the block size with the best occupancy.
  CUresult (*cuOccupancyMaxPotentialBlockSize)(int*, int*, CUfunction, CUoccupancyB2DSize, size_t, int) = nullptr;
};

// Whether the driver loads and initialises; when not, `why` (if given) says what was tried
// and what failed. Never throws.
bool driver_available(std::string* why = nullptr);
// The loaded and initialised driver; throws DeviceError (with the reason) when there is none.
const Driver& driver();
// Throws DeviceError "<what>: <error name> (<description>)".
[[noreturn]] void fail(CUresult r, const std::string& what);
// fail(r, the formatted message) unless r is success; the message is formatted only then,
// since driver calls on the launch path are checked on every launch.
template <class... A>
void check(CUresult r, fmt::format_string<A...> what, A&&... args) {
  if (r != kSuccess) [[unlikely]]
    fail(r, fmt::format(what, std::forward<A>(args)...));
}
// The error's name and description ("CUDA_ERROR_OUT_OF_MEMORY (out of memory)").
std::string error_text(CUresult r);

}  // namespace kiln::cuda_api
