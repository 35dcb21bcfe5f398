// The caching device allocator and host<->device copies (see cuda_device.hpp).
//
// Free lists are per device and per size class, under the device's lock. Reuse needs no
// synchronisation: a block freed by the host may still be read by queued work, but all work
// runs on the device's one stream in order, so the next user of the block runs after it.
// Copies through pinned staging use two halves of a staging buffer and an event per half:
// the host fills one half while the other half's copy runs.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "compiler/ir/error.hpp"
#include "runtime/cuda_device_state.hpp"

namespace kiln {
namespace {

using namespace cuda_api;

constexpr size_t kMinBlock = 512;
constexpr size_t kLargeStep = size_t{2} << 20;
constexpr size_t kStagingThreshold = size_t{1} << 20;  // transfers from this size use pinned staging
constexpr size_t kStagingHalf = size_t{8} << 20;

struct Pool {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<CUdeviceptr>> free;  // by block size
  size_t free_bytes = 0;
  size_t allocated_bytes = 0;  // obtained from cuMemAlloc and not yet returned to the driver
  // Pinned staging: two halves and an event each, created on the first large transfer.
  std::mutex staging_mu;
  void* staging = nullptr;
  std::array<CUevent, 2> staged{};
};

Pool& pool(int index) {
  static std::array<Pool, 64>* pools = new std::array<Pool, 64>();  // never destroyed, as device states
  return (*pools)[static_cast<size_t>(index)];
}

std::string mib(size_t bytes) { return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20)); }

// Returns every cached block to the driver (pool lock held). Waits for the stream first:
// cuMemFree must not pull memory from under queued work.
void release_cache(detail::CudaDeviceState& s, Pool& p) {
  const Driver& d = driver();
  check(d.cuStreamSynchronize(s.stream), "cuda:{}: cuStreamSynchronize", s.index);
  for (auto& [size, blocks] : p.free) {
    for (CUdeviceptr b : blocks) {
      check(d.cuMemFree(b), "cuda:{}: cuMemFree", s.index);
      p.allocated_bytes -= size;
    }
  }
  p.free.clear();
  p.free_bytes = 0;
}

// A block of exactly `size` bytes (pool lock held): from the free list, else new; on
// out-of-memory the cache is released and the allocation tried once more.
CUdeviceptr take_block(detail::CudaDeviceState& s, Pool& p, size_t size, size_t asked) {
  auto it = p.free.find(size);
  if (it != p.free.end() && !it->second.empty()) {
    CUdeviceptr b = it->second.back();
    it->second.pop_back();
    p.free_bytes -= size;
    return b;
  }
  const Driver& d = driver();
  CUdeviceptr b = 0;
  CUresult r = d.cuMemAlloc(&b, size);
  if (r == kErrorOutOfMemory && p.free_bytes > 0) {
    release_cache(s, p);
    r = d.cuMemAlloc(&b, size);
  }
  if (r == kErrorOutOfMemory) {
    size_t free = 0, total = 0;
    d.cuMemGetInfo(&free, &total);
    throw DeviceError(fmt::format("cuda:{}: out of memory allocating {} bytes ({}; block {}): {} free of {}, "
                                  "{} held by kiln's arrays (cache released and retried)",
                                  s.index, asked, mib(asked), mib(size), mib(free), mib(total),
                                  mib(p.allocated_bytes)));
  }
  check(r, "cuda:{}: cuMemAlloc({} bytes)", s.index, size);
  p.allocated_bytes += size;
  return b;
}

void give_back(int index, CUdeviceptr b, size_t size) {
  Pool& p = pool(index);
  std::lock_guard<std::mutex> lock(p.mu);
  p.free[size].push_back(b);
  p.free_bytes += size;
}

// The pinned staging buffer of the device (staging lock held).
void ensure_staging(detail::CudaDeviceState& s, Pool& p) {
  if (p.staging != nullptr) return;
  const Driver& d = driver();
  check(d.cuMemHostAlloc(&p.staging, 2 * kStagingHalf, kMemHostAllocPortable),
        "cuda:{}: cuMemHostAlloc({} bytes of pinned staging)", s.index, 2 * kStagingHalf);
  for (CUevent& e : p.staged) check(d.cuEventCreate(&e, 0), "cuda:{}: cuEventCreate", s.index);
}

void staged_upload(detail::CudaDeviceState& s, CUdeviceptr dst, const char* src, size_t bytes) {
  Pool& p = pool(s.index);
  std::lock_guard<std::mutex> lock(p.staging_mu);
  ensure_staging(s, p);
  const Driver& d = driver();
  for (size_t off = 0, chunk = 0; off < bytes; off += kStagingHalf, ++chunk) {
    const size_t n = std::min(kStagingHalf, bytes - off), half = chunk % 2;
    char* stage = static_cast<char*>(p.staging) + half * kStagingHalf;
    if (chunk >= 2) check(d.cuEventSynchronize(p.staged[half]), "cuda:{}: cuEventSynchronize", s.index);
    std::memcpy(stage, src + off, n);
    check(d.cuMemcpyHtoDAsync(dst + off, stage, n, s.stream), "cuda:{}: cuMemcpyHtoDAsync", s.index);
    check(d.cuEventRecord(p.staged[half], s.stream), "cuda:{}: cuEventRecord", s.index);
  }
  check(d.cuStreamSynchronize(s.stream), "cuda:{}: cuStreamSynchronize", s.index);
}

