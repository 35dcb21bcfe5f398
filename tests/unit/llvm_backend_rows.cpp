// Rows, Serial and multi-length Elementwise kernels of the LLVM backend: every reduction kind
// on every dtype it accepts (argmax ties and NaN, integer wrap, empty rows), a softmax row
// program of three phases with two accumulators in its first phase, a Serial scatter kernel
// that loads from its own output, results independent of chunking, reduce phases that keep
// their accumulators in registers, and elementwise kernels over lengths 1 .. 2^20+3 split
// into uneven chunks.
#include <fmt/format.h>

#include "llvm_test_util.hpp"

namespace kiln::test {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Attrs axes_attr(std::vector<int64_t> a) {
  Attrs at;
  at.axes = std::move(a);
  return at;
}

// out[o] = reduce_op over r of x[o, r], as a Rows kernel: a Reduce phase, then a Store phase.
kernel::Kernel row_reduction(Op reduce_op, DType t, DType result) {
  kernel::Kernel k;
  k.kind = kernel::KernelKind::Rows;
  k.buffers = {{t, false}, {result, true}};
  k.num_dims = 2;
  k.outer = {0};
  k.num_accs = 1;
  BodyBuilder b;
  int32_t x = b.load(0, t, b.flat(b.outer(), b.dim(1), b.inner()));
  k.phases.push_back(reduce_phase(b, {1}, {{reduce_op, x, 0, result}}));
  BodyBuilder s;
  int32_t o = s.outer();
  k.phases.push_back(store_phase(s, {}, {{1, o, s.acc(0, result)}}));
  return k;
}

// Row data with ties, NaN, ±inf, -0.0 and (for ints) values that wrap when summed.
std::vector<double> row_floats(Rng& rng, int64_t n, bool with_nan) {
  std::vector<double> v(n);
  for (auto& x : v) {
    switch (rng.next() % 8) {
      case 0: x = static_cast<double>(rng.next() % 3); break;  // ties
      case 1: x = -0.0; break;
      case 2: x = with_nan && rng.next() % 4 == 0 ? kNaN : (rng.next() % 2 ? kInf : -kInf); break;
      default: x = rng.uniform(-2, 2);
    }
  }
  return v;
}
std::vector<int64_t> row_ints(Rng& rng, int64_t n, DType t) {
  std::vector<int64_t> v(n);
  for (auto& x : v) x = t == DType::Bool ? static_cast<int64_t>(rng.next() % 4 != 0) : static_cast<int64_t>(rng.next() % 4 == 0 ? rng.next() : rng.next() % 5);
  return v;
}

void check_reduction(Op rop, DType t, int64_t rows, int64_t cols, Rng& rng) {
  const bool arg = rop == Op::ArgMax || rop == Op::ArgMin;
  const DType result = arg ? DType::I64 : t;
  const bool product = rop == Op::ReduceProd;
  std::vector<double> f;
  if (is_float(t)) {
    // Products of many values overflow: keep them near 1 and finite.
    f = product ? std::vector<double>(rows * cols) : row_floats(rng, rows * cols, rng.next() % 2 == 0);
    if (product)
      for (auto& x : f) x = rng.uniform(0.9, 1.1) * (rng.next() % 2 ? 1 : -1);
  }
  BufferPtr in = buffer_of(t, f, is_float(t) ? std::vector<int64_t>{} : row_ints(rng, rows * cols, t));
  NodeRef x = make_param({t, {rows, cols}}, "x", in);
  BufferPtr expected = interpret_node(make_node(rop, {x}, axes_attr({1})));

  JitKernel fn(row_reduction(rop, t, result));
  BufferPtr whole = Buffer::allocate(std::max<int64_t>(rows, 1) * 8), chunked = Buffer::allocate(std::max<int64_t>(rows, 1) * 8);
  fn({in->data(), whole->data()}, {rows, cols}, {}, 0, rows);
  for (auto [lo, hi] : {std::pair<int64_t, int64_t>{0, 1}, {1, rows / 2}, {rows / 2, rows}})
    fn({in->data(), chunked->data()}, {rows, cols}, {}, lo, hi);
  const std::string what = fmt::format("{} {} [{}, {}]", op_name(rop), dtype_name(t), rows, cols);
  INFO(what);
  CHECK_MESSAGE(std::memcmp(whole->data(), chunked->data(), rows * dtype_size(result)) == 0,
                "chunking changed the result of " << what);
  for (int64_t o = 0; o < rows; ++o) {
    if (!is_float(result)) {
      CHECK_MESSAGE(load_as_int(whole->data(), result, o) == load_as_int(expected->data(), result, o), what << " row " << o);
      continue;
    }
    double g = load_as_double(whole->data(), result, o), w = load_as_double(expected->data(), result, o);
    if (rop == Op::ReduceMax || rop == Op::ReduceMin) {
      CHECK_MESSAGE(same_float(g, w), what << " row " << o << ": got " << g << ", expected " << w);
    } else if (t == DType::F64) {
      // f64 accumulation (kiln) vs long double (interpreter): relative to the magnitudes summed.
      double scale = 0;
      for (int64_t r = 0; r < cols; ++r) scale += std::fabs(load_as_double(in->data(), t, o * cols + r));
      if (product) scale = std::fabs(w);
      CHECK_MESSAGE((same_float(g, w) || std::fabs(g - w) <= 1e-13 * scale), what << " row " << o << ": got " << g << ", expected " << w);
    } else {
      CHECK_MESSAGE(ulp_distance(g, w, t) <= 1, what << " row " << o << ": got " << g << ", expected " << w);
    }
  }
}

TEST_CASE("every reduction kind on every accepted dtype matches the interpreter, for any chunking") {
  const Op kReductions[] = {Op::ReduceSum, Op::ReduceProd, Op::ReduceMax, Op::ReduceMin,
                            Op::ArgMax,    Op::ArgMin,     Op::ReduceAny, Op::ReduceAll};
  const DType kTypes[] = {DType::Bool, DType::I32, DType::I64, DType::U32, DType::F16, DType::BF16, DType::F32, DType::F64};
  Rng rng;
  for (Op rop : kReductions) {
    const Accepts acc = op_info(rop).accepts;
    for (DType t : kTypes) {
      const bool ok = acc == Accepts::Any || (acc == Accepts::Numeric && !is_bool(t)) || (acc == Accepts::Bool && is_bool(t));
      if (!ok) continue;
      // Around the backend's 16 lanes and 64-element groups: full groups only, a tail only,
      // both, and partial lane vectors in the tail.
      for (int64_t cols : {1, 7, 16, 17, 63, 64, 65, 129, 1000, 1537}) check_reduction(rop, t, 9, cols, rng);
    }
  }
}

TEST_CASE("a reduce phase keeps its partial accumulators in registers, not in a stack block") {
  // sum(x * x) over f32 rows in f64: the optimised IR folds vectors of f64 lanes in the loop
  // and keeps no stack array but the one of the last, partial group.
  BodyBuilder b;
  int32_t x = b.load(0, DType::F32, b.flat(b.outer(), b.dim(1), b.inner()));
  int32_t sq = b.op(Op::Cast, DType::F64, {b.op(Op::Mul, DType::F32, {x, x})});
  kernel::Kernel k;
  k.kind = kernel::KernelKind::Rows;
  k.buffers = {{DType::F32, false}, {DType::F64, true}};
  k.num_dims = 2;
  k.outer = {0};
  k.num_accs = 1;
  k.phases.push_back(reduce_phase(b, {1}, {{Op::ReduceSum, sq, 0, DType::F64}}));
  BodyBuilder s;
  int32_t o = s.outer();
  k.phases.push_back(store_phase(s, {}, {{1, o, s.acc(0, DType::F64)}}));
  const std::string ir = llvm_backend::kernel_llvm_ir(k, "k_sum_squares", true);
  INFO(ir);
  // The basic block of the loop that adds into the f64 lanes touches memory only through the
  // input buffer (whose accesses carry !alias.scope), never through the stack.
  const size_t add = ir.find("fadd <16 x double>");
  REQUIRE(add != std::string::npos);
  const size_t block_start = ir.rfind("\n\n", add);
  const size_t block_end = ir.find("\n\n", add);
  REQUIRE(block_start != std::string::npos);
  REQUIRE(block_end != std::string::npos);
  const std::string block = ir.substr(block_start, block_end - block_start);
  size_t accesses = 0;
  for (size_t at = 0; (at = block.find('\n', at)) != std::string::npos; ++at) {
    const std::string line = block.substr(at + 1, block.find('\n', at + 1) - at - 1);
    if (line.find(" = load ") == std::string::npos && line.find("  store ") == std::string::npos) continue;
    ++accesses;
    CHECK_MESSAGE(line.find("!alias.scope") != std::string::npos, "stack access in the accumulating loop: " << line);
  }
  CHECK(accesses > 0);  // the vector loads of x

  // And it sums: rows of 1 .. 200 elements, each x = 1.5 (exact in f64).
  std::vector<float> in(200 * 200, 1.5f);
  std::vector<double> out(200);
  JitKernel fn(k);
  for (int64_t cols = 0; cols <= 200; cols += 13) {
    fn({in.data(), out.data()}, {200, cols}, {}, 0, 200);
    CHECK(out[199] == 2.25 * static_cast<double>(cols));
  }
}

TEST_CASE("argmax and argmin return the first extreme, NaN first") {
  // Ties across lanes and blocks: the extreme value at r = 600 and r = 5 (argmax: 5), a NaN at
  // r = 700 and r = 1300 (700 wins over any number).
  const int64_t cols = 1537;
  std::vector<double> v(3 * cols, 0.0);
  for (int64_t r = 0; r < cols; ++r) v[r] = v[cols + r] = v[2 * cols + r] = std::sin(static_cast<double>(r));
  v[5] = v[600] = 7.0;              // row 0: ties for the max
  v[cols + 9] = v[cols + 1300] = -7.0;  // row 1: ties for the min
  v[2 * cols + 1300] = v[2 * cols + 700] = kNaN;  // row 2: NaN wins, the first one
  BufferPtr in = buffer_of(DType::F32, v, {});
  for (Op rop : {Op::ArgMax, Op::ArgMin}) {
    JitKernel fn(row_reduction(rop, DType::F32, DType::I64));
    std::vector<int64_t> out(3, -1);
    fn({in->data(), out.data()}, {3, cols}, {}, 0, 3);
    if (rop == Op::ArgMax) CHECK(out[0] == 5);
    if (rop == Op::ArgMin) CHECK(out[1] == 9);
    CHECK(out[2] == 700);
  }
}

TEST_CASE("integer sums wrap and empty rows give the identities") {
  std::vector<int64_t> big(64, std::numeric_limits<int64_t>::max());
  BufferPtr in = buffer_of(DType::I64, {}, big);
  JitKernel sum(row_reduction(Op::ReduceSum, DType::I64, DType::I64));
  std::vector<int64_t> out(2);
  sum({in->data(), out.data()}, {2, 32}, {}, 0, 2);
  CHECK(out[0] == static_cast<int64_t>(static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) * 32));

