// The hand-written C++ reference of kiln-bench: the workloads as the fastest plain loops we
// can write (vector math through glibc's libmvec, every thread kiln uses, outputs written
// into buffers the caller owns and reuses). kiln's results and times are measured against
// these; see reference.cpp for the compiler flags that make them fast.
#pragma once

#include <cstdint>

namespace kiln::bench {

// The number of OpenMP threads the parallel loops below use (set also starts them).
void ref_set_threads(int n);
int ref_threads();

// y = sin(x)*cos(x) + exp(-x*x)*0.5 + sqrt(|x|). Serial below a size threshold (a fork/join
// costs about a microsecond), split over the threads above it.
void ref_w1(const float* x, float* y, int64_t n);
// out = a*x + y.
void ref_axpy(float a, const float* x, const float* y, float* out, int64_t n);
// sum(x*x), accumulated in double.
double ref_sum_squares(const float* x, int64_t n);
// Softmax of each row of a rows x cols matrix: max, sum of exp, scale; rows split over threads.
void ref_softmax_rows(const float* x, float* y, int64_t rows, int64_t cols);
// y[r][c] = max(x[r][c] + b[c], 0).
void ref_bias_relu(const float* x, const float* b, float* y, int64_t rows, int64_t cols);

}  // namespace kiln::bench
