// The reference loops of kiln-bench. This file alone is compiled with
//   -O3 -march=native -fno-math-errno -fopenmp        (GCC; see bench/CMakeLists.txt)
// and the transcendental functions are declared below with GCC's `simd("notinbranch")`
// attribute, which is what glibc's <math.h> itself does under -ffast-math. Together they make
// GCC vectorise the loops with libmvec's vector variants: `_ZGVeN16v_sinf`, `_ZGVeN16v_cosf`,
// `_ZGVeN16v_expf` (AVX-512, 16 lanes) in the main loop and `_ZGVdN8v_*` (AVX2) in the
// epilogue; check with `objdump -dr reference.cpp.o | grep _ZGV`. Why not simply -ffast-math:
// GCC 12 then merges the sinf/cosf pair into a scalar `sincosf` call and the whole W1 loop
// stays scalar (10x slower); it would also allow reassociation that kiln may not do. The
// declarations below name the libm symbols under other C++ names, so no sincos merging
// happens; -fno-math-errno is still needed for the vectoriser to accept the calls and for
// sqrtf to become vsqrtps. With clang, -fveclib=libmvec plays the same role.
//
// Outputs larger than the caches are written with non-temporal stores (STREAM triad here:
// ~33 GB/s with normal stores, ~46 GB/s with streaming ones). GCC ignores OpenMP's
// `nontemporal` clause, so the plain loops compute into an L1-resident tile and
// stream_out() copies the tile out with AVX-512 streaming stores.
#include "bench/reference.hpp"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__GNUC__) && !defined(__clang__)
extern "C" {
float kiln_ref_sinf(float) __asm__("sinf") __attribute__((simd("notinbranch"), const, nothrow));
float kiln_ref_cosf(float) __asm__("cosf") __attribute__((simd("notinbranch"), const, nothrow));
float kiln_ref_expf(float) __asm__("expf") __attribute__((simd("notinbranch"), const, nothrow));
}
#define REF_SINF kiln_ref_sinf
#define REF_COSF kiln_ref_cosf
#define REF_EXPF kiln_ref_expf
#else
#define REF_SINF std::sin
#define REF_COSF std::cos
#define REF_EXPF std::exp
#endif

namespace kiln::bench {
namespace {

int g_threads = 1;

// Below this many elements a loop runs on the calling thread alone.
constexpr int64_t kParallelMin = 1 << 15;

// This thread's part [begin, end) of n elements, blocks aligned to 16 floats (64 bytes).
void my_range(int64_t n, int64_t* begin, int64_t* end) {
  const int64_t t = omp_get_num_threads(), i = omp_get_thread_num();
  int64_t per = (n + t - 1) / t;
  per = (per + 15) / 16 * 16;
  *begin = std::min(n, i * per);
  *end = std::min(n, *begin + per);
}

// Outputs of at least this many floats are streamed past the caches.
constexpr int64_t kStreamMin = 1 << 20;
constexpr int64_t kTile = 2048;  // floats: 8 KiB, stays in L1

// Copies n floats from an L1 tile to `out` with non-temporal stores where possible.
void stream_out(const float* tile, float* out, int64_t n) {
#if defined(__AVX512F__)
  int64_t i = 0;
  if (reinterpret_cast<uintptr_t>(out) % 64 == 0)
    for (; i + 16 <= n; i += 16) _mm512_stream_ps(out + i, _mm512_load_ps(tile + i));
  std::memcpy(out + i, tile + i, static_cast<size_t>(n - i) * sizeof(float));
#else
  std::memcpy(out, tile, static_cast<size_t>(n) * sizeof(float));
#endif
}

// Runs block(offset, count, dst) over [0, n) so that every output float is written once:
// directly into out when out is small, else tile by tile through stream_out.
template <class Block>
void write_streamed(float* out, int64_t n, bool stream, Block block) {
  if (!stream) return block(0, n, out);
  alignas(64) float tile[kTile];
  for (int64_t i = 0; i < n; i += kTile) {
    const int64_t m = std::min(kTile, n - i);
    block(i, m, tile);
    stream_out(tile, out + i, m);
  }
  _mm_sfence();
}

void w1_block(const float* __restrict x, float* __restrict y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = REF_SINF(v) * REF_COSF(v) + REF_EXPF(-v * v) * 0.5f + std::sqrt(std::fabs(v));
  }
}

void axpy_block(float a, const float* __restrict x, const float* __restrict y, float* __restrict out, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) out[i] = a * x[i] + y[i];
}

