// Second and higher derivatives: derivatives are ordinary graph nodes, so they differentiate
// again. For scalar functions built from sin, exp, mul, div, tanh, log, pow, matmul,
// reduce_sum and a softmax, the Hessian-vector product is computed two ways, forward over
// reverse (jvp of grad) and reverse over reverse (grad of <grad, v>), and both are checked
// against central differences of the gradient and against each other; H is symmetric.
#include "autodiff_test_util.hpp"

using namespace kiln;
using namespace kiln::adtest;

namespace {

struct ScalarCase {
  std::string name;
  Shape shape;
  double lo, hi;  // where x lies
  Fn f;           // x -> scalar
};

Array w_like(const Shape& s) {
  std::vector<double> v(static_cast<size_t>(numel(s)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.5 + 0.25 * static_cast<double>(i % 5);
  return from_vector<double>(v, s);
}

std::vector<ScalarCase> cases() {
  const Shape v4 = {4};
  return {
      {"sin", v4, -2, 2, [](const auto& x) { return sum(sin(x[0]) * x[0]); }},
      {"exp", v4, -1, 1, [](const auto& x) { return sum(exp(x[0] * x[0])); }},
      {"mul", v4, -2, 2, [](const auto& x) { return sum(x[0] * x[0] * w_like({4}) * x[0]); }},
      {"div", v4, -2, 2, [](const auto& x) { return sum(x[0] / (x[0] * x[0] + 1.0)); }},
      {"tanh", v4, -2, 2, [](const auto& x) { return sum(tanh(x[0] * x[0])); }},
      {"log", v4, -2, 2, [](const auto& x) { return sum(log(x[0] * x[0] + 1.0)); }},
      {"pow", v4, 0.5, 2, [](const auto& x) { return sum(pow(x[0], x[0])); }},
      {"matmul", {2, 2}, -1, 1, [](const auto& x) { return sum(matmul(x[0], x[0]) * w_like({2, 2})); }},
      {"reduce_sum", {2, 3}, -1, 1, [](const auto& x) { return square(sum(x[0])) * sum(sum(x[0], 0) * w_like({3})); }},
      {"softmax", {2, 3}, -2, 2, [](const auto& x) { return sum(softmax(x[0] * 1.5, 1) * w_like({2, 3})); }},
  };
}

Fn gradient_of(const Fn& f) {
  return [f](const std::vector<Array>& x) { return grad(f(x), x[0]); };
}

}  // namespace

TEST_CASE("Hessian-vector products: forward over reverse, reverse over reverse, differences agree") {
  Rng rng(7);
  for (const ScalarCase& c : cases()) {
    CAPTURE(c.name);
    Point p{{f64}, {c.shape}, {uniform(rng, numel(c.shape), c.lo, c.hi)}};
    std::vector<std::vector<double>> v = p.random_direction(rng), u = p.random_direction(rng);
    std::vector<Array> x = p.arrays();
    Array vx = difftest::make_input(f64, c.shape, v[0]), ux = difftest::make_input(f64, c.shape, u[0]);
    Array g = grad(c.f(x), x[0]);
    Array hv_forward = jvp({g}, {x[0]}, {vx})[0];
    Array hv_reverse = grad(sum(g * vx), x[0]);
    Array hu_reverse = grad(sum(g * ux), x[0]);
    eval({hv_forward, hv_reverse, hu_reverse});
    std::vector<double> fd = directional_difference(gradient_of(c.f), p, v, 1e-5);
    std::string d = differences(host(hv_forward), fd, 1e-6);
    CHECK_MESSAGE(d.empty(), "jvp of grad vs differences of grad:\n", d);
    d = differences(host(hv_reverse), host(hv_forward), 1e-10);
    CHECK_MESSAGE(d.empty(), "grad of <grad, v> vs jvp of grad:\n", d);
    const double uhv = dot(u[0], host(hv_reverse)), vhu = dot(v[0], host(hu_reverse));
    CHECK(uhv == doctest::Approx(vhu).epsilon(1e-10));
  }
}

TEST_CASE("grad of grad of a scalar function, to the third order") {
  const double x0 = 0.7;
  Array x = scalar(x0, f64);
  x.eval();
  Array d1 = grad(sin(x) * x, x);
  Array d2 = grad(d1, x);
  Array d3 = grad(d2, x);
  CHECK(d1.item<double>() == doctest::Approx(std::cos(x0) * x0 + std::sin(x0)));
  CHECK(d2.item<double>() == doctest::Approx(-std::sin(x0) * x0 + 2 * std::cos(x0)));
  CHECK(d3.item<double>() == doctest::Approx(-std::cos(x0) * x0 - 3 * std::sin(x0)));
  Array e3 = grad(grad(grad(exp(x * 2.0), x), x), x);
  CHECK(e3.item<double>() == doctest::Approx(8 * std::exp(2 * x0)));
}

TEST_CASE("second derivatives through max, where and gather follow the selected elements") {
  Array x = from_vector<double>({0.5, 2.0, 1.0});
  Array m = max(x);
  // d/dx sum(d/dx max(x)^3) = 6 max(x) at the winner.
  CHECK(host(grad(sum(grad(m * m * m, x)), x)) == std::vector<double>{0, 12, 0});
  // sum(gather(x, [2, 2, 0])^2) = 2 x2^2 + x0^2: gradient [2 x0, 0, 4 x2], its sum's gradient [2, 0, 4].
  Array picked = gather(x, from_vector<int64_t>({2, 2, 0}), 0);
  CHECK(host(grad(sum(grad(sum(square(picked)), x)), x)) == std::vector<double>{2, 0, 4});
  // where(c, x^3, x): gradient [3 x0^2, 1, 3 x2^2], its sum's gradient [6 x0, 0, 6 x2].
  Array w = where(from_vector<bool>({true, false, true}), x * x * x, x);
  CHECK(host(grad(sum(grad(sum(w), x)), x)) == std::vector<double>{3, 0, 6});
}
