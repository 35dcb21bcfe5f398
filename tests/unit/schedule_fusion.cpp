// The scheduler fuses programs into the expected number of kernels, and the kernels compute
// what the reference interpreter computes (run through the kernel IR evaluator).
#include <doctest/doctest.h>
#include <kiln/kiln.hpp>

#include <cstring>

#include "compiler/ir/element.hpp"
#include "compiler/ir/interpreter.hpp"
#include "passes/schedule.hpp"
#include "runtime/executor.hpp"

using namespace kiln;

namespace {

Schedule schedule_of(const std::vector<Array>& arrays) {
  std::vector<NodeRef> roots;
  for (const Array& a : arrays) roots.push_back(a.node());
  return schedule(function_of(roots));
}

size_t kernels_of(const std::vector<Array>& arrays) { return schedule_of(arrays).launches.size(); }

// Runs the arrays through the scheduled kernels (evaluator) and the interpreter; both must
// agree exactly (the evaluator uses the interpreter's arithmetic), except that a matmul's
// products are rounded to the dtype in kernels (`rel_tol` > 0 allows for that).
void check_same_as_interpreter(const std::vector<Array>& arrays, double rel_tol = 0) {
  std::vector<NodeRef> roots;
  for (const Array& a : arrays) roots.push_back(a.node());
  Function f = function_of(roots);
  std::vector<BufferPtr> want = interpret(f);
  std::vector<BufferPtr> got = execute(f.results, evaluator_launcher, "kernels-test");
  REQUIRE(want.size() == got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    size_t bytes = static_cast<size_t>(arrays[i].size()) * dtype_size(arrays[i].dtype());
    CAPTURE(i);
    CAPTURE(type_str(arrays[i].node()->type()));
    CAPTURE(op_name(arrays[i].node()->op()));
    if (rel_tol == 0) {
      CHECK(std::memcmp(want[i]->data(), got[i]->data(), bytes) == 0);
      continue;
    }
    for (int64_t e = 0; e < arrays[i].size(); ++e) {
      double w = load_as_double(want[i]->data(), arrays[i].dtype(), e);
      double g = load_as_double(got[i]->data(), arrays[i].dtype(), e);
      CHECK(std::abs(w - g) <= rel_tol * std::abs(w));
    }
  }
}

// Evaluates the arrays with the default backend (the compiled kernels) and compares them
// with the interpreter within `rel_tol` (the interpreter runs first: evaluating drops the
// graph).
void check_backend_same_as_interpreter(const std::vector<Array>& arrays, double rel_tol) {
  std::vector<NodeRef> roots;
  for (const Array& a : arrays) roots.push_back(a.node());
  std::vector<BufferPtr> want = interpret(function_of(roots));
  eval(arrays);
  for (size_t i = 0; i < arrays.size(); ++i) {
    std::vector<double> got = arrays[i].to_vector<double>();
    CAPTURE(i);
    for (int64_t e = 0; e < arrays[i].size(); ++e) {
      double w = load_as_double(want[i]->data(), arrays[i].dtype(), e);
      CHECK(std::abs(w - got[static_cast<size_t>(e)]) <= rel_tol * std::max(1.0, std::abs(w)));
    }
  }
}

}  // namespace

TEST_CASE("an elementwise chain with broadcasts and views is one kernel") {
  Array x = random_uniform({1000}, 1);
  Array y = sin(x) * cos(x) + exp(-x * x) * 0.5f + sqrt(abs(x));
  CHECK(kernels_of({y}) == 1);
  Array m = random_uniform({64, 32}, 2);
  Array b = random_uniform({32}, 3);
  Array z = maximum(transpose(m).slice({{none, none, -1}}) * 2.0f, 0.0f) + b.reshape({32, 1});
  CHECK(kernels_of({z}) == 1);
  check_same_as_interpreter({y, z});
}

