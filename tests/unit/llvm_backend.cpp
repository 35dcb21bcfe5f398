// The LLVM backend against the reference interpreter: every elementwise op of ops.def (the
// loop over the op table covers a new op automatically) for every dtype it accepts, on special
// values (NaN, ±inf, -0.0, subnormals, integer edges, shift counts, division by zero) and random
// ones, each kernel run in three uneven chunks of a [rows, cols] range. Integers, bools and
// the exact float ops must match bit for bit (NaN as a class); transcendentals within 4 ulp
// (f32/f64) or 1 ulp (f16/bf16) of the interpreter's f64-computed, once-rounded result.
#include <fmt/format.h>

#include <map>

#include "llvm_test_util.hpp"

namespace kiln::test {
namespace {

constexpr DType kAllDTypes[] = {DType::Bool, DType::I32, DType::I64, DType::U32,
                                DType::F16,  DType::BF16, DType::F32, DType::F64};
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();


// Ops computed by a libm/libmvec function: accurate to a few ulp, not correctly rounded.
bool is_transcendental(Op op) {
  switch (op) {
    case Op::Exp: case Op::Exp2: case Op::Expm1: case Op::Log: case Op::Log2: case Op::Log1p:
    case Op::Sin: case Op::Cos: case Op::Tan: case Op::Asin: case Op::Acos: case Op::Atan:
    case Op::Sinh: case Op::Cosh: case Op::Tanh: case Op::Sigmoid: case Op::Erf: case Op::Pow:
    case Op::Atan2: return true;
    default: return false;
  }
}

int64_t ulp_tolerance(Op op, DType t) {
  if (!is_transcendental(op) || !is_float(t)) return 0;
  return t == DType::F16 || t == DType::BF16 ? 1 : 4;
}

const std::vector<double>& special_floats() {
  static const std::vector<double> v = {
      0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.0, -7.0, 0.1, -0.3, 1e-3, 100.0, -100.0,
      1e10, -1e10, 65504.0, 65520.0, 70000.0, 1e-40, -1e-40, 1e-310, 3.4028234663852886e38, 1e300, kInf, -kInf,
      kNaN, 1.5707963267948966, 88.7, -88.7, -104.0, 700.0, -745.0, 2147483647.5, -2147483648.5, 4294967295.5,
      9.3e18, -9.3e18,
      1.0 + 0x1p-8 + 0x1p-30,   // f64 -> bf16: one rounding up, two roundings would tie down
      1.0 + 0x1p-11 + 0x1p-40,  // the same for f16
  };
  return v;
}

const std::vector<int64_t>& special_ints() {
  static const std::vector<int64_t> v = {
      0, 1, -1, 2, -2, 3, -3, 7, -7, 31, 32, 33, 63, 64, 100,
      std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(),
      std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 4294967295LL,
      (1LL << 24) + 1, (1LL << 24) + 3, 12345678901LL, (1LL << 40) + (1LL << 32) + 1, 65519, 65520,
  };
  return v;
}

// Random values of every magnitude, both signs.
double random_float(Rng& rng) {
  switch (rng.next() % 4) {
    case 0: return rng.uniform(-10, 10);
    case 1: return rng.uniform(-1, 1);
    case 2: return std::ldexp(rng.uniform(1, 2), static_cast<int>(rng.next() % 60) - 30) * (rng.next() % 2 ? 1 : -1);
    default: return std::round(rng.uniform(-50, 50)) * 0.5;  // exact halves: rounding and mod ties
  }
}
int64_t random_int(Rng& rng) {
  switch (rng.next() % 3) {
    case 0: return static_cast<int64_t>(rng.next());
    case 1: return static_cast<int64_t>(rng.next() % 200) - 100;
    default: return static_cast<int64_t>(static_cast<int32_t>(rng.next()));
  }
}

// Operand columns for an op of `arity`: the cross product of special values (a smaller set
// for three operands) plus random tuples, padded to a multiple of kCols.
constexpr int64_t kCols = 37;
struct Operands {
  std::vector<std::vector<double>> f;
  std::vector<std::vector<int64_t>> i;
  int64_t n = 0;
};
Operands make_operands(int arity, bool fl, uint64_t seed) {
  Rng rng;
  rng.s ^= seed * 0x100000001b3ull;
  Operands ops;
  ops.f.resize(arity);
  ops.i.resize(arity);
  const size_t ns = fl ? special_floats().size() : special_ints().size();
  const size_t take = arity == 3 ? 12 : ns;
  std::vector<size_t> idx(arity, 0);
  size_t combos = 1;
  for (int a = 0; a < arity; ++a) combos *= take;
  for (size_t c = 0; c < combos; ++c) {
    size_t rest = c;
    for (int a = 0; a < arity; ++a) {
      size_t k = rest % take;
      rest /= take;
      if (fl)
        ops.f[a].push_back(special_floats()[k * (ns / take)]);
      else
        ops.i[a].push_back(special_ints()[k * (ns / take)]);
    }
  }
  int64_t n = static_cast<int64_t>(combos) + 400;
  n = (n + kCols - 1) / kCols * kCols;
  for (int64_t e = static_cast<int64_t>(combos); e < n; ++e)
    for (int a = 0; a < arity; ++a) {
      if (fl)
        ops.f[a].push_back(random_float(rng));
      else
        ops.i[a].push_back(random_int(rng));
    }
  ops.n = n;
  return ops;
}

// Largest ulp distance seen per (op, dtype) among the tolerant ops, for the report.
std::map<std::string, int64_t>& max_ulps() {
  static std::map<std::string, int64_t> m;
  return m;
}

// Builds `op` on operand dtype t (result dtype `result` for cast) over the given buffers,
// runs it through the interpreter and the LLVM backend, and compares every element.
void check_op(Op op, DType t, DType result, const std::vector<DType>& in_types, const std::vector<BufferPtr>& in,
              int64_t n) {
  std::vector<NodeRef> params;
  for (size_t a = 0; a < in.size(); ++a)
    params.push_back(make_param({in_types[a], {n}}, "x" + std::to_string(a), in[a]));
  TensorType given{result, {n}};
  NodeRef node = make_node(op, params, {}, op_info(op).rule == TypeRule::Given ? &given : nullptr);
  REQUIRE(node->dtype() == result);
  BufferPtr expected = interpret_node(node);

  // kernel: out[o * cols + r] = op(in0[...], in1[...], ...) over [rows, cols]
  kernel::Kernel k;
  k.kind = kernel::KernelKind::Elementwise;
  for (DType it : in_types) k.buffers.push_back({it, false});
  k.buffers.push_back({result, true});
  k.num_dims = 2;
  k.outer = {0};
  BodyBuilder b;
  int32_t index = b.flat(b.outer(), b.dim(1), b.inner());
  std::vector<int32_t> args;
  for (size_t a = 0; a < in.size(); ++a) args.push_back(b.load(static_cast<int64_t>(a), in_types[a], index));
  int32_t value = b.op(op, result, args);
  k.phases.push_back(store_phase(b, {1}, {{static_cast<int32_t>(in.size()), index, value}}));
  JitKernel fn(k);

  BufferPtr out = Buffer::allocate(n * dtype_size(result));
  std::vector<void*> buffers;
  for (const BufferPtr& p : in) buffers.push_back(p->data());
  buffers.push_back(out->data());
  const int64_t a = n / 3 + 5, c = 2 * n / 3 + 11;  // three uneven chunks, splitting rows
  for (auto [lo, hi] : {std::pair<int64_t, int64_t>{0, a}, {a, c}, {c, n}}) fn(buffers, {n / kCols, kCols}, {}, lo, hi);

  const std::string what = fmt::format("{} {} -> {}", op_name(op), dtype_name(t), dtype_name(result));
  int failures = 0;
  int64_t worst = 0;
  const int64_t tolerance = ulp_tolerance(op, result);
  for (int64_t e = 0; e < n && failures < 5; ++e) {
    bool ok;
    std::string got, want;
    if (is_float(result)) {
      double g = load_as_double(out->data(), result, e), w = load_as_double(expected->data(), result, e);
      int64_t ulps = ulp_distance(g, w, result);
      ok = tolerance == 0 ? same_float(g, w) : ulps <= tolerance && std::isinf(g) == std::isinf(w);
      if (ulps != std::numeric_limits<int64_t>::max()) worst = std::max(worst, ulps);
      got = fmt::format("{}", g);
      want = fmt::format("{}", w);
    } else {
      int64_t g = load_as_int(out->data(), result, e), w = load_as_int(expected->data(), result, e);
      ok = g == w;
      got = std::to_string(g);
      want = std::to_string(w);
    }
    if (!ok) {
      ++failures;
      std::string inputs;
      for (size_t q = 0; q < in.size(); ++q)
        inputs += (q ? ", " : "") + (is_float(in_types[q]) ? fmt::format("{}", load_as_double(in[q]->data(), in_types[q], e))
                                                           : std::to_string(load_as_int(in[q]->data(), in_types[q], e)));
      FAIL_CHECK(what << " element " << e << " (" << inputs << "): got " << got << ", expected " << want);
    }
  }
  if (tolerance > 0) max_ulps()[what] = worst;
}

TEST_CASE("every elementwise op on every accepted dtype matches the interpreter") {
  int checked = 0;
  for (int o = 0; o < kNumOps; ++o) {
    const Op op = static_cast<Op>(o);
    if (!is_elementwise(op) || op == Op::Cast) continue;
    const OpInfo& info = op_info(op);
    for (DType t : kAllDTypes) {
      if (!dtype_accepted(info.accepts, t)) continue;
      Operands ops = make_operands(info.arity, is_float(t), static_cast<uint64_t>(o) * 16 + static_cast<uint64_t>(t));
      std::vector<DType> types(info.arity, t);
      std::vector<BufferPtr> in;
      for (int a = 0; a < info.arity; ++a) in.push_back(buffer_of(t, ops.f[a], ops.i[a]));
      if (op == Op::Where) {  // the condition: a random bool
        Rng rng;
        std::vector<int64_t> cond(ops.n);
        for (auto& c : cond) c = static_cast<int64_t>(rng.next() & 1);
        in[0] = buffer_of(DType::Bool, {}, cond);
        types[0] = DType::Bool;
      }
      DType result = info.rule == TypeRule::ToBool ? DType::Bool : t;
      check_op(op, t, result, types, in, ops.n);
      ++checked;
    }
  }
  CHECK(checked > 150);
  std::string report;
  for (const auto& [what, ulps] : max_ulps()) report += fmt::format("  {:28} max {} ulp\n", what, ulps);
  MESSAGE("largest ulp distance of the libm/libmvec ops from the interpreter:\n" << report);
}

TEST_CASE("cast between every pair of dtypes matches the interpreter") {
  for (DType from : kAllDTypes) {
    Operands ops = make_operands(1, is_float(from), 99 + static_cast<uint64_t>(from));
    if (from == DType::Bool)
      for (auto& v : ops.i[0]) v &= 1;
    std::vector<BufferPtr> in = {buffer_of(from, ops.f[0], ops.i[0])};
    for (DType to : kAllDTypes) check_op(Op::Cast, from, to, {from}, in, ops.n);
  }
}

}  // namespace
}  // namespace kiln::test
