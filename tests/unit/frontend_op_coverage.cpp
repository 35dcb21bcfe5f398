// Every op of the table can be reached from the user API: the test builds one expression per
// frontend function, collects the ops of their text IR, and compares with the op table. A new
// op without a frontend function fails here.
#include <doctest/doctest.h>
#include <kiln/kiln.hpp>

#include <set>
#include <sstream>

#include "compiler/ir/op.hpp"

using namespace kiln;

namespace {

std::set<std::string> ops_in(const std::string& ir) {
  std::set<std::string> ops;
  std::istringstream in(ir);
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find(" = ");
    if (eq == std::string::npos || line.find('%') > eq) continue;
    std::string rest = line.substr(eq + 3);
    ops.insert(rest.substr(0, rest.find_first_of(" {:")));
  }
  return ops;
}

}  // namespace

TEST_CASE("every op of the table is reachable from the frontend") {
  Array f = from_vector<float>({0.5f, -1.5f, 2.0f, 3.0f}, {2, 2});
  Array i = from_vector<int32_t>({1, -2, 3, 4}, {2, 2});
  Array b = f > 0.0f;
  std::vector<Array> arrays = {
      random_bits({2}, 1), arange(3, f32), constant(2.0) * f, neg(f), abs(f), sign(f), floor(f), ceil(f), round(f), trunc(f),
      exp(f), exp2(f), expm1(f), log(f), log2(f), log1p(f), sqrt(f), rsqrt(f), reciprocal(f), square(f),
      sin(f), cos(f), tan(f), asin(f), acos(f), atan(f), sinh(f), cosh(f), tanh(f), sigmoid(f), erf(f),
      isnan(f), isinf(f), isfinite(f), logical_not(b), bitwise_not(i), cast(i, f64), stop_gradient(f), f + 1.0f, f - 1.0f,
      f * f, f / f, floordiv(f, f), f % f, pow(f, f), minimum(f, f), maximum(f, f), atan2(f, f), f == f, f != f,
      f < f, f <= f, f > f, f >= f, logical_and(b, b), logical_or(b, b), logical_xor(b, b), i & i, i | i,
      i ^ i, i << i, i >> i, where(b, f, f), clamp(f, 0.0f, 1.0f), fma(f, f, f), sum(f), prod(f), max(f),
      min(f), argmax(f), argmin(f), any(b), all(b), reshape(f, {4}), transpose(f), broadcast_to(f, {3, 2, 2}),
      f.slice({{1, 2}}), flip(f), pad(f, {{1, 0}, {0, 1}}), concat({f, f}),
      gather(f, from_vector<int64_t>({1, 0, 0, 1}, {2, 2}), 1),
      scatter_add(f, from_vector<int64_t>({1, 0, 0, 1}, {2, 2}), f, 0), matmul(f, f)};
  std::set<std::string> seen = ops_in(dump(arrays));
  for (int k = 0; k < kNumOps; ++k) {
    Op op = static_cast<Op>(k);
    if (op == Op::Param) continue;  // parameters are the function's arguments
    CAPTURE(op_name(op));
    CHECK(seen.count(std::string(op_name(op))) == 1);
  }
  // And all of them evaluate.
  eval(arrays);
  for (const Array& a : arrays) CHECK(a.is_evaluated());
}
