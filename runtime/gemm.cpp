// kiln's GEMM: the classic blocked algorithm (Goto, BLIS). C is cut into blocks of at most
// kMaxBlockRows x kMaxBlockCols, one parallel_for task each. A task walks K in slices of kc:
// it packs its slice of B into kc x NR panels and its slice of A into MR x kc panels (both
// zero-padded to whole panels, so edges need no special kernel), then runs an MR x NR
// register-tile micro-kernel over every (A panel, B panel) pair, the A panels streaming past
// one B panel at a time.
//
// The micro-kernel starts its accumulators from C when kc slices before it were done, so every
// element of C is a plain sequential sum over k = 0, 1, ..., K-1 (fused multiply-adds where
// the ISA has them): the result depends on neither block sizes nor threads. The library is
// built for baseline x86-64, so the micro-kernel is compiled several times with GCC target
// attributes (AVX-512, AVX2+FMA, baseline vectors) and the best one the CPU runs is chosen once.
//
// An operand may come transposed (stored as its transpose, row-major): that changes only the
// packing loops, so the transpose of a value never has to be materialised for a product.
//
// A single row of A (m = 1: a vector times a matrix) skips the packing, which would copy all
// of B to use each element once: blocks of columns accumulate in an L1-resident buffer while
// B streams past row by row, each element the same chain over k as the tiles compute.
#include "runtime/gemm.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#include "runtime/thread_pool.hpp"

namespace kiln {
namespace {

// ---- Register-tile micro-kernels

// GCC vector extensions: W lanes of T, loaded and stored at any address.
template <class T, int W>
struct Vec {
  typedef T V __attribute__((vector_size(W * sizeof(T))));
  typedef T Unaligned __attribute__((vector_size(W * sizeof(T)), aligned(sizeof(T)), may_alias));
};

// c + a * b with one rounding, for the x86 kernels, at every optimisation level. Inline
// assembly rather than intrinsics: an intrinsic may only be inlined into a function built for
// its ISA, which the shared tile_body template cannot be; GCC would contract c + a * b itself,
// but only from -O2 on. The operand size (xmm, ymm, zmm) follows the vector type.
// (Vectors pass by reference: by value, GCC warns of an ABI that varies with the target.)
template <class V>
__attribute__((always_inline)) inline void fused_madd(V& c, const V& a, const V& b) {
#if defined(__x86_64__) && defined(__GNUC__)
  if constexpr (sizeof(a[0]) == 4)
    asm("vfmadd231ps {%2, %1, %0|%0, %1, %2}" : "+v"(c) : "v"(a), "v"(b));
  else
    asm("vfmadd231pd {%2, %1, %0|%0, %1, %2}" : "+v"(c) : "v"(a), "v"(b));
#else
  static_assert(sizeof(V) == 0, "fused_madd is for the x86 FMA kernels");
#endif
}

// C[0:MR, 0:NV*W] (row stride ldc) = (accumulate ? C : 0) + Ap^T Bp, where Ap holds kc
// columns of MR values of A (ap[p * MR + i] = A[i][p]) and Bp kc rows of NV*W values of B.
// Each accumulator is one chain over p, fused (kFused) or rounded after each multiply and add.
// Inlined into the per-ISA kernels below, which give it its instructions.
template <class T, int W, int MR, int NV, bool kFused>
__attribute__((always_inline)) inline void tile_body(int64_t kc, const T* __restrict ap, const T* __restrict bp,
                                                     T* __restrict c, int64_t ldc, bool accumulate) {
  using V = typename Vec<T, W>::V;
  using U = typename Vec<T, W>::Unaligned;
  // Fully unrolled, so that the accumulators live in registers.
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = accumulate ? V(*reinterpret_cast<const U*>(c + i * ldc + v * W)) : -V{};  // -0.0: a sum of -0.0 products stays -0.0, as in the interpreter
  for (int64_t p = 0; p < kc; ++p) {
    V b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) b[v] = *reinterpret_cast<const V*>(bp + p * NV * W + v * W);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      T a = ap[p * MR + i];
      if constexpr (kFused) {
        V av = a - V{};  // a in every lane (x - +0 is x, -0 and NaN included)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) fused_madd(acc[i][v], av, b[v]);
      } else {
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] += a * b[v];
      }
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) *reinterpret_cast<U*>(c + i * ldc + v * W) = acc[i][v];
}

