// The autodiff user API: grad, vjp, jvp, value_and_grad and stop_gradient; the graphs they
// build (small, reusing forward nodes); the rule for evaluated arrays; and the errors for
// misuse, which must name the call site, what is wrong and the values.
#include <doctest/doctest.h>

#include <cmath>
#include <kiln/kiln.hpp>
#include <string>

#include "passes/autodiff.hpp"

using namespace kiln;

namespace {

std::vector<double> values(const Array& a) { return a.to_vector<double>(); }

template <class E, class F>
std::string message_of(F f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  FAIL("no exception of the expected type");
  return {};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("grad of a sum of sin is cos itself: the forward node is reused, nothing else is built") {
  Array x = from_vector<double>({0.5, 1.0, 2.0});
  Array g = grad(sum(sin(x)), x);
  CHECK(g.node() == cos(x).node());
  Array w = from_vector<double>({3.0, 4.0, 5.0});
  CHECK(grad(sum(x * w), w).node() == x.node());  // a seed of ones is never multiplied
  CHECK(values(grad(sum(x * w), x)) == std::vector<double>{3.0, 4.0, 5.0});
}

TEST_CASE("numbers introduced by rules are baked constants, not launch parameters") {
  Array x = from_vector<double>({0.5, 1.0});
  std::string ir = dump(grad(sum(square(x)), x), false);
  CHECK(contains(ir, "constant"));
  CHECK(!contains(ir, "literal"));
}

TEST_CASE("grad with several xs, and an x that y does not depend on gets zeros") {
  Array a = from_vector<double>({1.0, 2.0});
  Array b = from_vector<double>({3.0, 4.0});
  Array c = from_vector<double>({5.0, 6.0, 7.0});
  std::vector<Array> g = grad(sum(a * b), {a, b, c});
  REQUIRE(g.size() == 3);
  CHECK(values(g[0]) == std::vector<double>{3.0, 4.0});
  CHECK(values(g[1]) == std::vector<double>{1.0, 2.0});
  CHECK(values(g[2]) == std::vector<double>{0.0, 0.0, 0.0});
  CHECK(g[2].shape() == Shape{3});
}

TEST_CASE("grad of a one-element y of any shape; f32 in, f32 out") {
  Array x = from_vector<float>({1.0f, 2.0f}, {2, 1});
  Array y = sum(x * x, {0}, true);  // shape [1,1]
  Array g = grad(y, x);
  CHECK(g.dtype() == f32);
  CHECK(g.shape() == Shape{2, 1});
  CHECK(g.to_vector<float>() == std::vector<float>{2.0f, 4.0f});
}

TEST_CASE("vjp sums over several ys; jvp gives one tangent per y") {
  Array x = from_vector<double>({1.0, 2.0});
  Array y1 = x * 3.0, y2 = exp(x);
  Array c1 = from_vector<double>({1.0, 10.0}), c2 = from_vector<double>({2.0, 0.5});
  Array g = vjp({y1, y2}, {x}, {c1, c2})[0];
  std::vector<double> gv = values(g);
  CHECK(gv[0] == doctest::Approx(3.0 + 2.0 * std::exp(1.0)));
  CHECK(gv[1] == doctest::Approx(30.0 + 0.5 * std::exp(2.0)));
  Array t = from_vector<double>({1.0, -1.0});
  std::vector<Array> ts = jvp({y1, y2}, {x}, {t});
  REQUIRE(ts.size() == 2);
  CHECK(values(ts[0]) == std::vector<double>{3.0, -3.0});
  CHECK(values(ts[1])[1] == doctest::Approx(-std::exp(2.0)));
}

TEST_CASE("gradients w.r.t. intermediate values are total derivatives through them") {
  Array x = from_vector<double>({0.3, 0.7});
  Array a = x * 2.0;
  Array y = sum(sin(a) + x);
  std::vector<Array> g = grad(y, {a, x});
  std::vector<double> ga = values(g[0]), gx = values(g[1]);
  for (int i = 0; i < 2; ++i) {
    const double xi = i == 0 ? 0.3 : 0.7;
    CHECK(ga[i] == doctest::Approx(std::cos(2 * xi)));
    CHECK(gx[i] == doctest::Approx(2 * std::cos(2 * xi) + 1));
  }
  // Forward mode perturbs a on top of what it gets from x: the transpose of the above.
  Array ta = from_vector<double>({1.0, 0.0}), tx = from_vector<double>({0.0, 1.0});
  CHECK(jvp({y}, {a, x}, {ta, tx})[0].item<double>() == doctest::Approx(ga[0] + gx[1]));
}

TEST_CASE("stop_gradient passes the value and no derivative") {
  Array x = from_vector<double>({1.0, 2.0, 3.0});
  Array y = sum(x * stop_gradient(x));
  CHECK(values(grad(y, x)) == std::vector<double>{1.0, 2.0, 3.0});  // not 2x
  CHECK(y.item<double>() == 14.0);
  Array s = stop_gradient(2.5);
  CHECK(s.dtype() == kDefaultFloat);
  CHECK(s.item<double>() == 2.5);
  Array t = from_vector<double>({1.0, 1.0, 1.0});
  CHECK(values(jvp({stop_gradient(x * 2.0)}, {x}, {t})[0]) == std::vector<double>{0.0, 0.0, 0.0});
}

TEST_CASE("integer and bool values carry no derivative") {
  Array x = from_vector<double>({1.7, -2.2});
  Array y = sum(cast(cast(x, i32), f64) + x * 2.0);
  CHECK(values(grad(y, x)) == std::vector<double>{2.0, 2.0});
}

TEST_CASE("value_and_grad gives the value and the gradients, lazy, evaluated together") {
  Array x = from_vector<double>({1.0, 2.0});
  Array w = from_vector<double>({0.5, -1.0});
  ValueAndGrad r = value_and_grad(sum(x * w), {x, w});
  CHECK(!r.value.is_evaluated());
  eval({r.value, r.grads[0], r.grads[1]});
  CHECK(r.value.item<double>() == -1.5);
  CHECK(values(r.grads[0]) == std::vector<double>{0.5, -1.0});
  CHECK(values(r.grads[1]) == std::vector<double>{1.0, 2.0});

  auto f = value_and_grad([](const std::vector<Array>& xs) { return sum(square(xs[0]) * xs[1]); });
  ValueAndGrad s = f({x, w});
  CHECK(s.value.item<double>() == 0.5 - 4.0);
  CHECK(values(s.grads[0]) == std::vector<double>{1.0, -4.0});
  CHECK(values(s.grads[1]) == std::vector<double>{1.0, 4.0});
}

TEST_CASE("grad(y, x) gives one gradient; grad(y, {x}) a list of one") {
  Array x = from_vector<double>({1.0, 2.0});
  Array y = sum(x * x);
  Array one = grad(y, x);
  std::vector<Array> list = grad(y, {x});
  REQUIRE(list.size() == 1);
  CHECK(values(one) == std::vector<double>{2.0, 4.0});
  CHECK(values(list[0]) == std::vector<double>{2.0, 4.0});
}

TEST_CASE("argnums picks the arguments a function-form gradient is taken with respect to") {
  // Fresh inputs for each call: an evaluated value's graph is gone (hash-consing would hand
  // the next call the same, evaluated, nodes).
  auto args = [] { return std::vector<Array>{from_vector<double>({1.0, 2.0}), from_vector<double>({0.5, -1.0})}; };
  auto fn = [](const std::vector<Array>& xs) { return sum(square(xs[0]) * xs[1]); };
  ValueAndGrad only_w = value_and_grad(fn, {1})(args());
  REQUIRE(only_w.grads.size() == 1);
  CHECK(only_w.value.item<double>() == -3.5);
  CHECK(values(only_w.grads[0]) == std::vector<double>{1.0, 4.0});  // d/dw = x^2
  ValueAndGrad reversed = value_and_grad(fn, {-1, 0})(args());      // -1: the last argument
  REQUIRE(reversed.grads.size() == 2);
  CHECK(values(reversed.grads[0]) == std::vector<double>{1.0, 4.0});
  CHECK(values(reversed.grads[1]) == std::vector<double>{1.0, -4.0});  // d/dx = 2 x w
  std::vector<Array> g = grad(fn)(args());
  REQUIRE(g.size() == 2);
  CHECK(values(g[0]) == std::vector<double>{1.0, -4.0});
  CHECK(values(grad(fn, {0})(args())[0]) == std::vector<double>{1.0, -4.0});

  std::string m = message_of<ValueError>([&] { value_and_grad(fn, {2})(args()); });
  CHECK(contains(m, "argnums[0] = 2 is out of range for 2 arguments"));
  m = message_of<ValueError>([&] { grad(fn, {0, -2})(args()); });
  CHECK(contains(m, "argnums[1] = -2 names argument 0 a second time"));
  m = message_of<ValueError>([&] { grad(fn, std::vector<int>{}); });
  CHECK(contains(m, "argnums is empty"));
  CHECK_THROWS_AS(grad(ScalarFunction()), ValueError);
}

TEST_CASE("an evaluated value created before the xs is a constant leaf") {
  Array w = from_vector<double>({1.0, 2.0});
  Array e = exp(w);
  e.eval();
  Array x = from_vector<double>({3.0, 4.0});
  std::vector<double> g = values(grad(sum(x * e), x));
  CHECK(g[0] == doctest::Approx(std::exp(1.0)));
  CHECK(g[1] == doctest::Approx(std::exp(2.0)));
  // Data created after x is a leaf too: it has no graph to lose.
  Array d = from_vector<double>({5.0, 6.0});
  CHECK(values(grad(sum(x * d), x)) == std::vector<double>{5.0, 6.0});
}

TEST_CASE("a value evaluated after x and depending on it cannot be differentiated through") {
  Array x = from_vector<double>({1.0, 2.0});
  Array z = x * 2.0;
  z.eval();
  Array y = sum(z * 3.0);
  const int line = __LINE__ + 1;
  std::string m = message_of<ValueError>([&] { grad(y, x); });
  CHECK(contains(m, "autodiff_api.cpp:" + std::to_string(line) + ": grad: "));
  CHECK(contains(m, "mul f64[2]"));
  CHECK(contains(m, "evaluated"));
  CHECK(contains(m, "value_and_grad"));
  CHECK_THROWS_AS(jvp({y}, {x}, {x}), ValueError);
  // The evaluated value itself as x is fine: it is where the derivative stops.
  CHECK(values(grad(y, z)) == std::vector<double>{3.0, 3.0});
  // So is evaluating after the gradient is built.
  Array x2 = from_vector<double>({1.0, 2.0});
  Array y2 = sum(square(x2));
  Array g2 = grad(y2, x2);
  CHECK(y2.item<double>() == 5.0);
  CHECK(values(g2) == std::vector<double>{2.0, 4.0});
  CHECK_THROWS_AS(grad(y2, x2), ValueError);  // y2 itself is now evaluated
}

TEST_CASE("misuse throws errors that say what, where and the values") {
  Array x = from_vector<double>({1.0, 2.0});
  Array xi = from_vector<int32_t>({1, 2});
  std::string m = message_of<ShapeError>([&] { grad(x * 2.0, x); });
  CHECK(contains(m, "autodiff_api.cpp:"));
  CHECK(contains(m, "grad: "));
  CHECK(contains(m, "y has 2 elements (mul f64[2]"));
  m = message_of<DTypeError>([&] { grad(sum(xi), xi); });
  CHECK(contains(m, "i64[]"));
  m = message_of<DTypeError>([&] { grad(sum(x), xi); });
  CHECK(contains(m, "xs[0]"));
  CHECK(contains(m, "i32[2]"));
  m = message_of<ShapeError>([&] { vjp({x * 2.0}, {x}, {from_vector<double>({1.0, 2.0, 3.0})}); });
  CHECK(contains(m, "cotangents[0] is f64[3] but ys[0] is f64[2]"));
  m = message_of<DTypeError>([&] { vjp({x * 2.0}, {x}, {from_vector<float>({1.0f, 2.0f})}); });
  CHECK(contains(m, "cotangents[0] is f32[2] but ys[0] is f64[2]"));
  m = message_of<ValueError>([&] { vjp({x * 2.0}, {x}, {}); });
  CHECK(contains(m, "0 cotangents for 1 ys"));
  m = message_of<ShapeError>([&] { jvp({x * 2.0}, {x}, {from_vector<double>({1.0})}); });
  CHECK(contains(m, "tangents[0] is f64[1] but xs[0] is f64[2]"));
  m = message_of<ValueError>([&] { grad(sum(x), {x, x}); });
  CHECK(contains(m, "xs[0] and xs[1] are the same node"));
  m = message_of<ValueError>([&] { grad(sum(x), Array()); });
  CHECK(contains(m, "empty"));
  CHECK_THROWS_AS(value_and_grad(ScalarFunction()), ValueError);
}

TEST_CASE("grad_function: the gradient of a Function w.r.t. named arguments") {
  NodeRef x = make_param({f32, {3}}, "x"), w = make_param({f32, {3}}, "w");
  Function f;
  f.name = "loss";
  f.args = {{x, "x"}, {w, "w"}};
  Attrs all;
  all.axes = {0};
  f.results = {make_node(Op::ReduceSum, {make_node(Op::Mul, {x, w})}, all)};
  Function g = grad_function(f, {"w", "x"});
  CHECK(g.name == "loss_grad");
  CHECK(g.args.size() == 2);
  REQUIRE(g.results.size() == 2);
  CHECK(g.results[0] == x);  // d/dw sum(x w) = x
  CHECK(g.results[1] == w);
  std::string m = message_of<ValueError>([&] { grad_function(f, {"q"}); });
  CHECK(contains(m, "grad of @loss: no argument named 'q' (the arguments are: %x, %w)"));
  CHECK_THROWS_AS(grad_function(f, {"x", "x"}), ValueError);
  f.results.push_back(x);
  CHECK_THROWS_AS(grad_function(f, {"x"}), ValueError);
}
