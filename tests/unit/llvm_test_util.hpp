// Helpers for the LLVM backend tests: kernels written by hand (kernel::Kernel structs), compiled
// and loaded through compile_kernel/load_kernel, and the reference interpreter run on the
// equivalent graph for comparison, with ulp distances for float results.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "compiler/ir/element.hpp"
#include "compiler/ir/function.hpp"
#include "compiler/ir/interpreter.hpp"
#include "compiler/kernel/kernel.hpp"
#include "compiler/llvm/cpu_compiler.hpp"

namespace kiln::test {

using kernel::Inst;

// A phase body under construction; each add returns the new value's number.
struct BodyBuilder {
  std::vector<Inst> insts;

  int32_t add(Inst i) {
    insts.push_back(std::move(i));
    return static_cast<int32_t>(insts.size() - 1);
  }
  int32_t simple(Inst::Kind kind, DType t, int64_t imm = 0, std::vector<int32_t> args = {}) {
    Inst i;
    i.kind = kind;
    i.type = t;
    i.imm = imm;
    i.args = std::move(args);
    return add(std::move(i));
  }
  int32_t outer() { return simple(Inst::Kind::OuterIndex, DType::I64); }
  int32_t inner() { return simple(Inst::Kind::InnerIndex, DType::I64); }
  int32_t dim(int64_t d) { return simple(Inst::Kind::Dim, DType::I64, d); }
  int32_t param(int64_t p, DType t) { return simple(Inst::Kind::Param, t, p); }
  int32_t acc(int64_t a, DType t) { return simple(Inst::Kind::Acc, t, a); }
  int32_t load(int64_t buffer, DType t, int32_t index) { return simple(Inst::Kind::Load, t, buffer, {index}); }
  int32_t constant(DType t, Scalar v) {
    Inst i;
    i.kind = Inst::Kind::Const;
    i.type = t;
    i.value = v;
    return add(std::move(i));
  }
  int32_t op(Op o, DType result, std::vector<int32_t> args) {
    Inst i;
    i.kind = Inst::Kind::Op;
    i.op = o;
    i.type = result;
    i.args = std::move(args);
    return add(std::move(i));
  }
  // o * dim(d) + r: the flat index of a row-major [outer, inner] array.
  int32_t flat(int32_t o, int32_t d, int32_t r) { return op(Op::Add, DType::I64, {op(Op::Mul, DType::I64, {o, d}), r}); }
};

inline kernel::Phase store_phase(BodyBuilder b, std::vector<int32_t> inner, std::vector<kernel::Store> stores) {
  kernel::Phase p;
  p.kind = kernel::Phase::Kind::Store;
  p.inner = std::move(inner);
  p.body = std::move(b.insts);
  p.stores = std::move(stores);
  return p;
}
inline kernel::Phase reduce_phase(BodyBuilder b, std::vector<int32_t> inner, std::vector<kernel::Reduction> reds) {
  kernel::Phase p;
  p.kind = kernel::Phase::Kind::Reduce;
  p.inner = std::move(inner);
  p.body = std::move(b.insts);
  p.reductions = std::move(reds);
  return p;
}

// A compiled and loaded kernel; unloaded when destroyed.
class JitKernel {
 public:
  explicit JitKernel(const kernel::Kernel& k, int opt_level = 3) {
    static std::atomic<int> counter{0};
    llvm_backend::CompileOptions options;
    options.opt_level = opt_level;
    object_ = llvm_backend::compile_kernel(k, "ktest_" + std::to_string(counter++), options);
    loaded_ = llvm_backend::load_kernel(object_);
  }
  ~JitKernel() { llvm_backend::unload_kernel(loaded_.handle); }
  JitKernel(const JitKernel&) = delete;
  JitKernel& operator=(const JitKernel&) = delete;

  void operator()(const std::vector<void*>& buffers, const std::vector<int64_t>& dims,
                  const std::vector<uint64_t>& params, int64_t begin, int64_t end) const {
    loaded_.fn(buffers.data(), dims.data(), params.data(), begin, end);
  }
  const llvm_backend::ObjectCode& object() const { return object_; }

 private:
  llvm_backend::ObjectCode object_;
  llvm_backend::LoadedKernel loaded_;
};

// A host buffer of n elements of t, filled from doubles (float dtypes, rounded once) or int64s
// (the others, wrapped), with the interpreter's storage rules.
inline BufferPtr buffer_of(DType t, const std::vector<double>& f, const std::vector<int64_t>& i) {
  const size_t n = is_float(t) ? f.size() : i.size();
  BufferPtr b = Buffer::allocate(std::max<size_t>(n, 1) * dtype_size(t));
  for (size_t k = 0; k < n; ++k) {
    if (is_float(t))
      store_double(b->data(), t, static_cast<int64_t>(k), f[k]);
    else
      store_int(b->data(), t, static_cast<int64_t>(k), i[k]);
  }
  return b;
}

// Runs the interpreter on `result` (whose params carry their buffers) and returns its buffer.
inline BufferPtr interpret_node(const NodeRef& result) {
  std::vector<BufferPtr> out = interpret(function_of({result}));
  REQUIRE(out.size() == 1);
  return out[0];
}

// Position of a float value on the dtype's grid, monotonic in the value (-0.0 and 0.0 both 0),
// so that the difference of two positions is their distance in ulps of that dtype.
inline int64_t grid_position(double v, DType t) {
  uint64_t bits, sign_bit;
  switch (t) {
    case DType::F64: bits = std::bit_cast<uint64_t>(v); sign_bit = uint64_t{1} << 63; break;
    case DType::F32: bits = std::bit_cast<uint32_t>(static_cast<float>(v)); sign_bit = uint64_t{1} << 31; break;
    case DType::F16: bits = f32_to_f16_bits(static_cast<float>(v)); sign_bit = 0x8000; break;
    default: bits = f32_to_bf16_bits(static_cast<float>(v)); sign_bit = 0x8000; break;
  }
  int64_t magnitude = static_cast<int64_t>(bits & (sign_bit - 1));
  return (bits & sign_bit) ? -magnitude : magnitude;
}

// Distance in ulps of dtype t; 0 for two NaNs, "infinite" when only one is NaN.
inline int64_t ulp_distance(double a, double b, DType t) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : std::numeric_limits<int64_t>::max();
  int64_t d = grid_position(a, t) - grid_position(b, t);
  return d < 0 ? -d : d;
}

// Bit-exact equality (any NaN equals any NaN; -0.0 differs from 0.0).
inline bool same_float(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

// Deterministic pseudo-random numbers for test inputs.
struct Rng {
  uint64_t s = 0x9e3779b97f4a7c15ull;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * (static_cast<double>(next() >> 11) * 0x1p-53); }
};

}  // namespace kiln::test