  // Zero columns: sum +0.0, prod 1, any false, all true (as the interpreter).
  std::vector<float> f(3, 42.0f);
  JitKernel fsum(row_reduction(Op::ReduceSum, DType::F32, DType::F32));
  fsum({in->data(), f.data()}, {3, 0}, {}, 0, 3);
  CHECK(std::bit_cast<uint32_t>(f[0]) == 0u);
  JitKernel fprod(row_reduction(Op::ReduceProd, DType::F32, DType::F32));
  fprod({in->data(), f.data()}, {3, 0}, {}, 0, 3);
  CHECK(f[2] == 1.0f);
  std::vector<uint8_t> b(2, 7);
  JitKernel any(row_reduction(Op::ReduceAny, DType::Bool, DType::Bool)), all(row_reduction(Op::ReduceAll, DType::Bool, DType::Bool));
  any({in->data(), b.data()}, {1, 0}, {}, 0, 1);
  all({in->data(), b.data() + 1}, {1, 0}, {}, 0, 1);
  CHECK(b[0] == 0);
  CHECK(b[1] == 1);
  // A sum of -0.0s is -0.0.
  std::vector<float> negzero(5, -0.0f), s(1);
  fsum({negzero.data(), s.data()}, {1, 5}, {}, 0, 1);
  CHECK(std::bit_cast<uint32_t>(s[0]) == 0x80000000u);
}

