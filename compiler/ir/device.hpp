// Where an array's elements live: host memory (`cpu`) or the memory of CUDA device i.
//
// A Device is plain data (a kind and an index). Every graph node carries one (Attrs::device),
// chosen by its builder (the frontend: the operands' device, else the default device). Buffers
// carry the device of their memory.
#pragma once

#include <cstdint>
#include <string>

namespace kiln {

enum class DeviceKind : uint8_t { Cpu, Cuda };

struct Device {
  DeviceKind kind = DeviceKind::Cpu;
  int index = 0;  // 0 for the cpu

  static constexpr Device cpu() { return {}; }
  static constexpr Device cuda(int index = 0) { return {DeviceKind::Cuda, index}; }
  constexpr bool is_cpu() const { return kind == DeviceKind::Cpu; }
  constexpr bool is_cuda() const { return kind == DeviceKind::Cuda; }
  bool operator==(const Device&) const = default;
  // "cpu" or "cuda:<index>" (the form KILN_DEVICE and parse_device() accept).
  std::string str() const { return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index); }
};

}  // namespace kiln
