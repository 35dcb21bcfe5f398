// gemm_f32 / gemm_f64 against a naive product accumulated in a wider type, over shapes
// around every block and tile size, batches with broadcast operands, NaN and infinity, and
// the determinism contract: every element of C is the sequential sum over k (one FMA chain on
// FMA hardware), so results are the same bit for bit whatever the thread count, the batch
// split or the rows asked for. Each micro-kernel this CPU runs is tested, not just the best.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "runtime/gemm.hpp"
#include "runtime/thread_pool.hpp"
#include "runtime_test_util.hpp"

using namespace kiln;

namespace {

const char* const kIsas[] = {"avx512", "avx2", "base"};

template <class T>
struct Wide;
template <>
struct Wide<float> {
  using type = double;
};
template <>
struct Wide<double> {
  using type = long double;
};

// One batched product: operands, strides and the C it writes.
template <class T>
struct Case {
  int64_t batch, m, n, k, a_stride, b_stride;
  std::vector<T> a, b;
};

template <class T>
std::vector<T> random_values(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<T> dist(-1, 1);
  std::vector<T> v(count);
  for (auto& x : v) x = dist(rng);
  return v;
}

template <class T>
Case<T> make_case(int64_t batch, int64_t m, int64_t n, int64_t k, int64_t a_stride, int64_t b_stride, uint32_t seed) {
  size_t a_size = static_cast<size_t>((batch - 1) * a_stride + m * k);
  size_t b_size = static_cast<size_t>((batch - 1) * b_stride + k * n);
  if (batch == 0) a_size = b_size = 0;
  return {batch, m, n, k, a_stride, b_stride, random_values<T>(a_size, seed), random_values<T>(b_size, seed + 1)};
}

// The public entry point (isa == nullptr) or one micro-kernel; false when the CPU lacks it.
template <class T>
bool run_gemm(const char* isa, const Case<T>& t, T* c) {
  if constexpr (sizeof(T) == 4) {
    if (isa)
      return detail::gemm_f32_isa(isa, t.a.data(), t.b.data(), c, t.batch, t.m, t.n, t.k, t.a_stride, t.b_stride);
    gemm_f32(t.a.data(), t.b.data(), c, t.batch, t.m, t.n, t.k, t.a_stride, t.b_stride);
  } else {
    if (isa)
      return detail::gemm_f64_isa(isa, t.a.data(), t.b.data(), c, t.batch, t.m, t.n, t.k, t.a_stride, t.b_stride);
    gemm_f64(t.a.data(), t.b.data(), c, t.batch, t.m, t.n, t.k, t.a_stride, t.b_stride);
  }
  return true;
}

template <class T>
std::vector<T> computed(const char* isa, const Case<T>& t) {
  std::vector<T> c(static_cast<size_t>(t.batch * t.m * t.n), std::numeric_limits<T>::quiet_NaN());
  run_gemm(isa, t, c.data());
  return c;
}

// Checks C against a naive product in a wider type: |c - exact| <= (k + 1) eps sum |a||b|.
template <class T>
void check_close(const Case<T>& t, const std::vector<T>& c, const std::string& what) {
  using W = typename Wide<T>::type;
  const W eps = std::numeric_limits<T>::epsilon();
  int64_t bad = 0;
  std::string first;
  for (int64_t bi = 0; bi < t.batch; ++bi) {
    const T* a = t.a.data() + bi * t.a_stride;
    const T* b = t.b.data() + bi * t.b_stride;
    for (int64_t i = 0; i < t.m; ++i)
      for (int64_t j = 0; j < t.n; ++j) {
        W sum = 0, mag = 0;
        for (int64_t p = 0; p < t.k; ++p) {
          sum += W(a[i * t.k + p]) * W(b[p * t.n + j]);
          mag += std::abs(W(a[i * t.k + p]) * W(b[p * t.n + j]));
        }
        W got = c[static_cast<size_t>((bi * t.m + i) * t.n + j)];
        if (!(std::abs(got - sum) <= W(t.k + 1) * eps * mag) && bad++ == 0)
          first = "item " + std::to_string(bi) + " (" + std::to_string(i) + ", " + std::to_string(j) + "): got " +
                  std::to_string(static_cast<double>(got)) + ", want " + std::to_string(static_cast<double>(sum));
      }
  }
  CHECK_MESSAGE(bad == 0, what << ": " << bad << " wrong elements, first " << first);
}

template <class T>
std::string shape(const Case<T>& t) {
  return std::to_string(t.batch) + " x " + std::to_string(t.m) + "x" + std::to_string(t.n) + "x" + std::to_string(t.k) +
         " strides " + std::to_string(t.a_stride) + "/" + std::to_string(t.b_stride);
}

// Shapes (m, n, k) around the tiles (MR up to 12, NR up to 32), the task blocks (192 rows,
// 512 columns) and the k slices (512 deep), plus degenerate and prime sizes.
const int64_t kShapes[][3] = {
    {1, 1, 1},     {1, 1, 7},     {2, 3, 1},     {1, 33, 5},     {13, 1, 9},     {4, 8, 4},
    {12, 32, 16},  {13, 33, 17},  {11, 31, 64},  {7, 17, 129},   {25, 65, 131},  {37, 97, 257},
    {96, 64, 513}, {193, 40, 33}, {41, 517, 19}, {211, 523, 37}, {97, 1031, 11}, {389, 12, 300},
    {3, 700, 600}, {1, 1, 513},   {5, 40, 1100}, {26, 70, 1024},
};

template <class T>
void check_shapes(const char* isa) {
  uint32_t seed = 1;
  for (const auto& s : kShapes) {
    Case<T> t = make_case<T>(1, s[0], s[1], s[2], s[0] * s[2], s[2] * s[1], seed++);
    std::vector<T> c(static_cast<size_t>(t.m * t.n), std::numeric_limits<T>::quiet_NaN());
    if (!run_gemm(isa, t, c.data())) return;  // this CPU cannot run that kernel
    check_close(t, c, std::string(isa ? isa : "best") + " " + shape(t));
  }
}

// Each element as one sequential chain of fused multiply-adds over k = 0 .. K-1.
template <class T>
std::vector<T> fma_chain(const Case<T>& t) {
  std::vector<T> c(static_cast<size_t>(t.batch * t.m * t.n));
  for (int64_t bi = 0; bi < t.batch; ++bi)
    for (int64_t i = 0; i < t.m; ++i)
      for (int64_t j = 0; j < t.n; ++j) {
        T s = 0;
        for (int64_t p = 0; p < t.k; ++p)
          s = std::fma(t.a[static_cast<size_t>(bi * t.a_stride + i * t.k + p)],
                       t.b[static_cast<size_t>(bi * t.b_stride + p * t.n + j)], s);
        c[static_cast<size_t>((bi * t.m + i) * t.n + j)] = s;
      }
  return c;
}

bool same_bits(const void* x, const void* y, size_t bytes) { return std::memcmp(x, y, bytes) == 0; }

// FNV-1a over the results of a fixed set of products large enough to run on every thread.
std::string checksum_of_fixed_products() {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const void* p, size_t bytes) {
    for (size_t i = 0; i < bytes; ++i) h = (h ^ static_cast<const unsigned char*>(p)[i]) * 1099511628211ull;
  };
  auto f = make_case<float>(1, 300, 700, 600, 300 * 600, 600 * 700, 7);
  auto fc = computed<float>(nullptr, f);
  mix(fc.data(), fc.size() * sizeof(float));
  auto d = make_case<double>(3, 101, 130, 257, 101 * 257, 257 * 130, 9);
  auto dc = computed<double>(nullptr, d);
  mix(dc.data(), dc.size() * sizeof(double));
  char text[32];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

const int kChild = [] {
  const char* mode = test::child_mode();
  if (mode && std::strcmp(mode, "gemm_checksum") == 0) {
    std::printf("threads=%d checksum=%s\n", num_threads(), checksum_of_fixed_products().c_str());
    std::exit(0);
  }
  return 0;
}();

template <class T>
double best_gflops(int64_t m, int64_t n, int64_t k) {
  auto t = make_case<T>(1, m, n, k, m * k, k * n, 3);
  std::vector<T> c(static_cast<size_t>(m * n));
  run_gemm<T>(nullptr, t, c.data());
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    auto start = std::chrono::steady_clock::now();
    run_gemm<T>(nullptr, t, c.data());
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return 2.0 * double(m) * double(n) * double(k) / best * 1e-9;
}

}  // namespace

