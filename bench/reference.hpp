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
// out[c] = sum over r of x[r][c] (a reduction over the leading axis, as a bias gradient is),
// accumulated in double.
void ref_column_sums(const float* x, float* out, int64_t rows, int64_t cols);

// W6: returns sum(sin(x)*exp(-x*x)) (accumulated in double) and writes its gradient
// g = cos(x)*exp(-x*x) - 2x*sin(x)*exp(-x*x), in one pass; and the sum alone.
double ref_w6(const float* x, float* g, int64_t n);
double ref_w6_forward(const float* x, int64_t n);

// W8: one training step of the MLP  P = tanh(X W1) W2,  loss = mean((P - Y)^2),  followed by
// W1 -= lr dW1, W2 -= lr dW2 (in place). X [m, k], W1 [k, h], W2 [h, o], Y [m, o]. The matrix
// products go through kiln's own GEMM routine and the loops through kiln's thread pool (the
// same two a kiln program uses), so this measures what kiln adds around them. `work` holds
// the intermediates (see mlp_work_floats). Returns the loss before the update.
int64_t mlp_work_floats(int64_t m, int64_t k, int64_t h, int64_t o);
double ref_mlp_step(const float* x, const float* y, float* w1, float* w2, int64_t m, int64_t k, int64_t h,
                    int64_t o, float lr, float* work);
// The loss alone (the forward pass).
double ref_mlp_forward(const float* x, const float* y, const float* w1, const float* w2, int64_t m, int64_t k,
                       int64_t h, int64_t o, float* work);

}  // namespace kiln::bench
