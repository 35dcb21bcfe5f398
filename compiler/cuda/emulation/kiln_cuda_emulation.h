// Host emulation of the CUDA C that kiln generates: a TEST VEHICLE, never a backend for users.
//
// The system C++ compiler compiles a generated translation unit with this header forced in
// front (-include), into a shared object that kiln loads (compiler/cuda/emulation/). CUDA's
// keywords become plain C++: kernels are extern "C" functions, __shared__ variables are
// per-host-thread statics (a host thread runs one block at a time, so they are per block),
// and threadIdx/blockIdx/blockDim/gridDim, __syncthreads() and warp exchanges call into
// kiln's block runner (block_runner.cpp), which runs each CUDA thread of a block as a fiber
// and switches fibers at barriers and shuffles. Atomics are plain operations (blocks run one
// after another on a host thread). Math functions are the host's libm. The header includes
// nothing, like the generated code.
//
// With KILN_CUDA_EMULATION_API_ONLY defined, only the interface between the compiled unit and
// the block runner is declared (kiln includes it that way).
#ifndef KILN_CUDA_EMULATION_H
#define KILN_CUDA_EMULATION_H

struct dim3 {
  unsigned int x = 1, y = 1, z = 1;
};

// What the block runner exposes to the compiled unit, and what it reads back.
struct kiln_emu_indices {
  dim3 thread_idx, block_idx, block_dim, grid_dim;
};
struct kiln_emu_api {
  int version;  // kKilnEmuApiVersion of the runner
  // The running fiber's indices.
  const kiln_emu_indices* (*indices)();
  // __syncthreads(): waits until every live thread of the block arrives.
  void (*syncthreads)();
  // Publishes this lane's 64 bits, waits for every live lane of its warp, and returns the
  // warp's 32 published values (valid until this lane's next exchange; absent lanes read 0).
  const unsigned long long* (*warp_exchange)(unsigned long long bits);
};
#define KILN_EMU_API_VERSION 1

#ifndef KILN_CUDA_EMULATION_API_ONLY

#define KILN_CUDA_EMULATION 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __shared__ static thread_local

static const kiln_emu_api* kiln_emu;
extern "C" __attribute__((visibility("default"))) void kiln_emu_bind(const kiln_emu_api* api) { kiln_emu = api; }

#define threadIdx (kiln_emu->indices()->thread_idx)
#define blockIdx (kiln_emu->indices()->block_idx)
#define blockDim (kiln_emu->indices()->block_dim)
#define gridDim (kiln_emu->indices()->grid_dim)
inline void __syncthreads() { kiln_emu->syncthreads(); }

// The entry points kiln looks up: <symbol>_emu(words) calls the kernel with its launch words.
#define KILN_EMULATION_ENTRY(symbol, n)                                                          \
  extern "C" __attribute__((visibility("default"))) void symbol##_emu(const unsigned long long* w) { \
    kiln_words<n> a;                                                                             \
    for (int i = 0; i < n; ++i) a.w[i] = w[i];                                                   \
    symbol(a);                                                                                   \
  }
#define KILN_EMULATION_ENTRY_BUFFER(symbol) \
  extern "C" __attribute__((visibility("default"))) void symbol##_emu(const unsigned long long* w) { symbol(w); }

// ---- bit casts and integer intrinsics ----
inline float __int_as_float(int i) {
  float f;
  __builtin_memcpy(&f, &i, 4);
  return f;
}
inline int __float_as_int(float f) {
  int i;
  __builtin_memcpy(&i, &f, 4);
  return i;
}
inline double __longlong_as_double(long long i) {
  double d;
  __builtin_memcpy(&d, &i, 8);
  return d;
}
inline long long __double_as_longlong(double d) {
  long long i;
  __builtin_memcpy(&i, &d, 8);
  return i;
}
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll((unsigned long long)x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned int)x); }