double sum_squares_block(const float* __restrict x, int64_t n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

void softmax_row(const float* __restrict x, float* __restrict y, int64_t n) {
  float m = -INFINITY;
#pragma omp simd reduction(max : m)
  for (int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) {
    const float e = REF_EXPF(x[i] - m);
    y[i] = e;
    s += e;
  }
  const float inv = 1.0f / s;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] *= inv;
}

// f += sin(x)*exp(-x*x) over the block (in double); g = d/dx of the same, elementwise.
double w6_block(const float* __restrict x, float* __restrict g, int64_t n) {
  double f = 0.0;
#pragma omp simd reduction(+ : f)
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i], s = REF_SINF(v), e = REF_EXPF(-v * v);
    f += static_cast<double>(s * e);
    g[i] = REF_COSF(v) * e - 2.0f * v * s * e;
  }
  return f;
}

double w6_forward_block(const float* __restrict x, int64_t n) {
  double f = 0.0;
#pragma omp simd reduction(+ : f)
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    f += static_cast<double>(REF_SINF(v) * REF_EXPF(-v * v));
  }
  return f;
}

void bias_relu_row(const float* __restrict x, const float* __restrict b, float* __restrict y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = std::max(x[i] + b[i], 0.0f);
}

}  // namespace

void ref_set_threads(int n) {
  g_threads = std::max(1, n);
  omp_set_num_threads(g_threads);
  // Start OpenMP's threads now, so that no workload's first run pays for it.
#pragma omp parallel
  {
  }
}
int ref_threads() { return g_threads; }

void ref_w1(const float* x, float* y, int64_t n) {
  if (n < kParallelMin) return w1_block(x, y, n);
#pragma omp parallel
  {
    int64_t b, e;
    my_range(n, &b, &e);
    write_streamed(y + b, e - b, n >= kStreamMin,
                   [&](int64_t i, int64_t m, float* dst) { w1_block(x + b + i, dst, m); });
  }
}

void ref_axpy(float a, const float* x, const float* y, float* out, int64_t n) {
  if (n < kParallelMin) return axpy_block(a, x, y, out, n);
#pragma omp parallel
  {
    int64_t b, e;
    my_range(n, &b, &e);
    write_streamed(out + b, e - b, n >= kStreamMin,
                   [&](int64_t i, int64_t m, float* dst) { axpy_block(a, x + b + i, y + b + i, dst, m); });
  }
}

double ref_sum_squares(const float* x, int64_t n) {
  if (n < kParallelMin) return sum_squares_block(x, n);
  double total = 0.0;
#pragma omp parallel reduction(+ : total)
  {
    int64_t b, e;
    my_range(n, &b, &e);
    total += sum_squares_block(x + b, e - b);
  }
  return total;
}

void ref_softmax_rows(const float* x, float* y, int64_t rows, int64_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) softmax_row(x + r * cols, y + r * cols, cols);
}

double ref_w6(const float* x, float* g, int64_t n) {
  if (n < kParallelMin) return w6_block(x, g, n);
  double total = 0.0;
#pragma omp parallel reduction(+ : total)
  {
    int64_t b, e;
    my_range(n, &b, &e);
    write_streamed(g + b, e - b, n >= kStreamMin,
                   [&](int64_t i, int64_t m, float* dst) { total += w6_block(x + b + i, dst, m); });
  }
  return total;
}

double ref_w6_forward(const float* x, int64_t n) {
  if (n < kParallelMin) return w6_forward_block(x, n);
  double total = 0.0;
#pragma omp parallel reduction(+ : total)
  {
    int64_t b, e;
    my_range(n, &b, &e);
    total += w6_forward_block(x + b, e - b);
  }
  return total;
}

void ref_bias_relu(const float* x, const float* b, float* y, int64_t rows, int64_t cols) {
  const bool stream = rows * cols >= kStreamMin;
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r)
    write_streamed(y + r * cols, cols, stream,
                   [&](int64_t i, int64_t m, float* dst) { bias_relu_row(x + r * cols + i, b + i, dst, m); });
}

void ref_column_sums(const float* x, float* out, int64_t rows, int64_t cols) {
  // Blocks of columns over the threads; each block streams down the rows, summing in double
  // in an L1-resident buffer (the same order per column as a plain loop over the rows).
  constexpr int64_t kBlock = 256;
  const int64_t blocks = (cols + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t bi = 0; bi < blocks; ++bi) {
    const int64_t c0 = bi * kBlock, n = std::min(kBlock, cols - c0);
    double acc[kBlock] = {};
    for (int64_t r = 0; r < rows; ++r) {
      const float* __restrict row = x + r * cols + c0;
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) acc[j] += row[j];
    }
    for (int64_t j = 0; j < n; ++j) out[c0 + j] = static_cast<float>(acc[j]);
  }
}

}  // namespace kiln::bench
