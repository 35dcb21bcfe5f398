// A block of host memory holding an array's elements, contiguous and row-major.
//
// Element storage: bool as one byte 0/1, f16/bf16 as their 16-bit patterns, the others as
// the native C++ type. A buffer either owns its memory or wraps memory the caller owns
// (with an optional deleter called when the last reference goes). A buffer of a CUDA device
// (device() not cpu) holds a device address in data(): only the runtime may dereference it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "compiler/ir/device.hpp"
#include "compiler/ir/dtype.hpp"

namespace kiln {

class Buffer {
 public:
  // Zero-initialised owned memory, 64-byte aligned.
  static std::shared_ptr<Buffer> allocate(size_t bytes);
  // Wraps caller memory; `release` (may be empty) runs when the buffer dies.
  static std::shared_ptr<Buffer> wrap(void* data, size_t bytes, std::function<void(void*)> release);
  // Wraps memory of `device` (a device address for CUDA); `release` frees it.
  static std::shared_ptr<Buffer> wrap_device(void* data, size_t bytes, Device device,
                                             std::function<void(void*)> release);

  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer();

  void* data() { return data_; }
  const void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  bool owned() const { return owned_; }
  Device device() const { return device_; }

 private:
  Buffer(void* data, size_t bytes, bool owned, std::function<void(void*)> release)
      : data_(data), bytes_(bytes), owned_(owned), release_(std::move(release)) {}
  Buffer(void* data, size_t bytes, Device device, std::function<void(void*)> release)
      : data_(data), bytes_(bytes), owned_(false), device_(device), release_(std::move(release)) {}
  void* data_;
  size_t bytes_;
  bool owned_;
  Device device_;
  std::function<void(void*)> release_;
};

using BufferPtr = std::shared_ptr<Buffer>;

}  // namespace kiln
