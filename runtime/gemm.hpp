// kiln's own matrix multiplication micro-kernels for the CPU: packed panels, register tiles
// and cache blocking, spread over kiln's thread pool. The scheduler sends f32 and f64
// matmuls of contiguous operands here (other dtypes and layouts go through row kernels).
//
// Results are deterministic: every element of C is a sum over k in an order fixed by the
// block sizes and K only, never by the thread count or timing.
#pragma once

#include <cstdint>

namespace kiln {

// For each b in [0, batch): C_b = A_b @ B_b, all row-major and contiguous:
// A_b = a + b * a_batch_stride, [m, k]; B_b = b + b * b_batch_stride, [k, n];
// C_b = c + b * m * n, [m, n] (overwritten). A batch stride of 0 broadcasts that operand.
void gemm_f32(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t n, int64_t k,
              int64_t a_batch_stride, int64_t b_batch_stride);
void gemm_f64(const double* a, const double* b, double* c, int64_t batch, int64_t m, int64_t n, int64_t k,
              int64_t a_batch_stride, int64_t b_batch_stride);

namespace detail {
// For tests: the same product through the micro-kernel of one ISA ("avx512", "avx2" or
// "base"); returns false, computing nothing, when this CPU cannot run it.
bool gemm_f32_isa(const char* isa_name, const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t n,
                  int64_t k, int64_t a_batch_stride, int64_t b_batch_stride);
bool gemm_f64_isa(const char* isa_name, const double* a, const double* b, double* c, int64_t batch, int64_t m,
                  int64_t n, int64_t k, int64_t a_batch_stride, int64_t b_batch_stride);
}  // namespace detail

}  // namespace kiln
