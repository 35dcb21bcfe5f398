// The tiled matrix product in CUDA C (Builtin::Gemm; see cuda_source.hpp).
//
// A block of kGemmTile^2 threads owns one kGemmTile x kGemmTile tile of C (thread (ty, tx):
// row ty, column tx). For each slice of kGemmTile values of k it stages the matching tiles of
// A and B in shared memory (zeros outside the matrices), waits, and every thread extends its
// fused multiply-add chain over the slice, in increasing k, before the next slice. The slice
// length is cut at k, so no padding enters the chain: each element of C is exactly
// fma(a[k-1], b[k-1], ... fma(a[0], b[0], -0.0)), independent of the grid. Tiles and batch
// items beyond the grid are reached by grid-stride loops, uniform over the block, so every
// thread meets every barrier.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/cuda/cuda_source.hpp"

namespace kiln::cuda {

std::string gemm_symbol(bool f64) { return f64 ? "kiln_gemm_f64" : "kiln_gemm_f32"; }

std::string gemm_kernel_code(bool f64, const std::string& symbol) {
  const std::string t = f64 ? "double" : "float";
  const std::string fma = f64 ? "fma" : "fmaf";
  return fmt::format(R"(extern "C" __global__ void __launch_bounds__({tile2}) {symbol}(const kiln_words<{words}> kiln_a) {{
  const {t}* __restrict__ a = (const {t}*)kiln_a.w[0];
  const {t}* __restrict__ b = (const {t}*)kiln_a.w[1];
  {t}* __restrict__ c = ({t}*)kiln_a.w[2];
  const long long batch = (long long)kiln_a.w[3], m = (long long)kiln_a.w[4], n = (long long)kiln_a.w[5];
  const long long k = (long long)kiln_a.w[6], a_stride = (long long)kiln_a.w[7], b_stride = (long long)kiln_a.w[8];
  __shared__ {t} tile_a[{tile}][{tile}];  // [row][k]
  __shared__ {t} tile_b[{tile}][{tile}];  // [k][column]
  const int tx = threadIdx.x % {tile}, ty = threadIdx.x / {tile};
  const long long row_tiles = (m + {tile} - 1) / {tile}, col_tiles = (n + {tile} - 1) / {tile};
  for (long long item = blockIdx.z; item < batch; item += gridDim.z) {{
    const {t}* ai = a + item * a_stride;
    const {t}* bi = b + item * b_stride;
    for (long long ti = blockIdx.y; ti < row_tiles; ti += gridDim.y) {{
      for (long long tj = blockIdx.x; tj < col_tiles; tj += gridDim.x) {{
        const long long row = ti * {tile} + ty, col = tj * {tile} + tx;
        {t} acc = k == 0 ? ({t})0 : -({t})0;  // an empty product is +0.0; -0.0 is the identity of the chain
        for (long long k0 = 0; k0 < k; k0 += {tile}) {{
          tile_a[ty][tx] = row < m && k0 + tx < k ? ai[row * k + k0 + tx] : ({t})0;
          tile_b[ty][tx] = k0 + ty < k && col < n ? bi[(k0 + ty) * n + col] : ({t})0;
          __syncthreads();
          const int len = k - k0 < {tile} ? (int)(k - k0) : {tile};
          for (int kk = 0; kk < len; ++kk) acc = {fma}(tile_a[ty][kk], tile_b[kk][tx], acc);
          __syncthreads();
        }}
        if (row < m && col < n) c[item * m * n + row * n + col] = acc;
      }}
    }}
  }}
}}
KILN_EMULATION_ENTRY({symbol}, {words})
)",
                     fmt::arg("tile", kGemmTile), fmt::arg("tile2", kGemmTile * kGemmTile), fmt::arg("symbol", symbol),
                     fmt::arg("words", kGemmWords), fmt::arg("t", t), fmt::arg("fma", fma));
}

GemmGrid gemm_grid(int64_t batch, int64_t m, int64_t n) {
  GemmGrid g;
  g.x = std::clamp<int64_t>((n + kGemmTile - 1) / kGemmTile, 1, 65535);
  g.y = std::clamp<int64_t>((m + kGemmTile - 1) / kGemmTile, 1, 65535);
  g.z = std::clamp<int64_t>(batch, 1, 65535);
  return g;
}

}  // namespace kiln::cuda