TEST_CASE("softmax over rows is one kernel of three phases") {
  Array x = random_normal({16, 33}, 4);
  Array s = softmax(x, 1);
  Schedule sched = schedule_of({s});
  REQUIRE(sched.launches.size() == 1);
  CHECK(sched.launches[0].kernel.phases.size() == 3);
  CHECK(sched.stored.size() == 1);  // only the result gets a buffer
  check_same_as_interpreter({s});
  check_same_as_interpreter({log_softmax(x, 0)});
}

TEST_CASE("a chain feeding two reductions of the same shape is one kernel") {
  Array x = random_uniform({8, 100}, 5);
  Array e = exp(x) * 2.0f;
  Array a = sum(e, 1), b = max(e, 1);
  CHECK(kernels_of({a, b}) == 1);
  check_same_as_interpreter({a, b});
}

TEST_CASE("a normalisation over rows with an epilogue is one kernel") {
  Array x = random_normal({10, 50}, 6);
  Array centered = x - mean(x, 1, true);
  Array norm = centered / sqrt(mean(centered * centered, 1, true) + 1e-5f);
  CHECK(kernels_of({norm}) == 1);
  check_same_as_interpreter({norm});
}

TEST_CASE("reductions over other axes and matmul with an epilogue") {
  Array x = random_uniform({6, 7, 8}, 7);
  Array s0 = sum(x, 0), s02 = max(x, {0, 2}), am = argmax(x, 1);
  check_same_as_interpreter({s0, s02, am});
  Array w = random_uniform({8, 5}, 8);
  Array b = random_uniform({5}, 9);
  eval(x, w, b);
  Array h = maximum(matmul(x, w) + b, 0.0f);  // relu(x @ w + b)
  // f32: the GEMM routine, then the epilogue.
  CHECK(kernels_of({h}) == 2);
  check_same_as_interpreter({h}, 1e-6);
  // Transposed operands: the GEMM reads a stored value as its transpose (w), and a view
  // under a transpose is made contiguous first, untransposed (one copy kernel, not two).
  Array wt_xt = matmul(transpose(w), transpose(x.slice({{0, 1}}).reshape({7, 8})));
  CHECK(kernels_of({wt_xt}) == 2);
  check_same_as_interpreter({wt_xt}, 1e-6);
  // One value as both operands, also through its transpose (distinct operand slots).
  Array sq = random_uniform({9, 9}, 14);
  eval(sq);
  CHECK(kernels_of({matmul(sq, sq)}) == 1);
  CHECK(kernels_of({matmul(transpose(sq), transpose(sq))}) == 1);
  check_same_as_interpreter({matmul(sq, sq), matmul(sq, transpose(sq)), matmul(transpose(sq), sq),
                             matmul(transpose(sq), transpose(sq))},
                            1e-6);
  check_same_as_interpreter({matmul(random_uniform({2, 1, 3, 4}, 10), random_uniform({5, 4, 2}, 11))}, 1e-6);
  check_same_as_interpreter({matmul(random_uniform({2, 3, 4}, 12), random_uniform({4, 2}, 13))}, 1e-6);
  // Integers (and f16) go through a row kernel: a transposed copy of b, then the products.
  Array ia = arange(12, i32).reshape({3, 4}), ib = arange(8, i32).reshape({4, 2});
  eval(ia, ib);
  CHECK(kernels_of({matmul(ia, ib)}) == 2);
  check_same_as_interpreter({matmul(ia, ib)});
  // A right operand that is a transpose is read through the view, contiguous already.
  Array ibt = arange(8, i32).reshape({2, 4});
  eval(ibt);
  CHECK(kernels_of({matmul(ia, transpose(ibt))}) == 1);
  check_same_as_interpreter({matmul(ia, transpose(ibt))});
}

