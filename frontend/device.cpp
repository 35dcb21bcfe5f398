// The default device (a thread-local value saved and restored by DeviceScope) and parsing
// device names.
#include "frontend/device.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>

#include "compiler/ir/error.hpp"

namespace kiln {
namespace {

Device env_default() {
  static const Device d = [] {
    const char* v = std::getenv("KILN_DEVICE");
    if (v == nullptr || *v == '\0') return Device::cpu();
    try {
      return parse_device(v);
    } catch (const ValueError& e) {
      throw ValueError(fmt::format("KILN_DEVICE: {}", e.what()));
    }
  }();
  return d;
}

// Unset until this thread's first scope: then the environment's default is used.
thread_local bool t_scoped = false;
thread_local Device t_device;

}  // namespace

Device default_device() { return t_scoped ? t_device : env_default(); }

Device parse_device(std::string_view text) {
  if (std::optional<Device> d = device_from_string(text)) return *d;
  throw ValueError(fmt::format("unknown device '{}' (expected cpu, cuda or cuda:N)", text));
}

void check_device(Device d) {
  switch (d.kind) {
    case DeviceKind::Cpu: return;
    case DeviceKind::Cuda: {
      cuda_device_properties(d.index);  // throws DeviceError for a missing driver or device
      return;
    }
  }
}

DeviceScope::DeviceScope(Device device) : previous_(default_device()) {
  check_device(device);
  t_scoped = true;
  t_device = device;
}

DeviceScope::~DeviceScope() {
  t_device = previous_;
}

}  // namespace kiln
