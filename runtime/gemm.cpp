// Matrix multiplication for the CPU: rows of C spread over the thread pool, each row
// accumulated as C[i, :] += A[i, k] * B[k, :] in increasing k (a loop over contiguous rows of
// B that the compiler vectorises). Deterministic: the order of the sum over k is fixed.
#include "runtime/gemm.hpp"

#include <algorithm>

#include "runtime/thread_pool.hpp"

namespace kiln {
namespace {

template <class T>
void gemm(const T* a, const T* b, T* c, int64_t batch, int64_t m, int64_t n, int64_t k, int64_t a_stride,
          int64_t b_stride) {
  int64_t rows = batch * m;
  int64_t chunks = std::min<int64_t>(rows, num_threads() * 4);
  if (chunks <= 0) return;
  parallel_for(chunks, [&](int64_t chunk) {
    for (int64_t r = rows * chunk / chunks; r < rows * (chunk + 1) / chunks; ++r) {
      int64_t bi = r / m, i = r % m;
      const T* arow = a + bi * a_stride + i * k;
      const T* bmat = b + bi * b_stride;
      T* crow = c + r * n;
      // -0.0 is the identity of IEEE addition: a sum of -0.0 products stays -0.0, as in the
      // interpreter; an empty sum (k = 0) is +0.0.
      std::fill(crow, crow + n, k > 0 ? T(-0.0) : T(0));
      for (int64_t p = 0; p < k; ++p) {
        T s = arow[p];
        const T* brow = bmat + p * n;
        for (int64_t j = 0; j < n; ++j) crow[j] += s * brow[j];
      }
    }
  });
}

}  // namespace

void gemm_f32(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t n, int64_t k,
              int64_t a_batch_stride, int64_t b_batch_stride) {
  gemm(a, b, c, batch, m, n, k, a_batch_stride, b_batch_stride);
}

void gemm_f64(const double* a, const double* b, double* c, int64_t batch, int64_t m, int64_t n, int64_t k,
              int64_t a_batch_stride, int64_t b_batch_stride) {
  gemm(a, b, c, batch, m, n, k, a_batch_stride, b_batch_stride);
}

}  // namespace kiln
