// CUDA device discovery, properties and per-device contexts and streams.
//
// Device states are created on first use under a lock and never destroyed (the driver tears
// contexts down at exit; kernels and buffers may be released during static destruction).
// The primary context is made current on the calling thread at every entry, which costs a
// few nanoseconds when it already is.
#include "runtime/cuda_device_state.hpp"

#include <fmt/format.h>

#include <array>
#include <memory>
#include <mutex>

#include "compiler/ir/error.hpp"

namespace kiln {
namespace {

using namespace cuda_api;

constexpr int kMaxDevices = 64;

struct DeviceTable {
  std::mutex mu;
  std::array<std::unique_ptr<detail::CudaDeviceState>, kMaxDevices> states;
};

DeviceTable& table() {
  static DeviceTable* t = new DeviceTable();
  return *t;
}

int attribute(const Driver& d, int attr, CUdevice dev, const char* what) {
  int v = 0;
  check(d.cuDeviceGetAttribute(&v, attr, dev), "cuDeviceGetAttribute({})", what);
  return v;
}

std::unique_ptr<detail::CudaDeviceState> create_state(int index) {
  const Driver& d = driver();
  auto s = std::make_unique<detail::CudaDeviceState>();
  s->index = index;
  check(d.cuDeviceGet(&s->device, index), "cuda:{}: cuDeviceGet", index);
  CudaDeviceProperties& p = s->properties;
  p.index = index;
  char name[256] = {};
  check(d.cuDeviceGetName(name, sizeof name - 1, s->device), "cuda:{}: cuDeviceGetName", index);
  p.name = name;
  p.major = attribute(d, kAttrComputeCapabilityMajor, s->device, "compute capability major");
  p.minor = attribute(d, kAttrComputeCapabilityMinor, s->device, "compute capability minor");
  p.multiprocessors = attribute(d, kAttrMultiprocessorCount, s->device, "multiprocessor count");
  size_t total = 0;
  check(d.cuDeviceTotalMem(&total, s->device), "cuda:{}: cuDeviceTotalMem", index);
  p.total_memory = static_cast<int64_t>(total);
  check(d.cuDevicePrimaryCtxRetain(&s->context, s->device), "cuda:{}: cuDevicePrimaryCtxRetain", index);
  check(d.cuCtxSetCurrent(s->context), "cuda:{}: cuCtxSetCurrent", index);
  // Non-blocking: kiln's stream does not wait for work that other libraries put on the
  // legacy default stream, nor they for kiln's.
  check(d.cuStreamCreate(&s->stream, kStreamNonBlocking), "cuda:{}: cuStreamCreate", index);
  return s;
}

}  // namespace

int cuda_device_count() {
  if (!driver_available()) return 0;
  int n = 0;
  if (driver().cuDeviceGetCount(&n) != kSuccess) return 0;
  return n;
}

bool cuda_available(std::string* why) {
  std::string reason;
  if (!driver_available(&reason)) {
    if (why != nullptr) *why = reason;
    return false;
  }
  int n = cuda_device_count();
  if (n == 0 && why != nullptr) *why = fmt::format("the CUDA driver ({}) reports no device", reason);
  return n > 0;
}

namespace detail {

CudaDeviceState& cuda_device(int index) {
  const Driver& d = driver();  // throws when there is no driver
  DeviceTable& t = table();
  CudaDeviceState* s = nullptr;
  {
    std::lock_guard<std::mutex> lock(t.mu);
    if (index < 0 || index >= kMaxDevices || !t.states[static_cast<size_t>(index)]) {
      int count = cuda_device_count();
      if (index < 0 || index >= count)
        throw DeviceError(fmt::format("cuda:{}: no such device ({} CUDA device{} present)", index, count,
                                      count == 1 ? "" : "s"));
      t.states[static_cast<size_t>(index)] = create_state(index);
    }
    s = t.states[static_cast<size_t>(index)].get();
  }
  check(d.cuCtxSetCurrent(s->context), "cuda:{}: cuCtxSetCurrent", index);
  return *s;
}

}  // namespace detail

CudaDeviceProperties cuda_device_properties(int index) { return detail::cuda_device(index).properties; }

int64_t cuda_free_memory(int index) {
  detail::cuda_device(index);
  size_t free = 0, total = 0;
  check(driver().cuMemGetInfo(&free, &total), "cuda:{}: cuMemGetInfo", index);
  return static_cast<int64_t>(free);
}

void cuda_synchronize(int index) {
  detail::CudaDeviceState& s = detail::cuda_device(index);
  check(driver().cuStreamSynchronize(s.stream), "cuda:{}: cuStreamSynchronize", index);
}

}  // namespace kiln