TEST_CASE("matrix-vector products read the matrix along its rows, transposed or not") {
  Array w = random_uniform({40, 30}, 15), row = random_uniform({1, 40}, 16), col = random_uniform({30, 1}, 17);
  Array row30 = random_uniform({1, 30}, 18), col40 = random_uniform({40, 1}, 19);
  eval(w, row, col, row30, col40);
  auto gemm_launches = [](const Array& a) {
    size_t n = 0;
    for (const LaunchPlan& l : schedule_of({a}).launches) n += l.builtin == Builtin::Gemm;
    return n;
  };
  // W @ v and v @ W^T: a row kernel over the rows of W (no copy).
  for (const Array& p : {matmul(w, col), matmul(row30, transpose(w))}) {
    CHECK(kernels_of({p}) == 1);
    CHECK(gemm_launches(p) == 0);
    check_same_as_interpreter({p}, 1e-6);
  }
  // v @ W and W^T @ v: the GEMM streams W row by row.
  for (const Array& p : {matmul(row, w), matmul(transpose(w), col40)}) {
    CHECK(kernels_of({p}) == 1);
    CHECK(gemm_launches(p) == 1);
    check_same_as_interpreter({p}, 1e-6);
  }
}

TEST_CASE("values used by kernels of different shapes get buffers, results are correct") {
  Array x = random_uniform({20, 30}, 12);
  Array r = sum(x, 1, true);          // [20, 1]
  Array y = x / r;                    // epilogue over the row space
  Array t = transpose(y) * 3.0f;      // another kernel reading y at other points
  Array total = sum(t);
  check_same_as_interpreter({y, t, total});
  check_same_as_interpreter({total});
}

TEST_CASE("gather, scatter_add, concat, pad, random bits and iota lower into kernels") {
  Array x = random_uniform({5, 6}, 13);
  Array idx = cast(random_bits({5, 4}, 14) % 9u, i32) - 2;  // some negative, some past the end
  Array g = gather(x, idx, 1);
  Array sc = scatter_add(zeros({5, 6}), idx, ones({5, 4}), 1);
  Array c = concat({x, pad(x, {{0, 0}, {1, 2}}, -1.0), arange(5 * 3, f32).reshape({5, 3})}, 1);
  check_same_as_interpreter({g, sc, c, random_bits({3, 7}, 99, 5)});
}

TEST_CASE("scatter_add runs a lane per coordinate off its axis, adding in the interpreter's order") {
  // Many duplicates of random floats: the sums depend on the order of the additions.
  Array idx = cast(random_bits({300, 7}, 30) % 5u, i32);
  Array src = random_normal({300, 7}, 31) * 1e3f;
  Array s0 = scatter_add(random_normal({5, 7}, 32), idx, src, 0);
  Array s1 = scatter_add(random_normal({7, 5}, 33), transpose(idx), transpose(src), 1);
  Schedule sched = schedule_of({s0});
  REQUIRE(sched.launches.size() == 1);
  CHECK(sched.launches[0].kernel.kind == kernel::KernelKind::Serial);
  CHECK(sched.launches[0].outer_extent == 7);  // the lanes: axis 1's coordinates
  CHECK(schedule_of({s1}).launches[0].outer_extent == 7);
  check_same_as_interpreter({s0, s1});  // bit for bit
  // The compiled backend too, on evaluated inputs (its sin/log in random_normal may differ
  // from the interpreter's in the last bit; the additions may not).
  Array d = random_normal({5, 7}, 32), x = src * 1.0f;
  eval({d, x, idx});
  check_backend_same_as_interpreter({scatter_add(d, idx, x, 0), scatter_add(transpose(d), transpose(idx), transpose(x), 1)}, 0);
}

TEST_CASE("coordinates along leading size-1 axes are 0 wherever a point is unflattened") {
  // iota along a size-1 axis reads that axis' coordinate directly, in an elementwise kernel
  // and in the serial source loop of a scatter_add.
  TensorType type{DType::I64, {1, 4}};
  Attrs along0;
  along0.axis = 0;
  Array iota0(make_node(Op::Iota, {}, along0, &type));
  Array x = from_vector<int64_t>({5, 6, 7, 8}, {1, 4});
  Array idx = from_vector<int64_t>({3, 2, 1, 0}, {1, 4});
  check_same_as_interpreter({iota0 + x});
  check_same_as_interpreter({scatter_add(zeros({1, 4}, f64), idx, cast(iota0 * x, f64), 1)});
}