// ---- warp shuffles and votes: one exchange across the warp's lanes ----
inline int kiln_emu_lane() {
  const kiln_emu_indices* ix = kiln_emu->indices();
  const dim3 t = ix->thread_idx, b = ix->block_dim;
  return (int)((t.x + b.x * (t.y + b.y * t.z)) & 31u);
}
template <class T>
inline const unsigned long long* kiln_emu_exchange(T v) {
  unsigned long long bits = 0;
  __builtin_memcpy(&bits, &v, sizeof(T));
  return kiln_emu->warp_exchange(bits);
}
template <class T>
inline T kiln_emu_from_bits(unsigned long long bits) {
  T v;
  __builtin_memcpy(&v, &bits, sizeof(T));
  return v;
}
// The lane `src` of this lane's segment of `width` lanes (CUDA's rule for out-of-range).
template <class T>
inline T __shfl_sync(unsigned int, T v, int src, int width = 32) {
  const int lane = kiln_emu_lane(), base = lane & ~(width - 1);
  return kiln_emu_from_bits<T>(kiln_emu_exchange(v)[base + (src & (width - 1))]);
}
template <class T>
inline T __shfl_down_sync(unsigned int, T v, unsigned int delta, int width = 32) {
  const int lane = kiln_emu_lane(), seg = lane & (width - 1);
  const unsigned long long* all = kiln_emu_exchange(v);
  return seg + (int)delta < width ? kiln_emu_from_bits<T>(all[lane + (int)delta]) : v;
}
template <class T>
inline T __shfl_up_sync(unsigned int, T v, unsigned int delta, int width = 32) {
  const int lane = kiln_emu_lane(), seg = lane & (width - 1);
  const unsigned long long* all = kiln_emu_exchange(v);
  return seg >= (int)delta ? kiln_emu_from_bits<T>(all[lane - (int)delta]) : v;
}
template <class T>
inline T __shfl_xor_sync(unsigned int, T v, int mask, int width = 32) {
  const int lane = kiln_emu_lane(), other = lane ^ mask;
  const unsigned long long* all = kiln_emu_exchange(v);
  return (other & ~(width - 1)) == (lane & ~(width - 1)) ? kiln_emu_from_bits<T>(all[other]) : v;
}
inline unsigned int __ballot_sync(unsigned int, int pred) {
  const unsigned long long* all = kiln_emu_exchange(pred != 0 ? 1 : 0);
  unsigned int m = 0;
  for (int i = 0; i < 32; ++i) m |= all[i] != 0 ? 1u << i : 0u;
  return m;
}
inline int __any_sync(unsigned int mask, int pred) { return __ballot_sync(mask, pred) != 0; }
// Absent lanes read 0, so `all` looks only at the lanes that published.
inline int __all_sync(unsigned int mask, int pred) { return __ballot_sync(mask, !pred) == 0; }

// ---- atomics: plain operations (a host thread runs its blocks one after another) ----
template <class T>
inline T atomicAdd(T* p, T v) {
  T old = *p;
  *p = old + v;
  return old;
}

// ---- math: the host's libm ----
extern "C" {
float sinf(float), cosf(float), tanf(float), asinf(float), acosf(float), atanf(float), sinhf(float), coshf(float),
    tanhf(float), expf(float), exp2f(float), expm1f(float), logf(float), log2f(float), log1pf(float), sqrtf(float),
    erff(float), fabsf(float), floorf(float), ceilf(float), truncf(float), rintf(float), powf(float, float),
    atan2f(float, float), fmodf(float, float), copysignf(float, float), fmaf(float, float, float);
double sin(double), cos(double), tan(double), asin(double), acos(double), atan(double), sinh(double), cosh(double),
    tanh(double), exp(double), exp2(double), expm1(double), log(double), log2(double), log1p(double), sqrt(double),
    erf(double), fabs(double), floor(double), ceil(double), trunc(double), rint(double), pow(double, double),
    atan2(double, double), fmod(double, double), copysign(double, double), fma(double, double, double);
}

#endif  // KILN_CUDA_EMULATION_API_ONLY
#endif  // KILN_CUDA_EMULATION_H
