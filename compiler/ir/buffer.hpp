// A block of host memory holding an array's elements, contiguous and row-major.
//
// Element storage: bool as one byte 0/1, f16/bf16 as their 16-bit patterns, the others as
// the native C++ type. A buffer either owns its memory or wraps memory the caller owns
// (with an optional deleter called when the last reference goes). A buffer of a CUDA device
// (device() not cpu) holds a device address: data(), the host pointer, checks that the buffer
// is on the cpu (reading device memory on the host is a bug that must not crash later, far
// away); address() gives the address on the buffer's own device, for launches and copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "compiler/ir/device.hpp"
#include "compiler/ir/dtype.hpp"
#include "compiler/ir/error.hpp"

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

  // The elements, for host code: the buffer must be on the cpu.
  void* data() {
    KILN_CHECK(device_.is_cpu()) << "host access to a buffer of " << device_.str() << " (" << bytes_ << " bytes)";
    return data_;
  }
  const void* data() const { return const_cast<Buffer*>(this)->data(); }
  // The memory's address on device(): a host pointer for the cpu, a device address otherwise.
  void* address() const { return data_; }
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
