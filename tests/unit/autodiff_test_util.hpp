// Helpers of the autodiff tests: a point (the inputs of a function as host values), building
// its arrays, evaluating a function there, and central finite differences to check
// derivatives against.
//
// A function under test maps a list of arrays to one array; it is rebuilt on fresh inputs for
// each evaluation, so finite differences go through the same code path (the default backend)
// as the derivatives they check.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <kiln/kiln.hpp>
#include <string>
#include <vector>

#include "diff_util.hpp"

namespace kiln::adtest {

using difftest::Rng;
using Fn = std::function<Array(const std::vector<Array>&)>;

inline std::vector<double> host(const Array& a) { return a.to_vector<double>(); }

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

inline std::vector<double> uniform(Rng& rng, int64_t n, double lo, double hi) {
  std::vector<double> v(static_cast<size_t>(n));
  for (double& e : v) e = rng.uniform(lo, hi);
  return v;
}

// The inputs of a function: dtype, shape and values of each.
struct Point {
  std::vector<DType> dtypes;
  std::vector<Shape> shapes;
  std::vector<std::vector<double>> values;

  // Fresh evaluated arrays holding the values (rounded to each dtype).
  std::vector<Array> arrays() const {
    std::vector<Array> out;
    for (size_t i = 0; i < values.size(); ++i) out.push_back(difftest::make_input(dtypes[i], shapes[i], values[i]));
    return out;
  }
  // This point moved by `scale` times `dir` (one vector per input).
  Point moved(const std::vector<std::vector<double>>& dir, double scale) const {
    Point p = *this;
    for (size_t i = 0; i < values.size(); ++i)
      for (size_t j = 0; j < values[i].size(); ++j) p.values[i][j] += scale * dir[i][j];
    return p;
  }
  // Random vectors shaped like the inputs, in [-1, 1).
  std::vector<std::vector<double>> random_direction(Rng& rng) const {
    std::vector<std::vector<double>> d;
    for (const auto& v : values) d.push_back(uniform(rng, static_cast<int64_t>(v.size()), -1, 1));
    return d;
  }
};

inline std::vector<double> value_at(const Fn& f, const Point& p) { return host(f(p.arrays())); }

// (f(p + h dir) - f(p - h dir)) / 2h, elementwise.
inline std::vector<double> directional_difference(const Fn& f, const Point& p,
                                                  const std::vector<std::vector<double>>& dir, double h) {
  std::vector<double> up = value_at(f, p.moved(dir, h)), down = value_at(f, p.moved(dir, -h));
  std::vector<double> d(up.size());
  for (size_t i = 0; i < d.size(); ++i) d[i] = (up[i] - down[i]) / (2 * h);
  return d;
}

// The gradient of <c, f> at p by central differences, one input element at a time.
inline std::vector<std::vector<double>> difference_gradient(const Fn& f, const Point& p, const std::vector<double>& c,
                                                            double h) {
  std::vector<std::vector<double>> g;
  for (size_t i = 0; i < p.values.size(); ++i) {
    g.emplace_back(p.values[i].size());
    for (size_t j = 0; j < p.values[i].size(); ++j) {
      std::vector<std::vector<double>> e;
      for (const auto& v : p.values) e.emplace_back(v.size(), 0.0);
      e[i][j] = 1;
      g[i][j] = dot(c, directional_difference(f, p, e, h));
    }
  }
  return g;
}

// Elements of `got` farther than tol * (1 + |want|) from `want`, described ("" when none).
inline std::string differences(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  if (got.size() != want.size()) return "sizes differ: " + std::to_string(got.size()) + " vs " + std::to_string(want.size());
  std::string s;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::fabs(got[i] - want[i]) <= tol * (1 + std::fabs(want[i]))) continue;
    s += "  [" + std::to_string(i) + "] got " + std::to_string(got[i]) + " want " + std::to_string(want[i]) + "\n";
  }
  return s;
}

}  // namespace kiln::adtest
