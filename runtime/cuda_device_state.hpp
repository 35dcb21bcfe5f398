// The per-device runtime state behind cuda_device.hpp: the driver's device, its primary
// context and kiln's stream on it. Internal to runtime/.
#pragma once

#include "runtime/cuda_device.hpp"
#include "runtime/cuda_driver.hpp"

namespace kiln::detail {

struct CudaDeviceState {
  int index = 0;
  cuda_api::CUdevice device = 0;
  cuda_api::CUcontext context = nullptr;
  cuda_api::CUstream stream = nullptr;
  CudaDeviceProperties properties;
};

// The state of cuda:index, created on first use (DeviceError when there is no driver or no
// such device); makes its context current on the calling thread.
CudaDeviceState& cuda_device(int index);

}  // namespace kiln::detail