TEST_CASE("gemm matches a naive product in a wider type on every shape and micro-kernel") {
  check_shapes<float>(nullptr);
  check_shapes<double>(nullptr);
  for (const char* isa : kIsas) {
    check_shapes<float>(isa);
    check_shapes<double>(isa);
  }
}

TEST_CASE("gemm on FMA hardware computes each element as one sequential FMA chain over k") {
  for (const char* isa : {"avx512", "avx2"}) {
    // m = 1 (a vector times a matrix) runs its own loop: column blocks, vectors and the tail.
    for (const auto& s : {std::array<int64_t, 3>{13, 33, 17}, {37, 97, 600}, {211, 523, 300}, {1, 2071, 601},
                          {1, 7, 33}}) {
      auto f = make_case<float>(1, s[0], s[1], s[2], s[0] * s[2], s[2] * s[1], 5);
      std::vector<float> fc(static_cast<size_t>(s[0] * s[1]));
      if (!run_gemm(isa, f, fc.data())) break;
      CHECK_MESSAGE(fc == fma_chain(f), std::string(isa) << " f32 " << shape(f));
      auto d = make_case<double>(1, s[0], s[1], s[2], s[0] * s[2], s[2] * s[1], 6);
      std::vector<double> dc(static_cast<size_t>(s[0] * s[1]));
      run_gemm(isa, d, dc.data());
      CHECK_MESSAGE(dc == fma_chain(d), std::string(isa) << " f64 " << shape(d));
    }
  }
}