// c[0, cols) = a[0, k) @ B[0:k, 0:cols) (row stride ldb): per column the chain over p of
// tile_body (fused or rounded twice, from -0.0), W columns at a time through the vector
// accumulator buffer `acc` (cols rounded down to W), the rest one by one.
template <class T, int W, bool kFused>
__attribute__((always_inline)) inline void vecmat_body(const T* __restrict a, const T* __restrict b, int64_t ldb,
                                                       int64_t k, int64_t cols, T* __restrict c,
                                                       T* __restrict acc) {
  using V = typename Vec<T, W>::V;
  using U = typename Vec<T, W>::Unaligned;
  const int64_t vcols = cols / W * W;
  V* av = reinterpret_cast<V*>(acc);
  for (int64_t j = 0; j < vcols; j += W) av[j / W] = -V{};
  for (int64_t p = 0; p < k; ++p) {
    const V x = a[p] - V{};
    const T* row = b + p * ldb;
    for (int64_t j = 0; j < vcols; j += W) {
      const V bv = *reinterpret_cast<const U*>(row + j);
      if constexpr (kFused)
        fused_madd(av[j / W], x, bv);
      else
        av[j / W] += x * bv;
    }
  }
  for (int64_t j = 0; j < vcols; j += W) *reinterpret_cast<U*>(c + j) = av[j / W];
  for (int64_t j = vcols; j < cols; ++j) {  // the last columns, one at a time
    T s = -T(0);
    for (int64_t p = 0; p < k; ++p) {
      if constexpr (kFused)
        s = std::fma(a[p], b[p * ldb + j], s);
      else
        s += a[p] * b[p * ldb + j];  // (built without FMA: rounded twice, as the base tile)
    }
    c[j] = s;
  }
}

// Columns per vector-times-matrix task: the accumulators (4 KiB of f32) stay in L1.
constexpr int64_t kVecmatCols = 1024;
template <class T>
using VecmatFn = void (*)(const T* a, const T* b, int64_t ldb, int64_t k, int64_t cols, T* c, T* acc);

template <class T>
using TileFn = void (*)(int64_t kc, const T* ap, const T* bp, T* c, int64_t ldc, bool accumulate);
template <class T>
struct Problem;

// A micro-kernel, its tile (MR rows by NR = NV * W columns) and the task loop built for it.
template <class T>
struct Kernel {
  TileFn<T> tile;
  VecmatFn<T> vecmat;
  int mr;
  int nr;
  const char* isa;
  void (*run_task)(const Problem<T>& problem, int64_t task);
};
constexpr int kMaxMr = 12;
constexpr int kMaxNr = 32;

// Register budgets: AVX-512 has 32 vector registers (24 accumulators, 2 B vectors, a
// broadcast), AVX2 16 (12, 2, 1), baseline 16-byte vectors (8 accumulators) everywhere else.
#if defined(__x86_64__) && defined(__GNUC__)
#define KILN_GEMM_X86 1
__attribute__((target("avx512f,fma"))) void tile_avx512_f32(int64_t kc, const float* ap, const float* bp, float* c,
                                                            int64_t ldc, bool accumulate) {
  tile_body<float, 16, 12, 2, true>(kc, ap, bp, c, ldc, accumulate);
}
__attribute__((target("avx512f,fma"))) void tile_avx512_f64(int64_t kc, const double* ap, const double* bp, double* c,
                                                            int64_t ldc, bool accumulate) {
  tile_body<double, 8, 12, 2, true>(kc, ap, bp, c, ldc, accumulate);
}
__attribute__((target("avx2,fma"))) void tile_avx2_f32(int64_t kc, const float* ap, const float* bp, float* c,
                                                       int64_t ldc, bool accumulate) {
  tile_body<float, 8, 6, 2, true>(kc, ap, bp, c, ldc, accumulate);
}
__attribute__((target("avx2,fma"))) void tile_avx2_f64(int64_t kc, const double* ap, const double* bp, double* c,
                                                       int64_t ldc, bool accumulate) {
  tile_body<double, 4, 6, 2, true>(kc, ap, bp, c, ldc, accumulate);
}
__attribute__((target("avx512f,fma"))) void vecmat_avx512_f32(const float* a, const float* b, int64_t ldb, int64_t k,
                                                              int64_t cols, float* c, float* acc) {
  vecmat_body<float, 16, true>(a, b, ldb, k, cols, c, acc);
}
__attribute__((target("avx512f,fma"))) void vecmat_avx512_f64(const double* a, const double* b, int64_t ldb,
                                                              int64_t k, int64_t cols, double* c, double* acc) {
  vecmat_body<double, 8, true>(a, b, ldb, k, cols, c, acc);
}
__attribute__((target("avx2,fma"))) void vecmat_avx2_f32(const float* a, const float* b, int64_t ldb, int64_t k,
                                                         int64_t cols, float* c, float* acc) {
  vecmat_body<float, 8, true>(a, b, ldb, k, cols, c, acc);
}
__attribute__((target("avx2,fma"))) void vecmat_avx2_f64(const double* a, const double* b, int64_t ldb, int64_t k,
                                                         int64_t cols, double* c, double* acc) {
  vecmat_body<double, 4, true>(a, b, ldb, k, cols, c, acc);
}
#endif
void tile_base_f32(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, bool accumulate) {
  tile_body<float, 4, 4, 2, false>(kc, ap, bp, c, ldc, accumulate);
}
void tile_base_f64(int64_t kc, const double* ap, const double* bp, double* c, int64_t ldc, bool accumulate) {
  tile_body<double, 2, 4, 2, false>(kc, ap, bp, c, ldc, accumulate);
}
void vecmat_base_f32(const float* a, const float* b, int64_t ldb, int64_t k, int64_t cols, float* c, float* acc) {
  vecmat_body<float, 4, false>(a, b, ldb, k, cols, c, acc);
}
void vecmat_base_f64(const double* a, const double* b, int64_t ldb, int64_t k, int64_t cols, double* c,
                     double* acc) {
  vecmat_body<double, 2, false>(a, b, ldb, k, cols, c, acc);
}

