// The hand-written reference of W8, one training step of a two-layer MLP, compiled with the
// same flags as reference.cpp (see its opening comment: tanhf is vectorised through libmvec).
//
// It uses kiln's GEMM routine (which reads a transposed operand where it is) and kiln's
// thread pool, the two pieces a kiln program runs on, and plain loops for everything else:
// tanh and its derivative, the squared error and the updates. So W8's ratio is what kiln's
// graph building, autodiff, fusion and scheduling cost (or save) around the same matrix
// products.
#include <algorithm>
#include <cmath>

#include "bench/reference.hpp"
#include "runtime/gemm.hpp"
#include "runtime/thread_pool.hpp"

#if defined(__GNUC__) && !defined(__clang__)
extern "C" {
float kiln_ref_tanhf(float) __asm__("tanhf") __attribute__((simd("notinbranch"), const, nothrow));
}
#define REF_TANHF kiln_ref_tanhf
#else
#define REF_TANHF std::tanh
#endif

namespace kiln::bench {
namespace {

constexpr int64_t kRowsPerTask = 16;

// Runs fn(r0, r1) over [0, rows) in blocks of rows on kiln's pool.
template <class Fn>
void over_rows(int64_t rows, Fn fn) {
  const int64_t tasks = (rows + kRowsPerTask - 1) / kRowsPerTask;
  parallel_for(tasks, [&](int64_t t) { fn(t * kRowsPerTask, std::min(rows, (t + 1) * kRowsPerTask)); });
}

void tanh_rows(float* z, int64_t rows, int64_t cols) {
  over_rows(rows, [&](int64_t r0, int64_t r1) {
    float* __restrict p = z + r0 * cols;
    const int64_t n = (r1 - r0) * cols;
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) p[i] = REF_TANHF(p[i]);
  });
}

struct Work {
  float *h, *p, *dw2, *dh, *dw1;
};

Work carve(float* w, int64_t m, int64_t h, int64_t o) {
  Work s;
  s.h = w, w += m * h;
  s.p = w, w += m * o;
  s.dw2 = w, w += h * o;
  s.dh = w, w += m * h;
  s.dw1 = w;
  return s;
}

// H = tanh(X W1), P = H W2; returns sum((P - Y)^2) and leaves P - Y in p.
double forward(const float* x, const float* y, const float* w1, const float* w2, int64_t m, int64_t k, int64_t h,
               int64_t o, const Work& s) {
  gemm_f32(x, w1, s.h, 1, m, h, k, 0, 0);
  tanh_rows(s.h, m, h);
  gemm_f32(s.h, w2, s.p, 1, m, o, h, 0, 0);
  double total = 0;
  for (int64_t i = 0; i < m * o; ++i) {  // m*o is small (64K): one thread
    const float d = s.p[i] - y[i];
    s.p[i] = d;
    total += static_cast<double>(d) * d;
  }
  return total;
}

}  // namespace

int64_t mlp_work_floats(int64_t m, int64_t k, int64_t h, int64_t o) {
  return m * h + m * o + h * o + m * h + k * h;
}

double ref_mlp_forward(const float* x, const float* y, const float* w1, const float* w2, int64_t m, int64_t k,
                       int64_t h, int64_t o, float* work) {
  return forward(x, y, w1, w2, m, k, h, o, carve(work, m, h, o)) / static_cast<double>(m * o);
}

double ref_mlp_step(const float* x, const float* y, float* w1, float* w2, int64_t m, int64_t k, int64_t h, int64_t o,
                    float lr, float* work) {
  Work s = carve(work, m, h, o);
  const double loss = forward(x, y, w1, w2, m, k, h, o, s) / static_cast<double>(m * o);
  // dP = 2 (P - Y) / (m o)
  const float scale = 2.0f / static_cast<float>(m * o);
  for (int64_t i = 0; i < m * o; ++i) s.p[i] *= scale;
  gemm_f32(s.h, s.p, s.dw2, 1, h, o, m, 0, 0, /*a_transposed=*/true);  // dW2 = H^T dP
  gemm_f32(s.p, w2, s.dh, 1, m, h, o, 0, 0, false, /*b_transposed=*/true);  // dH = dP W2^T
  over_rows(m, [&](int64_t r0, int64_t r1) {  // dZ = dH (1 - H^2)
    float* __restrict dh = s.dh + r0 * h;
    const float* __restrict hh = s.h + r0 * h;
#pragma omp simd
    for (int64_t i = 0; i < (r1 - r0) * h; ++i) dh[i] *= 1.0f - hh[i] * hh[i];
  });
  gemm_f32(x, s.dh, s.dw1, 1, k, h, m, 0, 0, /*a_transposed=*/true);  // dW1 = X^T dZ
  over_rows(k, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0 * h; i < r1 * h; ++i) w1[i] -= lr * s.dw1[i];
  });
  for (int64_t i = 0; i < h * o; ++i) w2[i] -= lr * s.dw2[i];
  return loss;
}

}  // namespace kiln::bench
