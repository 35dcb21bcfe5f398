// kiln's own matrix multiplication micro-kernels for the CPU: packed panels, register tiles
// and cache blocking, spread over kiln's thread pool. The scheduler sends f32 and f64
// matmuls of contiguous operands, or of transposes of contiguous values, here (other dtypes
// and layouts go through row kernels).
//
// Results are deterministic: every element of C is a sum over k in an order fixed by the
// block sizes and K only, never by the thread count or timing.
#pragma once

#include <cstdint>

namespace kiln {

// For each b in [0, batch): C_b = A_b @ B_b, all contiguous:
// A_b = a + b * a_batch_stride, [m, k] row-major, or with `a_transposed` its transpose
// [k, m] row-major (A_b[i][p] at p * m + i); B_b = b + b * b_batch_stride, [k, n] row-major,
// or with `b_transposed` [n, k] (B_b[p][j] at j * k + p); C_b = c + b * m * n, [m, n]
// row-major (overwritten). A batch stride of 0 broadcasts that operand. The layout changes
// only how operands are packed: the result is the same, bit for bit.
void gemm_f32(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t n, int64_t k,
              int64_t a_batch_stride, int64_t b_batch_stride, bool a_transposed = false, bool b_transposed = false);
void gemm_f64(const double* a, const double* b, double* c, int64_t batch, int64_t m, int64_t n, int64_t k,
              int64_t a_batch_stride, int64_t b_batch_stride, bool a_transposed = false, bool b_transposed = false);

namespace detail {
// For tests: the same product through the micro-kernel of one ISA ("avx512", "avx2" or
// "base"); returns false, computing nothing, when this CPU cannot run it.
bool gemm_f32_isa(const char* isa_name, const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t n,
                  int64_t k, int64_t a_batch_stride, int64_t b_batch_stride, bool a_transposed = false,
                  bool b_transposed = false);
bool gemm_f64_isa(const char* isa_name, const double* a, const double* b, double* c, int64_t batch, int64_t m,
                  int64_t n, int64_t k, int64_t a_batch_stride, int64_t b_batch_stride, bool a_transposed = false,
                  bool b_transposed = false);
}  // namespace detail

}  // namespace kiln