// ---- Packing

// Per-thread packing buffers, 64-byte aligned, grown on demand and kept for the next call
// (fresh large allocations cost page faults).
class Scratch {
 public:
  ~Scratch() { std::free(data_); }
  template <class T>
  T* get(size_t count) {
    size_t bytes = (count * sizeof(T) + 63) / 64 * 64;
    if (bytes > bytes_) {
      std::free(data_);
      data_ = std::aligned_alloc(64, bytes);
      bytes_ = data_ ? bytes : 0;
      if (!data_) throw std::bad_alloc();
    }
    return static_cast<T*>(data_);
  }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};
thread_local Scratch t_packed_a;
thread_local Scratch t_packed_b;

// Packs rows [0, rows) x columns [0, kc) of A (element (i, p) at a[i * rs + p * cs]) into
// ceil(rows / MR) panels of kc x MR (panel r at out + r * MR * kc, element (i, p) at
// p * MR + i); missing rows are 0.
template <class T, int MR>
void pack_a(const T* a, int64_t rs, int64_t cs, int64_t rows, int64_t kc, T* out) {
  for (int64_t r0 = 0; r0 < rows; r0 += MR, out += MR * kc) {
    const int64_t live = std::min<int64_t>(MR, rows - r0);
    if (rs == 1) {  // a transposed A: MR consecutive values per p
      for (int64_t p = 0; p < kc; ++p) {
        std::memcpy(out + p * MR, a + r0 + p * cs, static_cast<size_t>(live) * sizeof(T));
        std::fill(out + p * MR + live, out + (p + 1) * MR, T(0));
      }
    } else if (live == MR) {
      const T* src[MR];
      for (int i = 0; i < MR; ++i) src[i] = a + (r0 + i) * rs;
      for (int64_t p = 0; p < kc; ++p)
        for (int i = 0; i < MR; ++i) out[p * MR + i] = src[i][p * cs];
    } else {
      for (int64_t p = 0; p < kc; ++p)
        for (int i = 0; i < MR; ++i) out[p * MR + i] = i < live ? a[(r0 + i) * rs + p * cs] : T(0);
    }
  }
}