void staged_download(detail::CudaDeviceState& s, char* dst, CUdeviceptr src, size_t bytes) {
  Pool& p = pool(s.index);
  std::lock_guard<std::mutex> lock(p.staging_mu);
  ensure_staging(s, p);
  const Driver& d = driver();
  // Queue the first two chunks, then drain each when its event fires and queue the next.
  const size_t chunks = (bytes + kStagingHalf - 1) / kStagingHalf;
  auto queue = [&](size_t c) {
    const size_t off = c * kStagingHalf, n = std::min(kStagingHalf, bytes - off);
    char* stage = static_cast<char*>(p.staging) + (c % 2) * kStagingHalf;
    check(d.cuMemcpyDtoHAsync(stage, src + off, n, s.stream), "cuda:{}: cuMemcpyDtoHAsync", s.index);
    check(d.cuEventRecord(p.staged[c % 2], s.stream), "cuda:{}: cuEventRecord", s.index);
  };
  for (size_t c = 0; c < std::min<size_t>(2, chunks); ++c) queue(c);
  for (size_t c = 0; c < chunks; ++c) {
    check(d.cuEventSynchronize(p.staged[c % 2]), "cuda:{}: cuEventSynchronize", s.index);
    const size_t off = c * kStagingHalf, n = std::min(kStagingHalf, bytes - off);
    std::memcpy(dst + off, static_cast<char*>(p.staging) + (c % 2) * kStagingHalf, n);
    if (c + 2 < chunks) queue(c + 2);
  }
}

CUdeviceptr address(const Buffer& b) { return reinterpret_cast<CUdeviceptr>(b.address()); }

}  // namespace

size_t cuda_block_size(size_t bytes) {
  if (bytes <= kMinBlock) return kMinBlock;
  if (bytes <= (size_t{1} << 20)) return std::bit_ceil(bytes);
  return (bytes + kLargeStep - 1) / kLargeStep * kLargeStep;
}

BufferPtr cuda_allocate(int index, size_t bytes) {
  detail::CudaDeviceState& s = detail::cuda_device(index);
  Pool& p = pool(index);
  const size_t size = cuda_block_size(bytes);
  CUdeviceptr b;
  {
    std::lock_guard<std::mutex> lock(p.mu);
    b = take_block(s, p, size, bytes);
  }
  return Buffer::wrap_device(reinterpret_cast<void*>(b), bytes, Device::cuda(index),
                             [index, size](void* ptr) { give_back(index, reinterpret_cast<CUdeviceptr>(ptr), size); });
}

void cuda_allocator_trim(int index) {
  detail::CudaDeviceState& s = detail::cuda_device(index);
  Pool& p = pool(index);
  std::lock_guard<std::mutex> lock(p.mu);
  release_cache(s, p);
}

size_t cuda_cache_free_bytes(int index) {
  Pool& p = pool(index);
  std::lock_guard<std::mutex> lock(p.mu);
  return p.free_bytes;
}

size_t cuda_bytes_allocated(int index) {
  Pool& p = pool(index);
  std::lock_guard<std::mutex> lock(p.mu);
  return p.allocated_bytes;
}

BufferPtr cuda_upload(int index, const void* host, size_t bytes) {
  BufferPtr out = cuda_allocate(index, bytes);
  if (bytes == 0) return out;
  detail::CudaDeviceState& s = detail::cuda_device(index);
  if (bytes >= kStagingThreshold) {
    staged_upload(s, address(*out), static_cast<const char*>(host), bytes);
    return out;
  }
  // Small copies from pageable memory: the driver stages them itself; wait so that the
  // caller may release its memory.
  const Driver& d = driver();
  check(d.cuMemcpyHtoDAsync(address(*out), host, bytes, s.stream), "cuda:{}: cuMemcpyHtoDAsync", index);
  check(d.cuStreamSynchronize(s.stream), "cuda:{}: cuStreamSynchronize", index);
  return out;
}

void cuda_download(const Buffer& src, void* host, size_t bytes) {
  KILN_CHECK(src.device().is_cuda() && bytes <= src.bytes()) << "cuda_download of a " << src.device().str()
                                                              << " buffer of " << src.bytes() << " bytes";
  if (bytes == 0) return;
  detail::CudaDeviceState& s = detail::cuda_device(src.device().index);
  if (bytes >= kStagingThreshold) return staged_download(s, static_cast<char*>(host), address(src), bytes);
  const Driver& d = driver();
  check(d.cuMemcpyDtoHAsync(host, address(src), bytes, s.stream), "cuda:{}: cuMemcpyDtoHAsync", s.index);
  check(d.cuStreamSynchronize(s.stream), "cuda:{}: cuStreamSynchronize", s.index);
}

BufferPtr cuda_copy(const Buffer& src) {
  KILN_CHECK(src.device().is_cuda()) << "cuda_copy of a " << src.device().str() << " buffer";
  const int index = src.device().index;
  BufferPtr out = cuda_allocate(index, src.bytes());
  if (src.bytes() == 0) return out;
  detail::CudaDeviceState& s = detail::cuda_device(index);
  check(driver().cuMemcpyDtoDAsync(address(*out), address(src), src.bytes(), s.stream),
        "cuda:{}: cuMemcpyDtoDAsync", index);
  return out;
}

}  // namespace kiln
