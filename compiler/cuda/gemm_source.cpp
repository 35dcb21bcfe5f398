// The tiled matrix product in CUDA C (Builtin::Gemm; see cuda_source.hpp).
//
// A block of kGemmThreads threads owns one kGemmBlock x kGemmBlock tile of C; thread (ty, tx)
// of the 16 x 16 thread grid computes the kGemmPerThread x kGemmPerThread elements at rows
// ty + 16 i and columns tx + 16 j of it, in registers (so shared memory reads are broadcasts
// or consecutive, and stores go out 16 consecutive columns at a time). For each slice of
// kGemmDepth values of k the block stages the matching tiles of A and B in shared memory
// (zeros outside the matrices), k-major; the loads are spread so that neighbouring threads
// read neighbouring addresses whether an operand is stored as it is or transposed. After a
// barrier every thread extends each of its fused multiply-add chains over the slice, in
// increasing k. The slice length is cut at k, so no padding enters a chain: each element of C
// is exactly fma(a[k-1], b[k-1], ... fma(a[0], b[0], -0.0)), independent of the grid and of
// the tiling. Tiles and batch items beyond the grid are reached by grid-stride loops, uniform
// over the block, so every thread meets every barrier.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/cuda/cuda_source.hpp"

namespace kiln::cuda {

std::string gemm_symbol(bool f64) { return f64 ? "kiln_gemm_f64" : "kiln_gemm_f32"; }

std::string gemm_kernel_code(bool f64, const std::string& symbol) {
  static_assert(kGemmThreads == 256 && kGemmBlock == 16 * kGemmPerThread, "a 16 x 16 grid of threads");
  static_assert(kGemmBlock * kGemmDepth % kGemmThreads == 0, "whole tiles of loads");
  const std::string t = f64 ? "double" : "float";
  const std::string fma = f64 ? "fma" : "fmaf";
  return fmt::format(R"(extern "C" __global__ void __launch_bounds__({threads}) {symbol}(const kiln_words<{words}> kiln_a) {{
  const {t}* __restrict__ a = (const {t}*)kiln_a.w[0];
  const {t}* __restrict__ b = (const {t}*)kiln_a.w[1];
  {t}* __restrict__ c = ({t}*)kiln_a.w[2];
  const long long batch = (long long)kiln_a.w[3], m = (long long)kiln_a.w[4], n = (long long)kiln_a.w[5];
  const long long k = (long long)kiln_a.w[6], a_stride = (long long)kiln_a.w[7], b_stride = (long long)kiln_a.w[8];
  const bool a_t = kiln_a.w[9] != 0, b_t = kiln_a.w[10] != 0;  // stored transposed: [k, m], [n, k]
  __shared__ {t} tile_a[{depth}][{block}];  // [k][row]
  __shared__ {t} tile_b[{depth}][{block}];  // [k][column]
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const long long row_tiles = (m + {block} - 1) / {block}, col_tiles = (n + {block} - 1) / {block};
  for (long long item = blockIdx.z; item < batch; item += gridDim.z) {{
    const {t}* ai = a + item * a_stride;
    const {t}* bi = b + item * b_stride;
    for (long long ti = blockIdx.y; ti < row_tiles; ti += gridDim.y) {{
      for (long long tj = blockIdx.x; tj < col_tiles; tj += gridDim.x) {{
        const long long row0 = ti * {block}, col0 = tj * {block};
        {t} acc[{per}][{per}];
        for (int i = 0; i < {per}; ++i)
          for (int j = 0; j < {per}; ++j) acc[i][j] = k == 0 ? ({t})0 : -({t})0;  // -0.0: the identity of the chain
        for (long long k0 = 0; k0 < k; k0 += {depth}) {{
          for (int s = threadIdx.x; s < {depth} * {block}; s += {threads}) {{
            // A(row, q): consecutive threads along q for a row-major A, along row for a transposed one.
            const int ar = a_t ? s % {block} : s / {depth}, aq = a_t ? s / {block} : s % {depth};
            const long long arow = row0 + ar, aq_k = k0 + aq;
            tile_a[aq][ar] = arow < m && aq_k < k ? ai[a_t ? aq_k * m + arow : arow * k + aq_k] : ({t})0;
            // B(q, column): along the column for a row-major B, along q for a transposed one.
            const int bc = b_t ? s / {depth} : s % {block}, bq = b_t ? s % {depth} : s / {block};
            const long long bcol = col0 + bc, bq_k = k0 + bq;
            tile_b[bq][bc] = bq_k < k && bcol < n ? bi[b_t ? bcol * k + bq_k : bq_k * n + bcol] : ({t})0;
          }}
          __syncthreads();
          const int len = k - k0 < {depth} ? (int)(k - k0) : {depth};
          for (int kk = 0; kk < len; ++kk) {{
            {t} av[{per}], bv[{per}];
            for (int i = 0; i < {per}; ++i) av[i] = tile_a[kk][ty + 16 * i];
            for (int j = 0; j < {per}; ++j) bv[j] = tile_b[kk][tx + 16 * j];
            for (int i = 0; i < {per}; ++i)
              for (int j = 0; j < {per}; ++j) acc[i][j] = {fma}(av[i], bv[j], acc[i][j]);
          }}
          __syncthreads();
        }}
        for (int i = 0; i < {per}; ++i) {{
          const long long row = row0 + ty + 16 * i;
          if (row >= m) break;
          for (int j = 0; j < {per}; ++j) {{
            const long long col = col0 + tx + 16 * j;
            if (col < n) c[item * m * n + row * n + col] = acc[i][j];
          }}
        }}
      }}
    }}
  }}
}}
KILN_EMULATION_ENTRY({symbol}, {words})
)",
                     fmt::arg("threads", kGemmThreads), fmt::arg("block", kGemmBlock), fmt::arg("depth", kGemmDepth),
                     fmt::arg("per", kGemmPerThread), fmt::arg("symbol", symbol), fmt::arg("words", kGemmWords),
                     fmt::arg("t", t), fmt::arg("fma", fma));
}

std::array<unsigned long long, kGemmWords> gemm_words(void* const* buffers, const std::vector<int64_t>& args) {
  KILN_CHECK(args.size() == kGemmWords - 3) << "GEMM launch with " << args.size() << " arguments";
  std::array<unsigned long long, kGemmWords> w{};
  for (int i = 0; i < 3; ++i) w[static_cast<size_t>(i)] = reinterpret_cast<uintptr_t>(buffers[i]);
  for (size_t i = 0; i < args.size(); ++i) w[i + 3] = static_cast<unsigned long long>(args[i]);
  return w;
}

GemmGrid gemm_grid(int64_t batch, int64_t m, int64_t n) {
  GemmGrid g;
  g.x = std::clamp<int64_t>((n + kGemmBlock - 1) / kGemmBlock, 1, 65535);
  g.y = std::clamp<int64_t>((m + kGemmBlock - 1) / kGemmBlock, 1, 65535);
  g.z = std::clamp<int64_t>(batch, 1, 65535);
  return g;
}

}  // namespace kiln::cuda