// Packs rows [0, kc) x columns [0, cols) of B (element (p, j) at b[p * rs + j * cs]) into
// ceil(cols / NR) panels of kc x NR (panel j at out + j * NR * kc, element (p, j) at
// p * NR + j); missing columns are 0.
template <class T>
void pack_b(const T* b, int64_t rs, int64_t cs, int64_t kc, int64_t cols, int nr, T* out) {
  for (int64_t c0 = 0; c0 < cols; c0 += nr, out += nr * kc) {
    int64_t live = std::min<int64_t>(nr, cols - c0);
    if (cs == 1) {
      for (int64_t p = 0; p < kc; ++p) {
        std::memcpy(out + p * nr, b + p * rs + c0, static_cast<size_t>(live) * sizeof(T));
        std::fill(out + p * nr + live, out + (p + 1) * nr, T(0));
      }
      continue;
    }
    // A transposed B: column j of B is a contiguous row of its storage. Blocks of kPackDepth
    // values of k keep the panel rows being written in L1 while the columns are read.
    constexpr int64_t kPackDepth = 16;
    for (int64_t p0 = 0; p0 < kc; p0 += kPackDepth) {
      const int64_t p1 = std::min(kc, p0 + kPackDepth);
      for (int64_t j = 0; j < live; ++j) {
        const T* src = b + (c0 + j) * cs + p0 * rs;
        for (int64_t p = p0; p < p1; ++p, src += rs) out[p * nr + j] = *src;
      }
      for (int64_t p = p0; p < p1; ++p) std::fill(out + p * nr + live, out + (p + 1) * nr, T(0));
    }
  }
}

// ---- Blocking and tasks

// Chosen by measurement on a 2-core Zen 4 (32 KiB L1, 1 MiB L2 per core): deep k slices beat
// L1-sized B panels (kc = 128) by ~15%, since each slice after the first reloads the C tile;
// Zen 4's L2 feeds the kernel fast enough for a 64 KiB B panel (f32).
constexpr int64_t kSliceDepth = 512;
constexpr int64_t kMaxBlockRows = 384;
constexpr int64_t kMaxBlockCols = 512;
// Below this many multiply-adds a call runs on the calling thread (a launch costs ~1-2 us).
constexpr int64_t kSerialMacs = int64_t{1} << 18;

// One GEMM call, split into tasks: batch item x row block x column block.
template <class T>
struct Problem {
  const T* a;
  const T* b;
  T* c;
  int64_t m, n, k;
  int64_t a_stride, b_stride;
  // Element strides: A(i, p) at a[i * a_rs + p * a_cs], B(p, j) at b[p * b_rs + j * b_cs].
  int64_t a_rs, a_cs, b_rs, b_cs;
  Kernel<T> kernel;
  int64_t kc;
  int64_t row_panels, row_blocks;  // MR-row panels; row blocks of consecutive panels
  int64_t col_panels, col_blocks;  // likewise for NR-column panels
};

// C[rows, cols] (row stride ldc) from a tile computed at full MR x NR size, for edges.
template <class T>
void edge_tile(const Kernel<T>& kern, int64_t kc, const T* ap, const T* bp, T* c, int64_t ldc, bool accumulate,
               int64_t rows, int64_t cols) {
  alignas(64) T tmp[kMaxMr * kMaxNr];
  int nr = kern.nr;
  if (accumulate)
    for (int64_t i = 0; i < rows; ++i) std::memcpy(tmp + i * nr, c + i * ldc, static_cast<size_t>(cols) * sizeof(T));
  kern.tile(kc, ap, bp, tmp, nr, accumulate);
  for (int64_t i = 0; i < rows; ++i) std::memcpy(c + i * ldc, tmp + i * nr, static_cast<size_t>(cols) * sizeof(T));
}

template <class T, int MR>
void run_task(const Problem<T>& pr, int64_t task) {
  const Kernel<T>& kern = pr.kernel;
  const int64_t nr = kern.nr;
  int64_t col_block = task % pr.col_blocks;
  int64_t row_block = task / pr.col_blocks % pr.row_blocks;
  int64_t item = task / pr.col_blocks / pr.row_blocks;
  // Panels are dealt evenly: block i gets panels [i * P / B, (i + 1) * P / B).
  int64_t r0 = row_block * pr.row_panels / pr.row_blocks * MR;
  int64_t r1 = std::min(pr.m, (row_block + 1) * pr.row_panels / pr.row_blocks * MR);
  int64_t c0 = col_block * pr.col_panels / pr.col_blocks * nr;
  int64_t c1 = std::min(pr.n, (col_block + 1) * pr.col_panels / pr.col_blocks * nr);
  int64_t rows = r1 - r0, cols = c1 - c0;
  const T* a = pr.a + item * pr.a_stride + r0 * pr.a_rs;
  const T* b = pr.b + item * pr.b_stride + c0 * pr.b_cs;
  T* c = pr.c + item * pr.m * pr.n + r0 * pr.n + c0;
  int64_t padded_rows = (rows + MR - 1) / MR * MR;
  int64_t padded_cols = (cols + nr - 1) / nr * nr;
  T* pa = t_packed_a.get<T>(static_cast<size_t>(padded_rows * pr.kc));
  T* pb = t_packed_b.get<T>(static_cast<size_t>(padded_cols * pr.kc));

  for (int64_t p0 = 0; p0 < pr.k; p0 += pr.kc) {
    int64_t kc = std::min(pr.kc, pr.k - p0);
    bool accumulate = p0 > 0;
    pack_b(b + p0 * pr.b_rs, pr.b_rs, pr.b_cs, kc, cols, kern.nr, pb);
    pack_a<T, MR>(a + p0 * pr.a_cs, pr.a_rs, pr.a_cs, rows, kc, pa);
    for (int64_t j = 0; j < cols; j += nr) {
      const T* bp = pb + j * kc;
      for (int64_t i = 0; i < rows; i += MR) {
        const T* ap = pa + i * kc;
        T* ct = c + i * pr.n + j;
        if (rows - i >= MR && cols - j >= nr)
          kern.tile(kc, ap, bp, ct, pr.n, accumulate);
        else
          edge_tile(kern, kc, ap, bp, ct, pr.n, accumulate, std::min<int64_t>(MR, rows - i),
                    std::min<int64_t>(nr, cols - j));
      }
    }
  }
}

