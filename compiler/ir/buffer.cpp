// Host buffers: aligned owned memory or wrapped caller memory.
#include "compiler/ir/buffer.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace kiln {

std::shared_ptr<Buffer> Buffer::allocate(size_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, rounded == 0 ? 64 : rounded);
  return std::shared_ptr<Buffer>(new Buffer(p, bytes, true, {}));
}

std::shared_ptr<Buffer> Buffer::wrap(void* data, size_t bytes, std::function<void(void*)> release) {
  return std::shared_ptr<Buffer>(new Buffer(data, bytes, false, std::move(release)));
}

std::shared_ptr<Buffer> Buffer::wrap_device(void* data, size_t bytes, Device device,
                                            std::function<void(void*)> release) {
  return std::shared_ptr<Buffer>(new Buffer(data, bytes, device, std::move(release)));
}

Buffer::~Buffer() {
  if (owned_)
    std::free(data_);
  else if (release_)
    release_(data_);
}

}  // namespace kiln