TEST_CASE("a softmax row program: max and argmax, sum of exp, then the store phase") {
  const int64_t rows = 13, cols = 1100;
  const DType F = DType::F32;
  kernel::Kernel k;
  k.kind = kernel::KernelKind::Rows;
  k.buffers = {{F, false}, {F, true}, {DType::I64, true}};
  k.num_dims = 2;
  k.outer = {0};
  k.num_accs = 3;
  BodyBuilder p0;  // acc0 = max x, acc1 = argmax x
  int32_t x0 = p0.load(0, F, p0.flat(p0.outer(), p0.dim(1), p0.inner()));
  k.phases.push_back(reduce_phase(p0, {1}, {{Op::ReduceMax, x0, 0, F}, {Op::ArgMax, x0, 1, DType::I64}}));
  BodyBuilder p1;  // acc2 = sum exp(x - acc0)
  int32_t x1 = p1.load(0, F, p1.flat(p1.outer(), p1.dim(1), p1.inner()));
  int32_t e1 = p1.op(Op::Exp, F, {p1.op(Op::Sub, F, {x1, p1.acc(0, F)})});
  k.phases.push_back(reduce_phase(p1, {1}, {{Op::ReduceSum, e1, 2, F}}));
  BodyBuilder p2;  // out = exp(x - acc0) / acc2; idx[o] = acc1
  int32_t o2 = p2.outer();
  int32_t i2 = p2.flat(o2, p2.dim(1), p2.inner());
  int32_t x2 = p2.load(0, F, i2);
  int32_t y2 = p2.op(Op::Div, F, {p2.op(Op::Exp, F, {p2.op(Op::Sub, F, {x2, p2.acc(0, F)})}), p2.acc(2, F)});
  k.phases.push_back(store_phase(p2, {1}, {{1, i2, y2}, {2, o2, p2.acc(1, DType::I64)}}));
  JitKernel fn(k);

  Rng rng;
  std::vector<double> v(rows * cols);
  for (auto& x : v) x = rng.uniform(-20, 20);
  BufferPtr in = buffer_of(F, v, {});
  std::vector<float> out(rows * cols);
  std::vector<int64_t> idx(rows);
  fn({in->data(), out.data(), idx.data()}, {rows, cols}, {}, 0, 5);
  fn({in->data(), out.data(), idx.data()}, {rows, cols}, {}, 5, rows);

  // The same program in the graph IR.
  NodeRef x = make_param({F, {rows, cols}}, "x", in);
  TensorType col{F, {rows, 1}}, full{F, {rows, cols}};
  auto bcast = [&](const NodeRef& r) {
    NodeRef c = make_node(Op::Reshape, {r}, {}, &col);
    return make_node(Op::Broadcast, {c}, {}, &full);
  };
  NodeRef e = make_node(Op::Exp, {make_node(Op::Sub, {x, bcast(make_node(Op::ReduceMax, {x}, axes_attr({1})))})});
  NodeRef softmax = make_node(Op::Div, {e, bcast(make_node(Op::ReduceSum, {e}, axes_attr({1})))});
  BufferPtr expected = interpret_node(softmax);
  BufferPtr expected_idx = interpret_node(make_node(Op::ArgMax, {x}, axes_attr({1})));
  int64_t worst = 0;
  for (int64_t i = 0; i < rows * cols; ++i)
    worst = std::max(worst, ulp_distance(out[i], load_as_double(expected->data(), F, i), F));
  CHECK(worst <= 8);
  MESSAGE("softmax f32: largest distance from the interpreter " << worst << " ulp");
  for (int64_t o = 0; o < rows; ++o) CHECK(idx[o] == load_as_int(expected_idx->data(), DType::I64, o));
}

