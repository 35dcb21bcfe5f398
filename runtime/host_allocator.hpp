// Host memory for array values: 64-byte aligned, huge-page advice for large blocks, and a
// cache of freed blocks by size so that a loop re-evaluating arrays of the same sizes does
// not pay for fresh pages (page faults cost more than a fused kernel over the data).
#pragma once

#include <cstddef>

#include "compiler/ir/buffer.hpp"

namespace kiln {

// A buffer of at least `bytes` bytes (contents unspecified); its memory returns to the cache
// when the buffer dies. Counts new (not reused) bytes in stats().bytes_allocated. The cache
// keeps at most KILN_HOST_CACHE_BYTES (default 1 GiB, read once) of free blocks.
BufferPtr host_allocate(size_t bytes);
// Frees every cached free block.
void host_allocator_trim();
// Bytes of free blocks the cache holds now (for tests and diagnostics).
size_t host_cache_free_bytes();
// The size of the block host_allocate(bytes) uses: powers of two from 64 bytes up to 1 MiB,
// then multiples of 2 MiB (blocks of 2 MiB and more are 2 MiB aligned, with huge-page advice).
size_t host_block_size(size_t bytes);

}  // namespace kiln
