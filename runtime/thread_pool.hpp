// The process-wide thread pool that runs kernel chunks: one thread per core by default
// (KILN_NUM_THREADS to change it, read once), the calling thread taking part.
#pragma once

#include <cstdint>
#include <functional>

namespace kiln {

// Number of threads kernels run on (including the caller).
int num_threads();

// Runs fn(0) ... fn(n - 1), spread over the pool, and returns when all are done. Indices may
// run in any order and on any thread. Safe to call from several user threads at once (their
// loops take turns on the pool) and from inside a chunk (nested calls run inline). When a
// chunk throws, indices not yet started are skipped and the first exception is rethrown here
// once every started one has finished.
void parallel_for(int64_t n, const std::function<void(int64_t)>& fn);

}  // namespace kiln
