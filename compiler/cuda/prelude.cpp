// The prelude of every generated CUDA C translation unit: the helper functions that give the
// elementwise ops, casts and 16-bit floats exactly the semantics of the reference interpreter
// (compiler/ir/op.hpp), written in plain CUDA C with no #include, so that NVRTC needs no
// header search path and the host emulation compiles the same text.
//
// f16 and bf16 are stored as 16-bit patterns (unsigned short) and held as f32 in registers;
// the conversions below are those of compiler/ir/dtype.cpp, bit for bit (round to nearest
// even, quiet NaN, overflow to inf). A double is narrowed to f16/bf16 through a round-to-odd
// f32, which makes the two steps one rounding. Integer arithmetic goes through unsigned
// types (wrapping, no undefined behaviour); division, shifts and float->int casts guard every
// corner case as the interpreter does.
#include "compiler/cuda/cuda_source.hpp"

namespace kiln::cuda {

std::string_view cuda_prelude() {
  return R"kiln_prelude(#ifndef KILN_PRELUDE_INCLUDED
#define KILN_PRELUDE_INCLUDED
#ifndef KILN_EMULATION_ENTRY
#define KILN_EMULATION_ENTRY(symbol, words)
#endif
#define KILN_D __device__ __forceinline__

// The launch words of a kernel (buffers, dims, parameter bits, begin, end), by value.
template <int N>
struct kiln_words {
  unsigned long long w[N];
};

// ---- 16-bit floats (compiler/ir/dtype.cpp) ----
KILN_D float kiln_f16_to_f32(unsigned short h) {
  unsigned int sign = ((unsigned int)h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, x;
  if (exp == 0x1fu) {
    x = sign | 0x7f800000u | (mant << 13);
  } else if (exp == 0) {
    if (mant == 0) {
      x = sign;
    } else {
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      x = sign | ((unsigned int)(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
  } else {
    x = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  return __int_as_float((int)x);
}
KILN_D unsigned short kiln_f32_to_f16(float f) {
  unsigned int x = (unsigned int)__float_as_int(f);
  unsigned int sign = (x >> 16) & 0x8000u, exp = (x >> 23) & 0xffu, mant = x & 0x7fffffu;
  if (exp == 0xffu) return (unsigned short)(sign | 0x7c00u | (mant ? 0x200u : 0u));
  int e = (int)exp - 127 + 15;
  if (e >= 0x1f) return (unsigned short)(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return (unsigned short)sign;
    mant |= 0x800000u;
    int shift = 14 - e;
    unsigned int half = mant >> shift, rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1u))) ++half;
    return (unsigned short)(sign | half);
  }
  unsigned int half = ((unsigned int)e << 10) | (mant >> 13), rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) ++half;
  return (unsigned short)(sign | half);
}
KILN_D float kiln_bf16_to_f32(unsigned short h) { return __int_as_float((int)((unsigned int)h << 16)); }
KILN_D unsigned short kiln_f32_to_bf16(float f) {
  unsigned int x = (unsigned int)__float_as_int(f);
  if ((x & 0x7f800000u) == 0x7f800000u && (x & 0x7fffffu)) return (unsigned short)((x >> 16) | 0x40u);
  return (unsigned short)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}
KILN_D float kiln_round_f16(float f) { return kiln_f16_to_f32(kiln_f32_to_f16(f)); }
KILN_D float kiln_round_bf16(float f) { return kiln_bf16_to_f32(kiln_f32_to_bf16(f)); }
// d rounded to f32 with round-to-odd: then rounding to f16/bf16 is one correct rounding of d.
KILN_D float kiln_odd_f32(double d) {
  float f = (float)d;
  double back = (double)f;
  if (!(back != d) || (__float_as_int(f) & 1)) return f;
  int step = fabs(back) < fabs(d) ? 1 : -1;
  return __int_as_float(__float_as_int(f) + step);
}
KILN_D float kiln_f64_to_f16(double d) { return kiln_round_f16(kiln_odd_f32(d)); }
KILN_D float kiln_f64_to_bf16(double d) { return kiln_round_bf16(kiln_odd_f32(d)); }
// An integer to bf16 with one rounding: the top 24 significant bits and a sticky bit are
// exact in f32, which then rounds to bf16 as the integer itself would.
KILN_D float kiln_i64_to_bf16(long long v) {
  bool neg = v < 0;
  unsigned long long mag = neg ? 0ull - (unsigned long long)v : (unsigned long long)v;
  if (mag == 0) return 0.0f;
  int excess = 64 - 24 - __clzll((long long)mag);
  int shift = excess > 0 ? excess : 0;
  unsigned long long low = mag & ((1ull << shift) - 1ull);
  unsigned long long kept = (mag >> shift) | (low != 0 ? 1ull : 0ull);
  float exact = (float)kept * __int_as_float((shift + 127) << 23);
  return kiln_round_bf16(neg ? -exact : exact);
}

// ---- float ops ----
// NaN-propagating minimum/maximum (the first NaN wins) that order -0.0 below 0.0.
KILN_D float kiln_min(float x, float y) {
  if (x != x) return x;
  return (x < y || (x == y && __float_as_int(x) < 0)) ? x : y;
}
KILN_D float kiln_max(float x, float y) {
  if (x != x) return x;
  return (x > y || (x == y && __float_as_int(x) >= 0)) ? x : y;
}
KILN_D double kiln_min(double x, double y) {
  if (x != x) return x;
  return (x < y || (x == y && __double_as_longlong(x) < 0)) ? x : y;
}
KILN_D double kiln_max(double x, double y) {
  if (x != x) return x;
  return (x > y || (x == y && __double_as_longlong(x) >= 0)) ? x : y;
}
KILN_D float kiln_sign(float x) { return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x; }
KILN_D double kiln_sign(double x) { return x > 0.0 ? 1.0 : x < 0.0 ? -1.0 : x; }
// Python's float divmod (CPython's float_divmod); a // 0.0 is a / 0.0 and a mod 0.0 is NaN.
KILN_D double kiln_floordiv(double a, double b) {
  if (b == 0.0) return a / b;
  double mod = fmod(a, b), div = (a - mod) / b;
  if (mod != 0.0 && ((b < 0.0) != (mod < 0.0))) div -= 1.0;
  if (div == 0.0) return copysign(0.0, a / b);
  double fl = floor(div);
  return div - fl > 0.5 ? fl + 1.0 : fl;
}
KILN_D double kiln_mod(double a, double b) {
  if (b == 0.0) return __longlong_as_double(0x7ff8000000000000ll);
  double mod = fmod(a, b);
  if (mod == 0.0) return copysign(0.0, b);
  return (b < 0.0) != (mod < 0.0) ? mod + b : mod;
}

// ---- float -> integer casts: truncate, saturate, NaN -> 0 ----
KILN_D int kiln_to_i32(double x) {
  return x != x ? 0 : x >= 2147483648.0 ? 2147483647 : x <= -2147483648.0 ? (-2147483647 - 1) : (int)x;
}
KILN_D long long kiln_to_i64(double x) {
  return x != x                      ? 0ll
         : x >= 9223372036854775808.0  ? 9223372036854775807ll
         : x <= -9223372036854775808.0 ? (-9223372036854775807ll - 1ll)
                                       : (long long)x;
}
KILN_D unsigned int kiln_to_u32(double x) { return !(x > 0.0) ? 0u : x >= 4294967296.0 ? 4294967295u : (unsigned int)x; }

// ---- integer ops: wrapping, x / 0 = x % 0 = 0, INT_MIN / -1 = INT_MIN, Python floordiv/mod ----
#define KILN_SIGNED_DIV(T, U)                                                  \
  KILN_D T kiln_div(T a, T b) {                                                \
    if (b == 0) return 0;                                                      \
    if (b == -1) return (T)((U)0 - (U)a);                                      \
    return a / b;                                                              \
  }                                                                            \
  KILN_D T kiln_floordiv(T a, T b) {                                           \
    if (b == 0) return 0;                                                      \
    if (b == -1) return (T)((U)0 - (U)a);                                      \
    T q = a / b;                                                               \
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;                   \
  }                                                                            \
  KILN_D T kiln_mod(T a, T b) {                                                \
    if (b == 0 || b == -1) return 0;                                           \
    T r = a % b;                                                               \
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;                       \
  }                                                                            \
  KILN_D T kiln_pow(T x, T n) {                                                \
    if (n < 0) return x == 1 ? 1 : x == -1 ? ((n & 1) ? -1 : 1) : 0;           \
    U result = 1, base = (U)x;                                                 \
    for (U e = (U)n; e != 0; e >>= 1) {                                        \
      if (e & 1) result *= base;                                               \
      base *= base;                                                            \
    }                                                                          \
    return (T)result;                                                          \
  }
KILN_SIGNED_DIV(int, unsigned int)
KILN_SIGNED_DIV(long long, unsigned long long)
#undef KILN_SIGNED_DIV
// Index division and remainder (both >= 0, divisor > 0, kernel.hpp's IDiv/IMod): the GPU has
// no 64-bit divider, so operands that fit in 32 bits take the 32-bit path.
KILN_D long long kiln_idiv(long long a, long long b) {
  return ((unsigned long long)(a | b) >> 32) == 0 ? (long long)((unsigned int)a / (unsigned int)b) : a / b;
}
KILN_D long long kiln_imod(long long a, long long b) {
  return ((unsigned long long)(a | b) >> 32) == 0 ? (long long)((unsigned int)a % (unsigned int)b) : a % b;
}
template <class T>
KILN_D T kiln_imin(T a, T b) { return b < a ? b : a; }
template <class T>
KILN_D T kiln_imax(T a, T b) { return b > a ? b : a; }
KILN_D unsigned int kiln_div(unsigned int a, unsigned int b) { return b == 0 ? 0u : a / b; }
KILN_D unsigned int kiln_floordiv(unsigned int a, unsigned int b) { return b == 0 ? 0u : a / b; }
KILN_D unsigned int kiln_mod(unsigned int a, unsigned int b) { return b == 0 ? 0u : a % b; }
KILN_D unsigned int kiln_pow(unsigned int x, unsigned int n) {
  unsigned int result = 1, base = x;
  for (unsigned int e = n; e != 0; e >>= 1) {
    if (e & 1) result *= base;
    base *= base;
  }
  return result;
}
// Shifts by an amount < 0 or >= the width give 0 (shr of a negative signed value: -1).
KILN_D int kiln_shl(int a, int n) { return (unsigned int)n < 32u ? (int)((unsigned int)a << n) : 0; }
KILN_D long long kiln_shl(long long a, long long n) {
  return (unsigned long long)n < 64ull ? (long long)((unsigned long long)a << n) : 0ll;
}
KILN_D unsigned int kiln_shl(unsigned int a, unsigned int n) { return n < 32u ? a << n : 0u; }
KILN_D int kiln_shr(int a, int n) { return a >> ((unsigned int)n < 32u ? n : 31); }
KILN_D long long kiln_shr(long long a, long long n) { return a >> ((unsigned long long)n < 64ull ? n : 63ll); }
KILN_D unsigned int kiln_shr(unsigned int a, unsigned int n) { return n < 32u ? a >> n : 0u; }

// ---- block reductions: a fixed tree over the block's threads ----
// Within each warp, lane l takes lane l + w (w = 16, 8, ..., 1); warp 0 then combines the warp
// results the same way. `scratch` holds 33 values; every thread gets the result. The tree
// depends only on the block size, which the code generator fixes, so results are the same
// from run to run.
template <class T, class Combine>
__device__ T kiln_block_reduce(T v, T identity, T* scratch, Combine combine) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  for (int w = 16; w >= 1; w >>= 1) v = combine(v, __shfl_down_sync(0xffffffffu, v, w));
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < warps ? scratch[lane] : identity;
    for (int w = 16; w >= 1; w >>= 1) v = combine(v, __shfl_down_sync(0xffffffffu, v, w));
    if (lane == 0) scratch[32] = v;
  }
  __syncthreads();
  v = scratch[32];
  __syncthreads();
  return v;
}
// argmax/argmin: (value, index) pairs; index -1 is empty. `beats(a, b)`: a strictly better.
// Ties (equal values, or both NaN) keep the smaller index: the first extreme of the row.
template <class T, class Beats>
__device__ void kiln_block_arg_reduce(T& v, long long& i, T* scratch, long long* iscratch, Beats beats) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  for (int round = 0; round < 2; ++round) {
    if (round == 1) {
      if (lane == 0) {
        scratch[warp] = v;
        iscratch[warp] = i;
      }
      __syncthreads();
      if (warp != 0) break;
      v = lane < warps ? scratch[lane] : v;
      i = lane < warps ? iscratch[lane] : -1;
    }
    for (int w = 16; w >= 1; w >>= 1) {
      T ov = __shfl_down_sync(0xffffffffu, v, w);
      long long oi = __shfl_down_sync(0xffffffffu, i, w);
      bool tie = !beats(ov, v) && !beats(v, ov);
      if (oi >= 0 && (i < 0 || beats(ov, v) || (tie && oi < i))) {
        v = ov;
        i = oi;
      }
    }
  }
  if (threadIdx.x == 0) {
    scratch[32] = v;
    iscratch[32] = i;
  }
  __syncthreads();
  v = scratch[32];
  i = iscratch[32];
  __syncthreads();
}
#endif  // KILN_PRELUDE_INCLUDED
)kiln_prelude";
}

}  // namespace kiln::cuda