TEST_CASE("a Serial scatter kernel loads what it stored before") {
  // out[idx[r]] += src[r], in order, with repeated indices.
  const int64_t n = 5000, m = 17;
  kernel::Kernel k;
  k.kind = kernel::KernelKind::Serial;
  k.buffers = {{DType::I64, false}, {DType::F32, false}, {DType::F32, true}};
  k.num_dims = 1;
  BodyBuilder b;
  int32_t r = b.inner();
  int32_t i = b.load(0, DType::I64, r);
  int32_t sum = b.op(Op::Add, DType::F32, {b.load(2, DType::F32, i), b.load(1, DType::F32, r)});
  k.phases.push_back(store_phase(b, {0}, {{2, i, sum}}));
  JitKernel fn(k);
  Rng rng;
  std::vector<int64_t> idx(n);
  std::vector<float> src(n), out(m, 0.5f), ref(m, 0.5f);
  for (int64_t q = 0; q < n; ++q) {
    idx[q] = static_cast<int64_t>(rng.next() % m);
    src[q] = static_cast<float>(rng.uniform(-1, 1) * std::ldexp(1.0, static_cast<int>(rng.next() % 20)));
    ref[idx[q]] = ref[idx[q]] + src[q];
  }
  fn({idx.data(), src.data(), out.data()}, {n}, {}, 0, 1);
  for (int64_t q = 0; q < m; ++q) CHECK(std::bit_cast<uint32_t>(out[q]) == std::bit_cast<uint32_t>(ref[q]));
}