enum class Isa { kAvx512, kAvx2, kBase };

template <class T>
Kernel<T> kernel_for(Isa isa) {
  constexpr bool f32 = sizeof(T) == 4;
  switch (isa) {
#if KILN_GEMM_X86
    case Isa::kAvx512:
      if constexpr (f32)
        return {tile_avx512_f32, vecmat_avx512_f32, 12, 32, "avx512", run_task<T, 12>};
      else
        return {tile_avx512_f64, vecmat_avx512_f64, 12, 16, "avx512", run_task<T, 12>};
    case Isa::kAvx2:
      if constexpr (f32)
        return {tile_avx2_f32, vecmat_avx2_f32, 6, 16, "avx2", run_task<T, 6>};
      else
        return {tile_avx2_f64, vecmat_avx2_f64, 6, 8, "avx2", run_task<T, 6>};
#else
    case Isa::kAvx512:
    case Isa::kAvx2:
#endif
    case Isa::kBase: break;
  }
  if constexpr (f32)
    return {tile_base_f32, vecmat_base_f32, 4, 8, "base", run_task<T, 4>};
  else
    return {tile_base_f64, vecmat_base_f64, 4, 4, "base", run_task<T, 4>};
}

Isa best_isa() {
#if KILN_GEMM_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) return Isa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::kAvx2;
#endif
  return Isa::kBase;
}

thread_local Scratch t_vecmat_acc;

// The m = 1 product of each batch item: tasks of kVecmatCols columns.
template <class T>
void vecmat(const Kernel<T>& kern, const T* a, const T* b, T* c, int64_t batch, int64_t n, int64_t k,
            int64_t a_stride, int64_t b_stride) {
  const int64_t blocks = (n + kVecmatCols - 1) / kVecmatCols;
  auto task = [&](int64_t t) {
    const int64_t item = t / blocks, c0 = t % blocks * kVecmatCols, cols = std::min(kVecmatCols, n - c0);
    kern.vecmat(a + item * a_stride, b + item * b_stride + c0, n, k, cols, c + item * n + c0,
                t_vecmat_acc.get<T>(static_cast<size_t>(kVecmatCols)));
  };
  if (batch * n * k < kSerialMacs || num_threads() == 1) {
    for (int64_t t = 0; t < batch * blocks; ++t) task(t);
    return;
  }
  parallel_for(batch * blocks, task);
}

