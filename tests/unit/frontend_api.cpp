// The lazy Array API: creation, reading values back, laziness, views, reductions and the
// compositions built on them, printing and dumping.
#include <doctest/doctest.h>
#include <kiln/kiln.hpp>

#include <cmath>
#include <limits>

using namespace kiln;

TEST_CASE("creation functions give the documented values") {
  CHECK(zeros({2, 3}).to_vector<float>() == std::vector<float>(6, 0.0f));
  CHECK(ones({4}, i32).to_vector<int32_t>() == std::vector<int32_t>{1, 1, 1, 1});
  CHECK(full({2}, 2.5, f64).to_vector<double>() == std::vector<double>{2.5, 2.5});
  CHECK(arange(5).to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(arange(5).dtype() == i64);
  CHECK(arange(1, 2, 0.25, f32).to_vector<float>() == std::vector<float>{1.0f, 1.25f, 1.5f, 1.75f});
  CHECK(arange(10, 0, -3, i32).to_vector<int32_t>() == std::vector<int32_t>{10, 7, 4, 1});
  CHECK(arange(3, 3, 1, f32).size() == 0);
  CHECK(linspace(0, 1, 5, f64).to_vector<double>() == std::vector<double>{0, 0.25, 0.5, 0.75, 1.0});
  CHECK(linspace(0, 1, 1).to_vector<float>() == std::vector<float>{0.0f});
  CHECK(linspace(0, 0.3, 4, f64).to_vector<double>().back() == 0.3);
  CHECK(eye(2, 3, i32).to_vector<int32_t>() == std::vector<int32_t>{1, 0, 0, 0, 1, 0});
  Array v = from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(v.shape() == Shape{2, 3});
  CHECK(v.dtype() == f64);
  CHECK(v.to_vector<int32_t>() == std::vector<int32_t>{1, 2, 3, 4, 5, 6});
  CHECK(from_vector<bool>({true, false}).to_vector<bool>() == std::vector<bool>{true, false});
  CHECK(scalar(3.0, i64).item<int64_t>() == 3);
  CHECK(scalar(3.0).shape().empty());
}

TEST_CASE("from_pointer wraps host memory without copying and calls the deleter once") {
  static float storage[4] = {1, 2, 3, 4};
  int released = 0;
  {
    Array a = from_pointer(storage, f32, {4}, [&](void* p) {
      CHECK(p == storage);
      ++released;
    });
    CHECK(a.data<float>() == storage);
    CHECK(sum(a).item<float>() == 10.0f);
    CHECK(released == 0);
  }
  CHECK(released == 1);
}

TEST_CASE("arrays are lazy until a value is needed") {
  Array x = arange(4, f32);
  Array y = x * 2.0f + 1.0f;
  CHECK_FALSE(y.is_evaluated());
  CHECK(y.to_vector<float>() == std::vector<float>{1, 3, 5, 7});
  CHECK(y.is_evaluated());
  Array a = x + 1, b = x - 1;
  eval(a, b);
  CHECK(a.is_evaluated());
  CHECK(b.is_evaluated());
  CHECK(b.to_vector<float>() == std::vector<float>{-1, 0, 1, 2});
}

TEST_CASE("the same op on the same operands is the same node") {
  Array x = arange(8, f32);
  Array a = sin(x) + 1.0f;
  Array b = sin(x) + 1.0f;
  CHECK(a.node() == b.node());
  CHECK((x * 2.0f).node() != (x * 3.0f).node());
}

TEST_CASE("an evaluated node drops its operands") {
  int64_t before = live_node_count();
  Array y;
  {
    Array x = arange(16, f32);
    y = exp(sin(x) * 2.0f);
    CHECK(live_node_count() > before + 3);
    y.eval();
  }
  // Only y's node is left of the chain.
  CHECK(live_node_count() == before + 1);
  CHECK(y.size() == 16);
}

TEST_CASE("item, to_vector and data read values with conversion rules") {
  Array x = from_vector<float>({1.5f, -2.5f, NAN});
  CHECK(x.to_vector<int32_t>() == std::vector<int32_t>{1, -2, 0});
  CHECK(x.to_vector<bool>() == std::vector<bool>{true, true, true});
  CHECK(x.data<float>()[1] == -2.5f);
  CHECK_THROWS_AS(x.data<double>(), DTypeError);
  CHECK_THROWS_AS(x.item<float>(), ShapeError);
  CHECK(sum(x.slice({{0, 2}})).item<float>() == -1.0f);
}

TEST_CASE("broadcasting follows NumPy") {
  Array col = from_vector<int32_t>({1, 2, 3}, {3, 1});
  Array row = from_vector<int32_t>({10, 20, 30, 40});
  Array s = col + row;
  CHECK(s.shape() == Shape{3, 4});
  CHECK(s.to_vector<int32_t>() ==
        std::vector<int32_t>{11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43});
  Array m = from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK((m * from_vector<float>({1, 0, -1})).to_vector<float>() == std::vector<float>{1, 0, -3, 4, 0, -6});
  CHECK((m + 1.0f).shape() == Shape{2, 3});
  CHECK((scalar(1.0f) + zeros({0, 3})).shape() == Shape{0, 3});
  CHECK(broadcast_to(from_vector<float>({7}), {2, 2}).to_vector<float>() == std::vector<float>(4, 7.0f));
}

TEST_CASE("operators map to the ops") {
  Array a = from_vector<int32_t>({6, -7, 5});
  Array b = from_vector<int32_t>({4, 2, 0});
  CHECK((a + b).to_vector<int32_t>() == std::vector<int32_t>{10, -5, 5});
  CHECK((a - b).to_vector<int32_t>() == std::vector<int32_t>{2, -9, 5});
  CHECK((a * b).to_vector<int32_t>() == std::vector<int32_t>{24, -14, 0});
  CHECK((a / b).dtype() == f32);  // true division
  CHECK((a / b).to_vector<float>()[0] == 1.5f);
  CHECK(floordiv(a, b).to_vector<int32_t>() == std::vector<int32_t>{1, -4, 0});
  CHECK((a % b).to_vector<int32_t>() == std::vector<int32_t>{2, 1, 0});
  CHECK((a == b).dtype() == bool_);
  CHECK((a < b).to_vector<bool>() == std::vector<bool>{false, true, false});
  CHECK((a >= 5).to_vector<bool>() == std::vector<bool>{true, false, true});
  CHECK((a & 3).to_vector<int32_t>() == std::vector<int32_t>{2, 1, 1});
  CHECK((a | 1).to_vector<int32_t>() == std::vector<int32_t>{7, -7, 5});
  CHECK((a ^ b).to_vector<int32_t>() == std::vector<int32_t>{2, -5, 5});
  CHECK((~a).to_vector<int32_t>() == std::vector<int32_t>{-7, 6, -6});
  CHECK((!a).to_vector<bool>() == std::vector<bool>{false, false, false});
  CHECK((-a).to_vector<int32_t>() == std::vector<int32_t>{-6, 7, -5});
  CHECK((a << 1).to_vector<int32_t>() == std::vector<int32_t>{12, -14, 10});
  CHECK((a >> 1).to_vector<int32_t>() == std::vector<int32_t>{3, -4, 2});
  Array c = a;
  c += 1;
  c *= 2;
  CHECK(c.to_vector<int32_t>() == std::vector<int32_t>{14, -12, 12});
  CHECK(a.to_vector<int32_t>() == std::vector<int32_t>{6, -7, 5});  // a is unchanged
  CHECK((2 - a).to_vector<int32_t>() == std::vector<int32_t>{-4, 9, -3});
  CHECK((1.0f / from_vector<float>({4})).item<float>() == 0.25f);
}

TEST_CASE("logical ops accept any dtype and compare with zero") {
  Array a = from_vector<float>({0.0f, 2.0f, NAN});
  Array b = from_vector<int32_t>({1, 0, 3});
  CHECK(logical_and(a, b).to_vector<bool>() == std::vector<bool>{false, false, true});
  CHECK(logical_or(a, b).to_vector<bool>() == std::vector<bool>{true, true, true});
  CHECK(logical_xor(a, b).to_vector<bool>() == std::vector<bool>{true, true, false});
  CHECK(logical_not(b).to_vector<bool>() == std::vector<bool>{false, true, false});
  CHECK(where(b, 1.0f, a).to_vector<float>() == std::vector<float>{1.0f, 2.0f, 1.0f});
}

TEST_CASE("math functions of integers compute in f32") {
  Array x = from_vector<int32_t>({0, 1});
  CHECK(exp(x).dtype() == f32);
  CHECK(exp(x).to_vector<float>()[1] == doctest::Approx(std::exp(1.0)));
  CHECK(abs(from_vector<int32_t>({-3})).dtype() == i32);
  CHECK(atan2(x, x).dtype() == f32);
  CHECK(clamp(from_vector<float>({-2, 0.5f, 3}), 0.0f, 1.0f).to_vector<float>() == std::vector<float>{0, 0.5f, 1});
  CHECK(fma(x, x, 1).to_vector<int32_t>() == std::vector<int32_t>{1, 2});
  CHECK(pow(from_vector<float>({2, 3}), 2).to_vector<float>() == std::vector<float>{4, 9});
  CHECK(minimum(x, 0.5f).to_vector<float>() == std::vector<float>{0.0f, 0.5f});
  CHECK(sigmoid(scalar(0.0)).item<float>() == 0.5f);
}

TEST_CASE("reductions with axes, negative axes and keepdims") {
  Array m = from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(sum(m).item<float>() == 21.0f);
  CHECK(sum(m).shape().empty());
  CHECK(sum(m, 0).to_vector<float>() == std::vector<float>{5, 7, 9});
  CHECK(sum(m, -1).to_vector<float>() == std::vector<float>{6, 15});
  CHECK(sum(m, 1, true).shape() == Shape{2, 1});
  CHECK(sum(m, {0, 1}, true).shape() == Shape{1, 1});
  CHECK(prod(m, 0).to_vector<float>() == std::vector<float>{4, 10, 18});
  CHECK(max(m, 1).to_vector<float>() == std::vector<float>{3, 6});
  CHECK(min(m).item<float>() == 1.0f);
  CHECK(argmax(m).item<int64_t>() == 5);
  CHECK(argmax(m, 0).to_vector<int64_t>() == std::vector<int64_t>{1, 1, 1});
  CHECK(argmin(m, 1, true).shape() == Shape{2, 1});
  CHECK(argmax(m, Axes::all(), true).shape() == Shape{1, 1});
  CHECK(any(m > 5.5f).item<bool>());
  CHECK_FALSE(all(m > 1.5f).item<bool>());
  CHECK(all(m, 0).to_vector<bool>() == std::vector<bool>{true, true, true});
  // Integer sums accumulate in i64.
  Array big = full({3}, 2147483647, i32);
  CHECK(sum(big).dtype() == i64);
  CHECK(sum(big).item<int64_t>() == 3 * int64_t{2147483647});
  CHECK(sum(from_vector<bool>({true, true, false})).item<int64_t>() == 2);
  CHECK(sum(zeros({0})).item<float>() == 0.0f);
  CHECK(prod(zeros({0})).item<float>() == 1.0f);
}

TEST_CASE("mean, var, std, logsumexp and softmax are compositions with the textbook values") {
  Array m = from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(mean(m).item<double>() == 3.5);
  CHECK(mean(m, 1).to_vector<double>() == std::vector<double>{2, 5});
  CHECK(var(m).item<double>() == doctest::Approx(17.5 / 6));
  CHECK(var(m, {}, false, 1).item<double>() == doctest::Approx(17.5 / 5));
  CHECK(stddev(m, 0).to_vector<double>()[0] == doctest::Approx(1.5));
  CHECK(mean(from_vector<int32_t>({1, 2})).dtype() == f32);
  CHECK(std::isnan(mean(zeros({0})).item<float>()));
  double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  CHECK(logsumexp(from_vector<double>({1, 2, 3})).item<double>() == doctest::Approx(lse));
  CHECK(logsumexp(from_vector<double>({1000, 1000})).item<double>() == doctest::Approx(1000 + std::log(2.0)));
  CHECK(logsumexp(full({2}, -INFINITY, f64)).item<double>() == -INFINITY);
  CHECK(logsumexp(m, 1, true).shape() == Shape{2, 1});
  Array sm = softmax(from_vector<double>({1, 2, 3, 1000, 1000, 1000}, {2, 3}));
  std::vector<double> s = sm.to_vector<double>();
  double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  CHECK(s[0] == doctest::Approx(std::exp(1.0) / z));
  CHECK(s[4] == doctest::Approx(1.0 / 3));
  CHECK(sum(sm, 1).to_vector<double>()[1] == doctest::Approx(1.0));
  CHECK(log_softmax(from_vector<double>({0, 0})).to_vector<double>()[0] == doctest::Approx(-std::log(2.0)));
}

TEST_CASE("shape ops are views with NumPy semantics") {
  Array x = arange(24, i32).reshape({2, 3, 4});
  CHECK(reshape(x, {4, -1}).shape() == Shape{4, 6});
  CHECK(flatten(x).shape() == Shape{24});
  CHECK(transpose(x).shape() == Shape{4, 3, 2});
  CHECK(transpose(x).to_vector<int32_t>()[1] == 12);
  CHECK(permute(x, {1, 0, 2}).shape() == Shape{3, 2, 4});
  CHECK(swapaxes(x, 0, -1).shape() == Shape{4, 3, 2});
  CHECK(expand_dims(x, -1).shape() == Shape{2, 3, 4, 1});
  CHECK(squeeze(zeros({1, 3, 1})).shape() == Shape{3});
  CHECK(squeeze(zeros({1, 3, 1}), 0).shape() == Shape{3, 1});
  Array v = arange(10, i32);
  CHECK(v.slice({{2, 8, 2}}).to_vector<int32_t>() == std::vector<int32_t>{2, 4, 6});
  CHECK(v.slice({{none, none, -1}}).to_vector<int32_t>() == std::vector<int32_t>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  CHECK(v.slice({{-3, none}}).to_vector<int32_t>() == std::vector<int32_t>{7, 8, 9});
  CHECK(v.slice({{8, 1, -3}}).to_vector<int32_t>() == std::vector<int32_t>{8, 5, 2});
  CHECK(v.slice({{5, 2}}).size() == 0);
  CHECK(v.slice({{-100, 100}}).size() == 10);
  CHECK(x.slice({{}, {1, 2}}).shape() == Shape{2, 1, 4});
  CHECK(flip(v.slice({{0, 3}})).to_vector<int32_t>() == std::vector<int32_t>{2, 1, 0});
  CHECK(pad(v.slice({{0, 2}}), {{1, 2}}, -1).to_vector<int32_t>() == std::vector<int32_t>{-1, 0, 1, -1, -1});
  CHECK(concat({v.slice({{0, 2}}), v.slice({{5, 6}}), v.slice({{9, 10}})}).to_vector<int32_t>() ==
        std::vector<int32_t>{0, 1, 5, 9});
  CHECK(concat({ones({2}, i32), ones({1}, f32)}).dtype() == f32);
  CHECK(stack({ones({2}), zeros({2})}, 1).to_vector<float>() == std::vector<float>{1, 0, 1, 0});
}

TEST_CASE("gather, scatter_add and matmul") {
  Array x = from_vector<float>({10, 20, 30, 40, 50, 60}, {2, 3});
  Array idx = from_vector<int64_t>({2, 0, -1, 5}, {2, 2});
  CHECK(gather(x, idx, 1).to_vector<float>() == std::vector<float>{30, 10, 60, 60});  // -1 wraps, 5 clamps
  Array dst = zeros({4});
  Array hits = scatter_add(dst, from_vector<int32_t>({1, 1, 3, 9}), from_vector<float>({1, 2, 3, 4}), 0);
  CHECK(hits.to_vector<float>() == std::vector<float>{0, 3, 0, 3});  // 9 is dropped
  Array a = from_vector<float>({1, 2, 3, 4}, {2, 2});
  CHECK(matmul(a, transpose(a)).to_vector<float>() == std::vector<float>{5, 11, 11, 25});
  CHECK(matmul(a, from_vector<float>({1, 1})).to_vector<float>() == std::vector<float>{3, 7});
  CHECK(matmul(from_vector<float>({1, 1}), a).to_vector<float>() == std::vector<float>{4, 6});
  CHECK(matmul(from_vector<float>({1, 2}), from_vector<float>({3, 4})).shape().empty());
  Array batch = ones({3, 2, 4});
  CHECK(matmul(batch, ones({4, 5})).shape() == Shape{3, 2, 5});
  CHECK(matmul(ones({2, 1, 2, 4}), ones({3, 4, 5})).shape() == Shape{2, 3, 2, 5});
  CHECK(matmul(from_vector<int32_t>({1, 2}), from_vector<float>({3, 4})).dtype() == f32);
}

TEST_CASE("random numbers are reproducible and have the right distribution") {
  Array u = random_uniform({100000}, 42);
  CHECK(u.to_vector<float>() == random_uniform({100000}, 42).to_vector<float>());
  CHECK(u.to_vector<float>() != random_uniform({100000}, 43).to_vector<float>());
  CHECK(min(u).item<float>() >= 0.0f);
  CHECK(max(u).item<float>() < 1.0f);
  CHECK(mean(u).item<double>() == doctest::Approx(0.5).epsilon(0.01));
  Array u64 = random_uniform({1000}, 1, f64, -2.0, 2.0);
  CHECK(min(u64).item<double>() >= -2.0);
  CHECK(max(u64).item<double>() < 2.0);
  Array n = random_normal({200000}, 7, f64, 1.0, 2.0);
  CHECK(mean(n).item<double>() == doctest::Approx(1.0).epsilon(0.02));
  CHECK(stddev(n).item<double>() == doctest::Approx(2.0).epsilon(0.02));
  CHECK(random_bits({4}, 1, 0).dtype() == u32);
  CHECK(random_bits({4}, 1, 0).to_vector<int64_t>() != random_bits({4}, 1, 1).to_vector<int64_t>());
  CHECK(random_uniform({10}, 3, f16).dtype() == f16);
  CHECK(max(random_uniform({1000}, 3, bf16)).item<float>() < 1.0f);
}

TEST_CASE("printing is NumPy-like and evaluates") {
  CHECK(to_string(from_vector<float>({1, 2.5f, -0.0f})) == "[1., 2.5, -0.]");
  CHECK(to_string(from_vector<int32_t>({1, 2, 3, 4}, {2, 2})) == "[[1, 2],\n [3, 4]]");
  CHECK(to_string(from_vector<bool>({true, false})) == "[true, false]");
  CHECK(to_string(scalar(7.0, i64)) == "7");
  CHECK(to_string(full({2}, NAN)) == "[nan, nan]");
  CHECK(to_string(zeros({0})) == "[]");
  CHECK(to_string(arange(2000, i32)) == "[0, 1, 2, ..., 1997, 1998, 1999]");
  CHECK(to_string(arange(8, i32).reshape({2, 2, 2})) == "[[[0, 1],\n  [2, 3]],\n\n [[4, 5],\n  [6, 7]]]");
}

TEST_CASE("dump gives the text IR of what an array depends on") {
  Array x = from_vector<float>({1, 2, 3});
  Array s = sum(sin(x) * 2.0f);
  std::string ir = dump(s);
  CHECK(ir.find("func @main(%arg0: f32[3]) -> f32[] {") != std::string::npos);
  CHECK(ir.find("sin %arg0 : f32[3]") != std::string::npos);
  CHECK(ir.find("reduce_sum") != std::string::npos);
  CHECK(ir.find("loc(\"frontend_api.cpp\":") != std::string::npos);
  CHECK(dump(s, false).find("loc(") == std::string::npos);
  CHECK(to_text(s) == ir);
  s.eval();
  // Once evaluated, the array is an input of its own.
  CHECK(dump(s).find("return %arg0") != std::string::npos);
}
