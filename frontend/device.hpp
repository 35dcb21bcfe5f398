// Devices for users: where arrays live and where their operations run.
//
// Every Array has a device (a.device()): Device::cpu() or Device::cuda(i). Operations run on
// the device of their array operands, which must all be the same (C++ numbers and 0-d
// `scalar()` literals go with anything); mixing throws DeviceError naming both devices when
// the op is built. Arrays made from nothing (zeros, arange, random, from_vector, ...) go to
// the default device: the innermost DeviceScope of this thread, else KILN_DEVICE (`cpu`,
// `cuda` = `cuda:0`, `cuda:N`; read once), else the cpu.
//
// a.to(device) copies eagerly: it evaluates `a` and returns an evaluated array on `device`.
// Reading values on the host (item, to_vector, printing) works for arrays on any device: a
// CUDA array's elements are copied back, after the work queued before them (this waits for
// the device). data() and buffer() hand out host pointers and so throw DeviceError for an
// array on a GPU: move it first with a.to(Device::cpu()).
#pragma once

#include <string>
#include <string_view>

#include "compiler/ir/device.hpp"
#include "runtime/cuda_device.hpp"

namespace kiln {

// The device new source arrays go to on this thread.
Device default_device();
// "cpu", "cuda" (= cuda:0) or "cuda:N"; throws ValueError otherwise.
Device parse_device(std::string_view text);

// Sets the default device of this thread until destroyed (scopes nest; destroy in reverse).
// Checks that the device exists (DeviceError otherwise).
class DeviceScope {
 public:
  explicit DeviceScope(Device device);
  ~DeviceScope();
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  Device previous_;
};

// Throws DeviceError unless `d` can be used now (the cpu always; cuda:i when the driver is
// there and has device i).
void check_device(Device d);

}  // namespace kiln
