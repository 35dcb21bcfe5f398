/* A C program that uses a layer compiled ahead of time by kilnc: no kiln, no LLVM, no JIT.
 *
 * layer.o and layer.h come from layer.kir (see CMakeLists.txt):
 *   kilnc layer.kir -o layer.o && kilnc layer.kir --emit=header -o layer.h
 * The program runs the layer for two batch sizes, once with layer() on one thread and once
 * step by step with two threads of its own, and checks both against a plain C reference. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"

enum { kIn = 4, kOut = 3 };

/* The same math in double: softmax(x w + b) per row, and the sum of column 0. */
static void reference(const float* x, const float* w, const float* b, int64_t n, double* y, double* t) {
  *t = 0;
  for (int64_t i = 0; i < n; ++i) {
    double z[kOut], m = -INFINITY, s = 0;
    for (int j = 0; j < kOut; ++j) {
      z[j] = b[j];
      for (int k = 0; k < kIn; ++k) z[j] += (double)x[i * kIn + k] * w[k * kOut + j];
      if (z[j] > m) m = z[j];
    }
    for (int j = 0; j < kOut; ++j) s += exp(z[j] - m);
    for (int j = 0; j < kOut; ++j) y[i * kOut + j] = exp(z[j] - m) / s;
    *t += y[i * kOut];
  }
}

struct Chunk {
  const layer_args* args;
  int64_t step, begin, end;
};

static void* run_chunk(void* p) {
  const struct Chunk* c = p;
  layer_step(c->args, c->step, c->begin, c->end);
  return NULL;
}

/* Every step split in two halves, each on a thread of its own. */
static void run_threaded(const layer_args* a) {
  for (int64_t s = 0; s < layer_step_count(); ++s) {
    int64_t size = layer_step_size(a, s);
    struct Chunk c[2] = {{a, s, 0, size / 2}, {a, s, size / 2, size}};
    pthread_t t[2];
    for (int i = 0; i < 2; ++i) pthread_create(&t[i], NULL, run_chunk, &c[i]);
    for (int i = 0; i < 2; ++i) pthread_join(t[i], NULL);
  }
}

static int check(const char* what, int64_t n, const float* y, float t, const double* ry, double rt) {
  int bad = fabs(t - rt) > 1e-5 * (1 + fabs(rt));
  for (int64_t i = 0; i < n * kOut; ++i) bad |= fabs(y[i] - ry[i]) > 1e-6;
  printf("%s n=%lld: sum of column 0 = %.6f (reference %.6f) %s\n", what, (long long)n, t, rt, bad ? "WRONG" : "ok");
  return bad;
}

static int run(int64_t n) {
  float w[kIn * kOut], b[kOut], t = 0, t2 = 0;
  float* x = malloc(sizeof(float) * (size_t)(n * kIn + 1));
  float* y = malloc(sizeof(float) * (size_t)(n * kOut + 1));
  float* y2 = malloc(sizeof(float) * (size_t)(n * kOut + 1));
  double* ry = malloc(sizeof(double) * (size_t)(n * kOut + 1));
  double rt;
  for (int64_t i = 0; i < n * kIn; ++i) x[i] = (float)sin(0.7 * (double)i);
  for (int i = 0; i < kIn * kOut; ++i) w[i] = (float)(0.25 * cos(1.3 * i));
  for (int j = 0; j < kOut; ++j) b[j] = 0.1f * (float)j;
  void* work = malloc(layer_workspace_bytes(n) + 1);
  reference(x, w, b, n, ry, &rt);

  layer(x, w, b, y, &t, n, work);
  int bad = check("layer()     ", n, y, t, ry, rt);

  layer_args a = {x, w, b, y2, &t2, n, work};
  run_threaded(&a);
  bad |= check("two threads ", n, y2, t2, ry, rt);
  bad |= memcmp(y, y2, sizeof(float) * (size_t)(n * kOut)) != 0;  /* chunking never changes results */
  free(x), free(y), free(y2), free(ry), free(work);
  return bad;
}

int main(void) {
  int bad = run(5) | run(1000) | run(0);
  printf(bad ? "FAILED\n" : "PASSED\n");
  return bad;
}
