// Derivatives of the structural ops with values worked out by hand: broadcasting (summed
// back), the views (a cotangent lands exactly where its element was read, zeros elsewhere),
// reductions and their tie rules (the first extreme wins, as argmax), NaN routing, products
// with zeros, gather / scatter_add with wrapped, clamped and dropped indices, and matmul with
// broadcast batch axes against a loop.
#include <doctest/doctest.h>

#include <cmath>
#include <kiln/kiln.hpp>
#include <limits>

using namespace kiln;

namespace {

using V = std::vector<double>;
V values(const Array& a) { return a.to_vector<double>(); }
Array f64s(const V& v, const Shape& s) { return from_vector<double>(v, s); }
Array f64s(const V& v) { return from_vector<double>(v); }
// The cotangent of x for y's cotangent ct.
Array back(const Array& y, const Array& x, const Array& ct) { return vjp({y}, {x}, {ct})[0]; }
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST_CASE("broadcasting: the cotangent is summed over the broadcast axes") {
  Array x = f64s({1, 2}, {2, 1});
  Array z = f64s({10, 20, 30});
  Array w = f64s({1, 2, 3, 4, 5, 6}, {2, 3});
  Array y = sum((x + z) * w);
  Array gx = grad(y, x), gz = grad(y, z);
  CHECK(gx.shape() == Shape{2, 1});
  CHECK(values(gx) == V{6, 15});
  CHECK(values(gz) == V{5, 7, 9});
  Array s = f64s({2});
  CHECK(values(grad(sum(broadcast_to(s.reshape({}), {3, 4})), s)) == V{12});
}

TEST_CASE("views: reshape, permute, flip") {
  Array x = f64s({0, 1, 2, 3, 4, 5}, {2, 3});
  Array ct = f64s({10, 20, 30, 40, 50, 60}, {3, 2});
  CHECK(values(back(reshape(x, {3, 2}), x, ct)) == V{10, 20, 30, 40, 50, 60});
  CHECK(values(back(transpose(x), x, ct)) == V{10, 30, 50, 20, 40, 60});
  Array c2 = f64s({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(values(back(flip(x, 1), x, c2)) == V{3, 2, 1, 6, 5, 4});
}

TEST_CASE("slices: each cotangent element returns to the element it was read from") {
  Array x = arange(0.0, 10.0, 1.0, f64);
  x.eval();
  CHECK(values(back(x.slice({{1, none, 3}}), x, f64s({10, 20, 30}))) == V{0, 10, 0, 0, 20, 0, 0, 30, 0, 0});
  CHECK(values(back(x.slice({{8, none, -3}}), x, f64s({1, 2, 3}))) == V{0, 0, 3, 0, 0, 2, 0, 0, 1, 0});
  CHECK(values(back(x.slice({{none, none, -1}}), x, arange(0.0, 10.0, 1.0, f64))) ==
        V{9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  CHECK(values(back(x.slice({{4, 5}}), x, f64s({7}))) == V{0, 0, 0, 0, 7, 0, 0, 0, 0, 0});
  Array m = f64s(V(12, 1.0), {3, 4});
  Array g = back(m.slice({{none, none, -2}, {1, none, 2}}), m, f64s({1, 2, 3, 4}, {2, 2}));
  CHECK(values(g) == V{0, 3, 0, 4, 0, 0, 0, 0, 0, 1, 0, 2});
}

TEST_CASE("pad drops the padding's cotangent; concat splits the cotangent") {
  Array x = f64s({1, 2}, {1, 2});
  Array ct = f64s({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4});
  CHECK(values(back(pad(x, {{1, 0}, {1, 1}}, 9.0), x, ct)) == V{6, 7});
  Array a = f64s({1, 2}, {2, 1}), b = f64s({3, 4, 5, 6}, {2, 2});
  Array y = concat({a, b}, 1);
  Array c = f64s({10, 20, 30, 40, 50, 60}, {2, 3});
  std::vector<Array> g = vjp({y}, {a, b}, {c});
  CHECK(values(g[0]) == V{10, 40});
  CHECK(values(g[1]) == V{20, 30, 50, 60});
}

TEST_CASE("sum, mean and prod broadcast the cotangent back; prod is exact with zeros") {
  Array x = f64s({2, 4, 3}, {1, 3});
  CHECK(values(grad(sum(x), x)) == V{1, 1, 1});
  CHECK(values(grad(mean(x), x)) == V{1.0 / 3, 1.0 / 3, 1.0 / 3});
  CHECK(values(grad(prod(x), x)) == V{12, 6, 8});
  Array z1 = f64s({2, 0, 3});
  CHECK(values(grad(prod(z1), z1)) == V{0, 6, 0});
  Array z2 = f64s({0, 5, 0});
  CHECK(values(grad(prod(z2), z2)) == V{0, 0, 0});
  Array rows = f64s({2, 0, 3, 1, 2, 3}, {2, 3});
  Array ct = f64s({1, 10});
  CHECK(values(back(prod(rows, 1), rows, ct)) == V{0, 6, 0, 60, 30, 20});
}

TEST_CASE("max and min over axes: the first extreme element in row-major order takes it all") {
  Array x = f64s({1, 3, 3, 2, 2, 0}, {2, 3});
  CHECK(values(back(max(x, 1), x, f64s({1, 1}))) == V{0, 1, 0, 1, 0, 0});
  CHECK(values(grad(max(x), x)) == V{0, 1, 0, 0, 0, 0});
  CHECK(values(back(min(x, 0), x, f64s({5, 6, 7}))) == V{5, 0, 0, 0, 6, 7});
  // Over two axes of three: the first maximum of each group in row-major order.
  Array y = f64s({1, 7, 7, 1, 0, 7, 2, 2}, {2, 2, 2});
  CHECK(values(back(max(y, {0, 2}), y, f64s({1, 2}))) == V{0, 1, 2, 0, 0, 0, 0, 0});
  // A NaN is the maximum: the first NaN gets the cotangent.
  Array n = f64s({1, kNaN, 5, kNaN});
  CHECK(values(grad(max(n), n)) == V{0, 1, 0, 0});
}

TEST_CASE("minimum, maximum and clamp: ties go to the first operand; a NaN result goes to its operand") {
  Array a = f64s({1, 2, 3, kNaN, 1});
  Array b = f64s({1, 5, 0, 0, kNaN});
  Array c = f64s({1, 1, 1, 1, 1});
  std::vector<Array> g = vjp({maximum(a, b)}, {a, b}, {c});
  CHECK(values(g[0]) == V{1, 0, 1, 1, 0});
  CHECK(values(g[1]) == V{0, 1, 0, 0, 1});
  g = vjp({minimum(a, b)}, {a, b}, {c});
  CHECK(values(g[0]) == V{1, 1, 0, 1, 0});
  CHECK(values(g[1]) == V{0, 0, 1, 0, 1});
  Array x = f64s({-1, 0, 0.5, 1, 2});
  Array lo = f64s({0, 0, 0, 0, 0}), hi = f64s({1, 1, 1, 1, 1});
  g = vjp({clamp(x, lo, hi)}, {x, lo, hi}, {c});
  CHECK(values(g[0]) == V{0, 1, 1, 1, 0});
  CHECK(values(g[1]) == V{1, 0, 0, 0, 0});
  CHECK(values(g[2]) == V{0, 0, 0, 0, 1});
  Array t = f64s({1, 1, 1, 1, 1});
  CHECK(values(jvp({clamp(x, lo, hi)}, {x}, {t})[0]) == V{0, 1, 1, 1, 0});
}

TEST_CASE("where routes the cotangent by the condition") {
  Array a = f64s({1, 2, 3}), b = f64s({4, 5, 6});
  Array cond = from_vector<bool>({true, false, true});
  std::vector<Array> g = vjp({where(cond, a, b)}, {a, b}, {f64s({7, 8, 9})});
  CHECK(values(g[0]) == V{7, 0, 9});
  CHECK(values(g[1]) == V{0, 8, 0});
  CHECK(values(jvp({where(cond, a, b)}, {b}, {f64s({1, 1, 1})})[0]) == V{0, 1, 0});
}

TEST_CASE("gather scatters back to the element read (wrapped, then clamped); scatter_add gathers") {
  Array x = f64s({10, 20, 30, 40});
  Array idx = from_vector<int64_t>({0, 0, 3, -1, 7, -9});
  Array y = gather(x, idx, 0);
  Array g_x = back(y, x, f64s({1, 2, 4, 8, 16, 32}));
  CHECK(values(y) == V{10, 10, 40, 40, 40, 10});
  CHECK(values(g_x) == V{35, 0, 0, 28});
  Array dst = f64s({0, 0, 0});
  Array src = f64s({1, 2, 3, 4});
  Array sidx = from_vector<int32_t>({2, -1, 5, -4});  // 5 and -4 are dropped
  Array s = scatter_add(dst, sidx, src, 0);
  std::vector<Array> g = vjp({s}, {dst, src}, {f64s({10, 20, 30})});
  CHECK(values(g[0]) == V{10, 20, 30});
  CHECK(values(g[1]) == V{30, 30, 0, 0});
}

TEST_CASE("batched matmul with broadcast batch axes matches a loop") {
  // a: [2,1,2,3], b: [3,3,4] -> [2,3,2,4]
  std::vector<double> av(12), bv(36), wv(48);
  for (size_t i = 0; i < av.size(); ++i) av[i] = 0.25 * static_cast<double>(i) - 1;
  for (size_t i = 0; i < bv.size(); ++i) bv[i] = std::sin(static_cast<double>(i));
  for (size_t i = 0; i < wv.size(); ++i) wv[i] = std::cos(static_cast<double>(i));
  Array a = f64s(av, {2, 1, 2, 3}), b = f64s(bv, {3, 3, 4}), w = f64s(wv, {2, 3, 2, 4});
  std::vector<Array> g = grad(sum(matmul(a, b) * w), {a, b});
  V ga(12, 0.0), gb(36, 0.0);
  for (int p = 0; p < 2; ++p)
    for (int q = 0; q < 3; ++q)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 4; ++j)
          for (int k = 0; k < 3; ++k) {
            const double wij = wv[static_cast<size_t>(((p * 3 + q) * 2 + i) * 4 + j)];
            ga[static_cast<size_t>((p * 2 + i) * 3 + k)] += wij * bv[static_cast<size_t>((q * 3 + k) * 4 + j)];
            gb[static_cast<size_t>((q * 3 + k) * 4 + j)] += wij * av[static_cast<size_t>((p * 2 + i) * 3 + k)];
          }
  V got_a = values(g[0]), got_b = values(g[1]);
  CHECK(g[0].shape() == Shape{2, 1, 2, 3});
  CHECK(g[1].shape() == Shape{3, 3, 4});
  for (size_t i = 0; i < ga.size(); ++i) CHECK(got_a[i] == doctest::Approx(ga[i]));
  for (size_t i = 0; i < gb.size(); ++i) CHECK(got_b[i] == doctest::Approx(gb[i]));
}

TEST_CASE("abs has slope 0 at 0; pow's slopes at a zero base and a zero exponent") {
  Array x = f64s({-2, 0, 3});
  CHECK(values(grad(sum(abs(x)), x)) == V{-1, 0, 1});
  Array base = f64s({0, 0, 2, 0});
  Array e = f64s({2, 0, 0, 0.5});
  std::vector<Array> g = grad(sum(pow(base, e)), {base, e});
  V gb = values(g[0]), ge = values(g[1]);
  CHECK(gb[0] == 0);                 // 2 * 0^1
  CHECK(gb[1] == 0);                 // exponent 0: slope 0, not 0 * 0^-1
  CHECK(gb[2] == 0);                 // exponent 0
  CHECK(std::isinf(gb[3]));          // 0.5 * 0^-0.5: a true infinite slope
  CHECK(ge == V{0, 0, std::log(2.0), 0});  // base 0: 0, not 0 * log(0)
}

TEST_CASE("where: an unselected branch with an infinite slope makes the gradient NaN; a guarded input does not") {
  Array x = f64s({4, -1});
  Array naive = where(x > 0.0, sqrt(x), 0.0);
  V g = values(grad(sum(naive), x));
  CHECK(g[0] == 0.25);
  CHECK(std::isnan(g[1]));  // 0 * inf: as in JAX and PyTorch
  Array guarded = where(x > 0.0, sqrt(where(x > 0.0, x, 1.0)), 0.0);
  CHECK(values(grad(sum(guarded), x)) == V{0.25, 0});
}
