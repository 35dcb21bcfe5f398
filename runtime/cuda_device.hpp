// CUDA devices at run time: what they are, their contexts and streams, their memory.
//
// Each device used gets its primary context and one stream, created on first use and kept
// for the life of the process. All of kiln's work on a device (copies, launches) goes to that
// one stream in order, so a freed block can be reused at once by later work; the host waits
// only where it reads data back (downloads) or where host memory it handed to a copy is about
// to be released (uploads return once the data is on the device).
//
// Device memory comes from a caching allocator: blocks by size class (powers of two from
// 512 bytes up to 1 MiB, then multiples of 2 MiB); a freed block returns to its class's free
// list. When cuMemAlloc reports out-of-memory, the cache is released and the allocation tried
// once more; if that fails too, DeviceError says how much was asked and how much is free.
// Transfers of 1 MiB and more go through pinned staging buffers (two halves, so that the copy
// of one chunk overlaps the next chunk's memcpy). Everything here throws DeviceError when
// there is no driver or no such device; nothing needs CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/ir/buffer.hpp"

namespace kiln {

struct CudaDeviceProperties {
  int index = 0;
  std::string name;
  int major = 0, minor = 0;  // compute capability
  int multiprocessors = 0;
  int64_t total_memory = 0;  // bytes
  int arch() const { return major * 10 + minor; }  // e.g. 90 for sm_90
};

// The number of CUDA devices; 0 when there is no driver or no GPU (never throws).
int cuda_device_count();
// Whether a driver and at least one device are present; `why` (if given) says why not.
bool cuda_available(std::string* why = nullptr);
// Throws DeviceError when there is no driver or no device `index`.
CudaDeviceProperties cuda_device_properties(int index);
// Bytes free on the device now (cuMemGetInfo).
int64_t cuda_free_memory(int index);
// Waits until the device's stream has finished all work given to it.
void cuda_synchronize(int index);

// ---- Memory ----
// A device buffer of at least `bytes` bytes (contents unspecified) on cuda:index.
BufferPtr cuda_allocate(int index, size_t bytes);
// Frees the cached free blocks of the device.
void cuda_allocator_trim(int index);
// Bytes of free blocks the device's cache holds, and bytes obtained from cuMemAlloc so far.
size_t cuda_cache_free_bytes(int index);
size_t cuda_bytes_allocated(int index);
size_t cuda_block_size(size_t bytes);

// A new device buffer holding `bytes` bytes of host memory; the host memory may be reused
// when this returns.
BufferPtr cuda_upload(int index, const void* host, size_t bytes);
// Copies a device buffer's first `bytes` bytes to host memory, after all earlier work of the
// device's stream (waits for it).
void cuda_download(const Buffer& src, void* host, size_t bytes);
// A new device buffer with a copy of `src` (asynchronous, on the stream).
BufferPtr cuda_copy(const Buffer& src);


}  // namespace kiln