TEST_CASE("elementwise kernels over many lengths and chunkings, with a scalar parameter") {
  // y = sin(x) * cos(x) + exp(-x * x) * p + sqrt(abs(x)), p a launch parameter (f32 bits).
  const DType F = DType::F32;
  kernel::Kernel k;
  k.kind = kernel::KernelKind::Elementwise;
  k.buffers = {{F, false}, {F, true}};
  k.num_dims = 1;
  k.params = {F};
  BodyBuilder b;
  int32_t r = b.inner();
  int32_t x = b.load(0, F, r);
  int32_t sc = b.op(Op::Mul, F, {b.op(Op::Sin, F, {x}), b.op(Op::Cos, F, {x})});
  int32_t e = b.op(Op::Exp, F, {b.op(Op::Mul, F, {b.op(Op::Neg, F, {x}), x})});
  int32_t y = b.op(Op::Add, F, {b.op(Op::Add, F, {sc, b.op(Op::Mul, F, {e, b.param(0, F)})}), b.op(Op::Sqrt, F, {b.op(Op::Abs, F, {x})})});
  k.phases.push_back(store_phase(b, {0}, {{1, r, y}}));
  JitKernel fn(k);
  const float p = 0.5f;
  const std::vector<uint64_t> params = {std::bit_cast<uint32_t>(p)};
  Rng rng;
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{1023}, int64_t{1025}, (int64_t{1} << 20) + 3}) {
    std::vector<float> in(n), whole(n, kNaN), parts(n, kNaN);
    for (auto& v : in) v = static_cast<float>(rng.uniform(-10, 10));
    fn({in.data(), whole.data()}, {n}, params, 0, n);
    const int64_t a = n / 3, c = n - n / 5;
    for (auto [lo, hi] : {std::pair<int64_t, int64_t>{0, a}, {a, c}, {c, n}})
      fn({in.data(), parts.data()}, {n}, params, lo, hi);
    // Bit-identical except where an element falls into a loop's scalar remainder in one run and
    // into its vector body in the other: libm's sinf and libmvec's may differ by an ulp or two.
    int64_t chunk_ulps = 0;
    for (int64_t i = 0; i < n; ++i) chunk_ulps = std::max(chunk_ulps, ulp_distance(whole[i], parts[i], F));
    CHECK_MESSAGE(chunk_ulps <= 4, "length " << n << ": chunking moved a result by " << chunk_ulps << " ulp");
    if (chunk_ulps > 0) MESSAGE("length " << n << ": chunking moved a result by " << chunk_ulps << " ulp");
    int64_t worst = 0;
    for (int64_t i = 0; i < n; ++i) {
      double v = in[i];
      // Each op rounded to f32 once, as the kernel IR defines it.
      float s = static_cast<float>(std::sin(v)), co = static_cast<float>(std::cos(v));
      float ex = static_cast<float>(std::exp(static_cast<double>(static_cast<float>(-v * v))));
      float want = (s * co + ex * p) + static_cast<float>(std::sqrt(std::fabs(v)));
      worst = std::max(worst, ulp_distance(whole[i], want, F));
    }
    CHECK_MESSAGE(worst <= 8, "length " << n << ": " << worst << " ulp");
  }
}

}  // namespace
}  // namespace kiln::test