TEST_CASE("gemm batches: separate operands, either one broadcast, both, and padded strides") {
  const int64_t m = 23, n = 45, k = 37;
  struct Strides {
    int64_t a, b;
  };
  for (Strides st : {Strides{m * k, k * n}, Strides{0, k * n}, Strides{m * k, 0}, Strides{0, 0},
                     Strides{m * k + 5, k * n + 3}, Strides{m * k + 5, 0}}) {
    auto f = make_case<float>(4, m, n, k, st.a, st.b, 11);
    auto fc = computed<float>(nullptr, f);
    check_close(f, fc, "f32 " + shape(f));
    auto d = make_case<double>(4, m, n, k, st.a, st.b, 12);
    auto dc = computed<double>(nullptr, d);
    check_close(d, dc, "f64 " + shape(d));
    // Item by item gives the same bits as the whole batch.
    for (int64_t bi = 0; bi < 4; ++bi) {
      std::vector<float> one(static_cast<size_t>(m * n));
      gemm_f32(f.a.data() + bi * st.a, f.b.data() + bi * st.b, one.data(), 1, m, n, k, 0, 0);
      CHECK_MESSAGE(same_bits(one.data(), fc.data() + bi * m * n, one.size() * sizeof(float)),
                    "item " << bi << " of " << shape(f));
    }
  }
  // Many small items (a task each), and a tall item count folded into one product.
  auto many = make_case<float>(300, 5, 7, 9, 45, 63, 13);
  check_close(many, computed<float>(nullptr, many), "f32 " + shape(many));
  auto folded = make_case<double>(50, 9, 70, 20, 180, 0, 14);
  check_close(folded, computed<double>(nullptr, folded), "f64 " + shape(folded));
}