TEST_CASE("every dtype through a fused kernel") {
  for (DType t : {bool_, i32, i64, u32, f16, bf16, f32, f64}) {
    CAPTURE(dtype_name(t));
    Array x = cast(random_uniform({37}, 15, f32, -50, 50), t);
    Array y = t == bool_ ? logical_xor(x, flip(x)) : where(x > x.slice({{none, none, -1}}), x, flip(x) * 2);
    check_same_as_interpreter({y, sum(cast(y, f64))});
  }
}

TEST_CASE("zero-size arrays need no kernel") {
  Array z = zeros({0, 4}) + 1.0f;
  CHECK(kernels_of({z}) == 0);
  Array s = sum(zeros({3, 0}), 1);
  check_same_as_interpreter({z, s});
}

TEST_CASE("a reduction of a few long rows is split into slices and combined in a fixed order") {
  Array x = random_normal({3, 70001}, 16);
  Array s = sum(x * x, 1), m = max(x, 1), mn = min(cast(x * 1000.0f, i32), 1);
  Schedule sched = schedule_of({s, m, mn});
  REQUIRE(sched.launches.size() == 2);
  CHECK(sched.temp_bytes.size() == 3);
  check_same_as_interpreter({m, mn});
  check_same_as_interpreter({s}, 1e-7);
  Array total = sum(random_uniform({1 << 17}, 17, f64));
  check_same_as_interpreter({total / 2.0}, 1e-12);
  CHECK(kernels_of({mean(random_uniform({1 << 16}, 18))}) == 2);
  // argmax is not split: it stays one kernel.
  CHECK(kernels_of({argmax(random_uniform({1 << 16}, 19))}) == 1);
}

TEST_CASE("the slice count follows the shapes and the split options; the kernels stay the same") {
  const SplitOptions cpu, gpu = SplitOptions::gpu();
  CHECK(cpu.slices(1, 1 << 24) == 64);
  CHECK(cpu.slices(16, 1 << 15) == 64);
  CHECK(cpu.slices(17, 1 << 20) == 0);        // too many rows: one block or chunk per row
  CHECK(cpu.slices(1, (1 << 15) - 1) == 0);   // too short
  CHECK(gpu.slices(1, 1 << 24) == 1024);      // max_slices
  CHECK(gpu.slices(4, 1 << 24) == 512);       // total_slices / rows
  CHECK(gpu.slices(1, 1 << 20) == 512);       // row / min_slice
  CHECK(gpu.slices(100, 1 << 15) == 16);
  CHECK(gpu.slices(257, 1 << 20) == 0);

  Array x = random_normal({2, 1 << 20}, 21);
  Array s = sum(x * x, 1), m = max(x, 1);
  std::vector<NodeRef> roots = {s.node(), m.node()};
  Function f = function_of(roots);
  ScheduleOptions o;
  o.splits = gpu;
  Schedule a = schedule(f), b = schedule(f, o);
  REQUIRE(a.launches.size() == 2);
  REQUIRE(b.launches.size() == 2);
  // Partials per row: 64 on the CPU, 512 (row / min_slice) with the GPU's options; the
  // kernels are the same code with other dims.
  CHECK(a.temp_bytes == std::vector<int64_t>{2 * 64 * 8, 2 * 64 * 4});
  CHECK(b.temp_bytes == std::vector<int64_t>{2 * 512 * 8, 2 * 512 * 4});
  CHECK(a.launches[0].kernel == b.launches[0].kernel);
  CHECK(a.launches[1].kernel == b.launches[1].kernel);
  CHECK(a.launches[0].dims != b.launches[0].dims);

  std::vector<BufferPtr> want = interpret(f);
  ExecTarget t = host_target();
  t.schedule = o;
  std::vector<BufferPtr> got = execute(f.results, evaluator_launcher, "kernels-gpu-splits", {}, host_builtin_launcher, t);
  REQUIRE(got.size() == 2);
  for (int64_t r = 0; r < 2; ++r) {
    CAPTURE(r);
    const float ws = static_cast<const float*>(want[0]->data())[r], gs = static_cast<const float*>(got[0]->data())[r];
    CHECK(std::abs(ws - gs) <= 1e-6f * std::abs(ws));
    CHECK(static_cast<const float*>(want[1]->data())[r] == static_cast<const float*>(got[1]->data())[r]);
  }
}

