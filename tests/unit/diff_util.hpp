// Helpers of the differential tests (diff_ops, diff_random_graphs): they compare what kiln
// computes with the selected backend (KILN_BACKEND; `llvm` by default once it exists), or on
// the GPU with KILN_DEVICE=cuda (inputs are then made on the device), against the reference
// interpreter, the oracle, through the public API.
//
// The oracle must run first: evaluating an Array stores its value and drops its operands, so
// `oracle()` interprets the function computing the still pending roots, and only then does
// `evaluate_roots()` let kiln evaluate them. Values are compared element by element with the
// rules of `Tolerance`; a mismatch is described with its position and both values.
#pragma once

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <kiln/kiln.hpp>
#include <limits>
#include <string>
#include <vector>

#include "compiler/ir/element.hpp"
#include "compiler/ir/function.hpp"
#include "compiler/ir/interpreter.hpp"

namespace kiln::difftest {

// ---- Dtype facts --------------------------------------------------------------------------

inline std::vector<DType> all_dtypes() {
  std::vector<DType> ts;
  for (int k = 0; k < kNumDTypes; ++k) ts.push_back(static_cast<DType>(k));
  return ts;
}


struct FloatFacts {
  int mantissa_bits;
  int min_exponent;  // of the smallest normal number
  double max;
};
inline FloatFacts float_facts(DType t) {
  switch (t) {
    case DType::F16: return {10, -14, 65504.0};
    case DType::BF16: return {7, -126, 3.3895313892515355e38};
    case DType::F32: return {23, -126, std::numeric_limits<float>::max()};
    case DType::F64: return {52, -1022, std::numeric_limits<double>::max()};
    case DType::Bool:
    case DType::I32:
    case DType::I64:
    case DType::U32: break;
  }
  KILN_CHECK(false) << "float_facts of " << dtype_name(t);
  return {};
}
// The distance from 1 to the next value of float dtype t.
inline double epsilon(DType t) { return std::ldexp(1.0, -float_facts(t).mantissa_bits); }
// The spacing of float dtype t's values around v (the smallest subnormal spacing near 0).
inline double ulp_at(double v, DType t) {
  FloatFacts f = float_facts(t);
  int e = v == 0 || !std::isfinite(v) ? f.min_exponent : std::max(std::ilogb(v), f.min_exponent);
  return std::ldexp(1.0, e - f.mantissa_bits);
}

// Position of v on the line of values of dtype t, so that neighbours differ by 1; -0.0 and
// +0.0 are both 0. v must be a value of t (as loaded from t's storage).
inline int64_t ordered(double v, DType t) {
  uint64_t bits = 0, sign = 0;
  switch (t) {
    case DType::F16: bits = f32_to_f16_bits(static_cast<float>(v)), sign = 0x8000; break;
    case DType::BF16: bits = f32_to_bf16_bits(static_cast<float>(v)), sign = 0x8000; break;
    case DType::F32: bits = std::bit_cast<uint32_t>(static_cast<float>(v)), sign = 0x80000000u; break;
    case DType::F64: bits = std::bit_cast<uint64_t>(v), sign = uint64_t{1} << 63; break;
    case DType::Bool:
    case DType::I32:
    case DType::I64:
    case DType::U32: KILN_CHECK(false) << "ordered() of an integer dtype"; break;
  }
  int64_t mag = static_cast<int64_t>(bits & ~sign);
  return (bits & sign) ? -mag : mag;
}
inline uint64_t ulp_distance(double a, double b, DType t) {
  int64_t x = ordered(a, t), y = ordered(b, t);
  return x > y ? static_cast<uint64_t>(x - y) : static_cast<uint64_t>(y - x);
}

// ---- Sharing a run between processes -----------------------------------------------------

// KILN_DIFF_SHARD=i/n (0 <= i < n): this process checks only the cases numbered i, i + n,
// i + 2n, ... (cases counted in the order the program meets them, random graphs by seed), so
// that n processes share a long run (tests/gpu/run.sh). Unset: every case. A malformed value
// ends the program with a message before any test runs.
struct Shard {
  uint64_t index = 0, count = 1;
  bool has(uint64_t case_number) const { return case_number % count == index; }
};
inline const Shard& shard() {
  static const Shard s = [] {
    Shard s;
    const char* env = std::getenv("KILN_DIFF_SHARD");
    if (env == nullptr || *env == '\0') return s;
    unsigned long long i = 0, n = 0;
    char tail = 0;
    if (std::sscanf(env, "%llu/%llu%c", &i, &n, &tail) != 2 || n == 0 || i >= n) {
      std::fprintf(stderr, "KILN_DIFF_SHARD='%s': expected i/n with 0 <= i < n\n", env);
      std::exit(2);
    }
    s.index = i;
    s.count = n;
    return s;
  }();
  return s;
}
inline const bool kShardChecked = (shard(), true);

// ---- The device -----------------------------------------------------------------------------

// With KILN_DEVICE=cuda and no CUDA device, the whole program is skipped (exit status 77, the
// skip code of the `gpu` ctest entries), with a message, before any test runs.
inline const bool kDeviceChecked = [] {
  std::string why;
  if (default_device().is_cuda() && !cuda_available(&why)) {
    std::fprintf(stderr, "skipped: KILN_DEVICE=%s but no CUDA device (%s)\n", default_device().str().c_str(),
                 why.c_str());
    std::exit(77);
  }
  return true;
}();

// The node `op(operands)` as an array on the default device, where the inputs are made: the
// cases build nodes of every op directly (make_node), not through the frontend, which would
// take the operands' device itself.
inline Array op_array(Op op, std::vector<NodeRef> operands, Attrs attrs = {}, const TensorType* type = nullptr) {
  attrs.device = default_device();
  return Array(make_node(op, std::move(operands), std::move(attrs), type));
}

// ---- Comparison ------------------------------------------------------------------------------

// How a result must match the oracle. Integers and bool always match exactly. For floats, the
// classes always match exactly (NaN is NaN, ±inf is the same inf, a zero the oracle returns
// must be a zero of the same sign when kiln returns a zero, unless zero_sign is off); otherwise a finite value must be
// within `ulps` of the oracle's (in units of the result dtype) or within abs_tol(i) of it.
struct Tolerance {
  uint64_t ulps = 0;
  std::function<double(int64_t)> abs_tol;  // optional: per-element absolute tolerance
  bool zero_sign = true;                   // false: -0.0 and +0.0 count as equal
  static Tolerance exact() { return {}; }
  static Tolerance ulps_of(uint64_t u) { return {u, {}}; }
};

// The default float tolerance of an inexact elementwise op: 4 ulps for f32 and f64, 1 for
// f16 and bf16 (computed wider and rounded once).
inline uint64_t default_ulps(DType t) { return t == DType::F16 || t == DType::BF16 ? 1 : 4; }

struct Mismatches {
  int64_t count = 0;
  std::string first;  // the first few, one per line
};

inline std::string show(double v, DType t) {
  if (is_float(t)) return fmt::format("{} ({:a})", v, v);
  return fmt::format("{}", static_cast<int64_t>(v));
}

// Compares n elements of `got` and `want`, both buffers of dtype t.
inline Mismatches compare(const void* got, const void* want, DType t, int64_t n, const Tolerance& tol) {
  Mismatches m;
  for (int64_t i = 0; i < n; ++i) {
    bool ok;
    double g, w;
    std::string why;
    if (!is_float(t)) {
      int64_t gi = load_as_int(got, t, i), wi = load_as_int(want, t, i);
      ok = gi == wi;
      g = static_cast<double>(gi), w = static_cast<double>(wi);
    } else {
      g = load_as_double(got, t, i), w = load_as_double(want, t, i);
      if (std::isnan(w) || std::isnan(g)) {
        ok = std::isnan(w) && std::isnan(g);
      } else if (std::isinf(w) || std::isinf(g)) {
        ok = g == w;
      } else if (g == 0 && w == 0) {
        ok = !tol.zero_sign || std::signbit(g) == std::signbit(w);
        if (!ok) why = " (sign of zero)";
      } else {
        uint64_t d = ulp_distance(g, w, t);
        ok = d <= tol.ulps || (tol.abs_tol && std::fabs(g - w) <= tol.abs_tol(i));
        if (!ok) why = fmt::format(" ({} ulps{})", d, tol.abs_tol ? fmt::format(", tolerance {}", tol.abs_tol(i)) : "");
      }
    }
    if (ok) continue;
    if (++m.count <= 5) m.first += fmt::format("  [{}] got {} want {}{}\n", i, show(g, t), show(w, t), why);
  }
  return m;
}

// ---- Running both sides ----------------------------------------------------------------------

// The oracle's values of the pending `roots` (interpreting the function that computes them
// from their evaluated inputs). Call before kiln evaluates them.
inline std::vector<BufferPtr> oracle(const std::vector<Array>& roots) {
  std::vector<NodeRef> nodes;
  for (const Array& a : roots) nodes.push_back(a.node());
  Function f = function_of(nodes);
  // The interpreter reads host memory: inputs on a GPU go to it as host copies.
  std::vector<BufferPtr> inputs;
  for (const Argument& a : f.args) {
    const bool on_gpu = a.node->value() && !a.node->value()->device().is_cpu();
    inputs.push_back(on_gpu ? Array(a.node).to(Device::cpu()).buffer() : nullptr);
  }
  std::vector<BufferPtr> values = interpret(f, inputs);
  REQUIRE(values.size() == roots.size());
  return values;
}

// Evaluates `roots` with kiln (one evaluation for all of them) and returns their buffers.
inline std::vector<BufferPtr> evaluate_roots(const std::vector<Array>& roots) {
  eval(roots);
  std::vector<BufferPtr> values;
  for (const Array& a : roots) {
    CHECK(a.device() == default_device());  // KILN_DEVICE=cuda: computed on the GPU indeed
    values.push_back(a.to(Device::cpu()).buffer());
  }
  return values;
}

// ---- Input data --------------------------------------------------------------------------

// A small deterministic generator (splitmix64): the same seed gives the same inputs everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * static_cast<double>(next() >> 11) * 0x1p-53; }
  // Uniform integer in [lo, hi].
  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool chance(double p) { return uniform(0, 1) < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(next() % v.size())];
  }

 private:
  uint64_t s_;
};

// An evaluated array of dtype t and `shape` holding `values` (stored with the cast rules:
// floats rounded once, integers wrapped).
inline Array make_input(DType t, const Shape& shape, const std::vector<double>& values) {
  std::vector<unsigned char> bytes(values.size() * static_cast<size_t>(dtype_size(t)));
  for (size_t i = 0; i < values.size(); ++i) store_double(bytes.data(), t, static_cast<int64_t>(i), values[i]);
  return from_data(bytes.data(), t, shape);
}
inline Array make_input_int(DType t, const Shape& shape, const std::vector<int64_t>& values) {
  std::vector<unsigned char> bytes(values.size() * static_cast<size_t>(dtype_size(t)));
  for (size_t i = 0; i < values.size(); ++i) store_int(bytes.data(), t, static_cast<int64_t>(i), values[i]);
  return from_data(bytes.data(), t, shape);
}

}  // namespace kiln::difftest
