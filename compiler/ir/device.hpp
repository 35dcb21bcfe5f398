// Where an array's elements live: host memory (`cpu`) or the memory of CUDA device i.
//
// A Device is plain data (a kind and an index). Every graph node carries one (Attrs::device),
// chosen by its builder (the frontend: the operands' device, else the default device). Buffers
// carry the device of their memory.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

// The device `text` names: "cpu", "cuda" (= cuda:0) or "cuda:N"; nullopt for anything else.
inline std::optional<Device> device_from_string(std::string_view text) {
  if (text == "cpu") return Device::cpu();
  if (text == "cuda") return Device::cuda(0);
  if (text.rfind("cuda:", 0) != 0) return std::nullopt;
  std::string_view digits = text.substr(5);
  int index = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || index < 0) return std::nullopt;
  return Device::cuda(index);
}

}  // namespace kiln