// Each batch item of `v` (rows x cols, item stride `stride`) transposed, items back to back.
template <class T>
std::vector<T> transposed_items(const std::vector<T>& v, int64_t batch, int64_t rows, int64_t cols, int64_t stride) {
  std::vector<T> t(static_cast<size_t>(std::max<int64_t>(batch, 1) * rows * cols));
  for (int64_t bi = 0; bi < (stride == 0 ? 1 : batch); ++bi)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        t[static_cast<size_t>(bi * rows * cols + j * rows + i)] = v[static_cast<size_t>(bi * stride + i * cols + j)];
  return t;
}

template <class T>
void check_transposed_operands(const char* isa) {
  uint32_t seed = 100;
  struct Shape3 {
    int64_t batch, m, n, k;
    bool a_shared, b_shared;
  };
  for (Shape3 s : {Shape3{1, 1, 33, 5, false, false}, Shape3{1, 13, 1, 9, false, false},
                   Shape3{1, 25, 65, 131, false, false}, Shape3{1, 193, 40, 600, false, false},
                   Shape3{3, 37, 97, 57, false, false}, Shape3{4, 23, 45, 37, true, false},
                   Shape3{4, 23, 45, 37, false, true}, Shape3{2, 1, 70, 20, false, false}}) {
    const int64_t a_stride = s.a_shared ? 0 : s.m * s.k, b_stride = s.b_shared ? 0 : s.k * s.n;
    Case<T> t = make_case<T>(s.batch, s.m, s.n, s.k, a_stride, b_stride, seed++);
    std::vector<T> want(static_cast<size_t>(s.batch * s.m * s.n));
    if (!run_gemm(isa, t, want.data())) return;  // this CPU cannot run that kernel
    // The same operands stored transposed ([k, m] and [n, k] per item).
    const std::vector<T> at = transposed_items(t.a, s.batch, s.m, s.k, a_stride);
    const std::vector<T> bt = transposed_items(t.b, s.batch, s.k, s.n, b_stride);
    for (int which = 1; which < 4; ++which) {
      const bool ta = which & 1, tb = which & 2;
      std::vector<T> got(want.size(), std::numeric_limits<T>::quiet_NaN());
      const T* a = ta ? at.data() : t.a.data();
      const T* b = tb ? bt.data() : t.b.data();
      if constexpr (sizeof(T) == 4)
        detail::gemm_f32_isa(isa, a, b, got.data(), s.batch, s.m, s.n, s.k, a_stride, b_stride, ta, tb);
      else
        detail::gemm_f64_isa(isa, a, b, got.data(), s.batch, s.m, s.n, s.k, a_stride, b_stride, ta, tb);
      CHECK_MESSAGE(same_bits(got.data(), want.data(), want.size() * sizeof(T)),
                    isa << " " << shape(t) << " a transposed " << ta << ", b transposed " << tb);
    }
  }
}

TEST_CASE("gemm reads transposed operands where they are, with the same bits as row-major ones") {
  for (const char* isa : kIsas) {
    check_transposed_operands<float>(isa);
    check_transposed_operands<double>(isa);
  }
}

TEST_CASE("gemm with an empty dimension writes nothing, with k = 0 writes zeros") {
  for (auto s : {std::array<int64_t, 4>{0, 3, 4, 5}, {2, 0, 4, 5}, {2, 3, 0, 5}}) {
    auto t = make_case<float>(s[0], s[1], s[2], s[3], s[1] * s[3], s[3] * s[2], 1);
    std::vector<float> c(16, 42.0f);
    gemm_f32(t.a.data(), t.b.data(), c.data(), s[0], s[1], s[2], s[3], t.a_stride, t.b_stride);
    CHECK(c == std::vector<float>(16, 42.0f));
  }
  std::vector<float> cf(2 * 3 * 4, std::numeric_limits<float>::quiet_NaN());
  gemm_f32(nullptr, nullptr, cf.data(), 2, 3, 4, 0, 0, 0);
  CHECK(cf == std::vector<float>(cf.size(), 0.0f));
  std::vector<double> cd(5 * 7, 1.0);
  gemm_f64(nullptr, nullptr, cd.data(), 1, 5, 7, 0, 0, 0);
  CHECK(cd == std::vector<double>(cd.size(), 0.0));
}