template <class T>
void gemm(const Kernel<T>& kern, const T* a, const T* b, T* c, int64_t batch, int64_t m, int64_t n, int64_t k,
          int64_t a_stride, int64_t b_stride, bool a_transposed, bool b_transposed) {
  if (batch <= 0 || m <= 0 || n <= 0) return;
  if (k <= 0) {
    std::fill(c, c + batch * m * n, T(0));
    return;
  }
  // A single row of A, or a single column of B, is stored the same either way.
  if (m == 1) a_transposed = false;
  if (n == 1) b_transposed = false;
  // With B shared and the A items stacked back to back, the batch is one taller product.
  if (batch > 1 && b_stride == 0 && a_stride == m * k && !a_transposed) {
    m *= batch;
    batch = 1;
  }
  if (m == 1 && !b_transposed) return vecmat(kern, a, b, c, batch, n, k, a_stride, b_stride);
  // One column of C from a transposed A is the same stream the other way round: C^T = B^T A^T,
  // a vector (B's k values) times A's storage [k, m]; fma(b, a, c) is fma(a, b, c) exactly.
  if (n == 1 && a_transposed) return vecmat(kern, b, a, c, batch, m, k, b_stride, a_stride);
  Problem<T> pr{a, b, c, m, n, k, a_stride, b_stride, 0, 0, 0, 0, kern, 0, 0, 0, 0, 0};
  pr.a_rs = a_transposed ? 1 : k;
  pr.a_cs = a_transposed ? m : 1;
  pr.b_rs = b_transposed ? 1 : n;
  pr.b_cs = b_transposed ? k : 1;
  pr.kc = kSliceDepth;
  pr.row_panels = (m + kern.mr - 1) / kern.mr;
  pr.col_panels = (n + kern.nr - 1) / kern.nr;
  pr.row_blocks = (pr.row_panels * kern.mr + kMaxBlockRows - 1) / kMaxBlockRows;
  pr.col_blocks = (pr.col_panels * kern.nr + kMaxBlockCols - 1) / kMaxBlockCols;
  int64_t macs = batch * m * n * k;
  bool serial = macs < kSerialMacs || num_threads() == 1;
  // Enough tasks to keep every thread busy to the end: a multiple of the thread count, or
  // many. Smaller row blocks change no result (the k order is fixed), only the packing cost.
  int64_t threads = num_threads();
  while (!serial && pr.row_blocks < pr.row_panels) {
    int64_t tasks = batch * pr.row_blocks * pr.col_blocks;
    if (tasks >= 8 * threads || (tasks >= threads && tasks % threads == 0)) break;
    ++pr.row_blocks;
  }
  int64_t task_count = batch * pr.row_blocks * pr.col_blocks;
  if (serial) {
    for (int64_t t = 0; t < task_count; ++t) kern.run_task(pr, t);
  } else {
    parallel_for(task_count, [&pr](int64_t t) { pr.kernel.run_task(pr, t); });
  }
}

template <class T>
const Kernel<T>& best_kernel() {
  static const Kernel<T> kernel = kernel_for<T>(best_isa());
  return kernel;
}

}  // namespace

namespace {
// The kernel named `isa_name` if this CPU runs it.
template <class T>
bool kernel_named(const char* isa_name, Kernel<T>* out) {
  Isa best = best_isa();
  for (Isa isa : {Isa::kAvx512, Isa::kAvx2, Isa::kBase}) {
    Kernel<T> k = kernel_for<T>(isa);
    bool runs = static_cast<int>(isa) >= static_cast<int>(best);
    if (runs && std::strcmp(k.isa, isa_name) == 0) {
      *out = k;
      return true;
    }
  }
  return false;
}
}  // namespace

bool detail::gemm_f32_isa(const char* isa_name, const float* a, const float* b, float* c, int64_t batch, int64_t m,
                          int64_t n, int64_t k, int64_t a_batch_stride, int64_t b_batch_stride, bool a_transposed,
                          bool b_transposed) {
  Kernel<float> kern;
  if (!kernel_named(isa_name, &kern)) return false;
  gemm(kern, a, b, c, batch, m, n, k, a_batch_stride, b_batch_stride, a_transposed, b_transposed);
  return true;
}

bool detail::gemm_f64_isa(const char* isa_name, const double* a, const double* b, double* c, int64_t batch, int64_t m,
                          int64_t n, int64_t k, int64_t a_batch_stride, int64_t b_batch_stride, bool a_transposed,
                          bool b_transposed) {
  Kernel<double> kern;
  if (!kernel_named(isa_name, &kern)) return false;
  gemm(kern, a, b, c, batch, m, n, k, a_batch_stride, b_batch_stride, a_transposed, b_transposed);
  return true;
}

void gemm_f32(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t n, int64_t k,
              int64_t a_batch_stride, int64_t b_batch_stride, bool a_transposed, bool b_transposed) {
  gemm(best_kernel<float>(), a, b, c, batch, m, n, k, a_batch_stride, b_batch_stride, a_transposed, b_transposed);
}

void gemm_f64(const double* a, const double* b, double* c, int64_t batch, int64_t m, int64_t n, int64_t k,
              int64_t a_batch_stride, int64_t b_batch_stride, bool a_transposed, bool b_transposed) {
  gemm(best_kernel<double>(), a, b, c, batch, m, n, k, a_batch_stride, b_batch_stride, a_transposed, b_transposed);
}

}  // namespace kiln