TEST_CASE("C++ numbers are launch parameters; constants are baked into the kernel") {
  Array x = random_uniform({100}, 20);
  x.eval();
  Schedule a = schedule_of({x * 0.5f + 1.0f}), b = schedule_of({x * 0.25f + 3.0f});
  REQUIRE(a.launches.size() == 1);
  CHECK(a.launches[0].kernel == b.launches[0].kernel);  // the same code for any learning rate
  CHECK(a.launches[0].params.size() == 2);
  Schedule c = schedule_of({x * constant(0.5)}), d = schedule_of({x * constant(0.25)});
  CHECK(c.launches[0].params.empty());
  CHECK(!(c.launches[0].kernel == d.launches[0].kernel));  // the value is in the code
  check_same_as_interpreter({x * constant(0.5) + constant(-2.0, f32)});
}

TEST_CASE("a costly value used by kernels of different shapes is computed once into a buffer") {
  Array x = random_uniform({20, 30}, 21);
  x.eval();
  Array e = exp(x);
  Array a = sum(e, 0);              // a row kernel over axis 0
  Array b = e.slice({{0, 10}}) * 2.0f;  // an elementwise kernel of another shape
  Schedule s = schedule_of({a, b});
  CHECK(std::find(s.stored.begin(), s.stored.end(), e.node().get()) != s.stored.end());
  check_same_as_interpreter({a, b});
  // Cheap values are recomputed instead.
  Array c = x * 3.0f;
  Schedule t = schedule_of({sum(c, 0), c.slice({{0, 10}}) + 1.0f});
  CHECK(std::find(t.stored.begin(), t.stored.end(), c.node().get()) == t.stored.end());
}

TEST_CASE("a value of a reduction's whole input shape that shares its work is stored in the same pass") {
  // f = sum(sin(x) * exp(-x*x)) and its gradient: one pass over x computes both.
  auto value_and_gradient = [](const Array& x) {
    Array e = exp(-x * x), s = sin(x);
    Array g = cos(x) * e + (s * e) * (x * constant(-2.0f));
    return std::vector<Array>{sum(s * e), g};
  };
  Array small = random_uniform({1000}, 22, f32);
  small.eval();
  std::vector<Array> a = value_and_gradient(small);
  Schedule s = schedule_of(a);
  REQUIRE(s.launches.size() == 1);
  CHECK(s.launches[0].kernel.phases[0].kind == kernel::Phase::Kind::Reduce);
  CHECK(s.launches[0].kernel.phases[0].stores.size() == 1);
  check_same_as_interpreter(a, 1e-7);
  // A long row is split into slices: the slices' kernel stores the gradient, the combining
  // kernel the tail's part of it.
  Array big = random_uniform({(1 << 16) + 37}, 23, f32);
  big.eval();
  std::vector<Array> b = value_and_gradient(big);
  CHECK(kernels_of(b) == 2);
  check_same_as_interpreter(b, 1e-7);
  check_backend_same_as_interpreter(b, 1e-6);
  check_backend_same_as_interpreter(value_and_gradient(small), 1e-6);
  // Per row, over axis 1, with a result of the kept shape too.
  Array m = random_uniform({7, 300}, 24, f32);
  m.eval();
  Array t = tanh(m);
  std::vector<Array> c = {sum(t * t, 1), t * 2.0f, max(m, 1)};
  CHECK(kernels_of(c) == 1);
  check_same_as_interpreter(c, 1e-7);
  check_backend_same_as_interpreter(c, 1e-6);
  // A value that shares nothing with the reduction stays in a kernel of its own.
  Array other = random_uniform({1000}, 25, f32);
  other.eval();
  CHECK(kernels_of({sum(small), other * 2.0f}) == 2);
}