TEST_CASE("gemm propagates NaN and infinity to exactly the elements they reach") {
  const int64_t m = 29, n = 37, k = 530;  // edges in every dimension, two k slices
  for (const char* isa : kIsas) {
    auto t = make_case<double>(1, m, n, k, m * k, k * n, 21);
    for (auto& x : t.a) x = std::abs(x) + 0.5;
    for (auto& x : t.b) x = std::abs(x) + 0.5;
    t.a[static_cast<size_t>(28 * k + 525)] = std::numeric_limits<double>::quiet_NaN();  // last row, last slice
    t.b[static_cast<size_t>(3 * n + 36)] = std::numeric_limits<double>::infinity();     // last column
    std::vector<double> c(static_cast<size_t>(m * n));
    if (!run_gemm(isa, t, c.data())) continue;
    int64_t wrong = 0;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double x = c[static_cast<size_t>(i * n + j)];
        bool ok = i == 28 ? std::isnan(x) : j == 36 ? std::isinf(x) && x > 0 : std::isfinite(x);
        wrong += !ok;
      }
    CHECK_MESSAGE(wrong == 0, std::string(isa));
    // inf * 0 is NaN.
    auto z = make_case<float>(1, 3, 5, 4, 12, 20, 22);
    z.a[1 * 4 + 2] = 0.0f;
    z.b[2 * 5 + 4] = std::numeric_limits<float>::infinity();
    auto zc = computed<float>(isa, z);
    CHECK(std::isnan(zc[1 * 5 + 4]));
    CHECK(std::isinf(zc[0 * 5 + 4]));
  }
}

TEST_CASE("gemm results do not depend on repetition, rows asked for, or thread count") {
  auto t = make_case<float>(1, 301, 555, 530, 301 * 530, 530 * 555, 31);
  auto first = computed<float>(nullptr, t);
  CHECK(computed<float>(nullptr, t) == first);
  // Rows 100..199 alone (other blocks, other tiles) give the same bits as in the whole product.
  std::vector<float> part(100 * 555);
  gemm_f32(t.a.data() + 100 * 530, t.b.data(), part.data(), 1, 100, 555, 530, 0, 0);
  CHECK(same_bits(part.data(), first.data() + 100 * 555, part.size() * sizeof(float)));
  // One row alone (m = 1: no packing, its own loop) gives that row's bits as well.
  std::vector<float> row(555);
  gemm_f32(t.a.data() + 150 * 530, t.b.data(), row.data(), 1, 1, 555, 530, 0, 0);
  CHECK(same_bits(row.data(), first.data() + 150 * 555, row.size() * sizeof(float)));

  std::string mine = checksum_of_fixed_products();
  for (const char* threads : {"KILN_NUM_THREADS=1", "KILN_NUM_THREADS=2", "KILN_NUM_THREADS=3"}) {
    test::ChildResult r = test::run_self("gemm_checksum", {threads});
    REQUIRE(r.status == 0);
    CHECK_MESSAGE(r.output.find("checksum=" + mine) != std::string::npos, threads << ": " << r.output);
  }
}

TEST_CASE("gemm speed (printed, not asserted)") {
  MESSAGE("gemm f32 1024x512x512: " << best_gflops<float>(1024, 512, 512) << " GFLOP/s on " << num_threads()
                                    << " threads");
  MESSAGE("gemm f64 1024x512x512: " << best_gflops<double>(1024, 512, 512) << " GFLOP/s on " << num_threads()
                                    << " threads");
}
