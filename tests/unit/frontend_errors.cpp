// Every user mistake raises a kiln::Error subclass naming the user's line, the op and the
// values involved.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <kiln/kiln.hpp>

using namespace kiln;

namespace {

// The message of the kiln::Error that `f` throws (fails the test when it throws nothing).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no kiln::Error was thrown");
  return {};
}

std::string here(int line) { return fmt::format("frontend_errors.cpp:{}: ", line); }

}  // namespace

TEST_CASE("a broadcast mismatch names the line, the op and both types") {
  Array a = zeros({3, 4});
  Array b = zeros({5});
  int line = __LINE__ + 1;
  std::string msg = error_of([&] { return a + b; });
  CHECK(msg == here(line) + "add: cannot broadcast f32[3,4] with f32[5]");
  CHECK_THROWS_AS(a * b, ShapeError);
  CHECK_THROWS_AS(where(a > 0, a, b), ShapeError);
}

TEST_CASE("dtype errors name the op and the dtype") {
  Array f = zeros({2});
  int line = __LINE__ + 1;
  std::string msg = error_of([&] { return f & 1; });
  CHECK(msg == here(line) + "bitwise_and: expects an integer or bool dtype, got f32");
  CHECK_THROWS_AS(f << 1, DTypeError);
  CHECK_THROWS_AS(-from_vector<bool>({true}), DTypeError);
  CHECK_THROWS_AS(random_uniform({2}, 0, i32), DTypeError);
  CHECK_THROWS_AS(gather(f, zeros({2}), 0), DTypeError);
  CHECK_THROWS_AS(f.data<int32_t>(), DTypeError);
  CHECK_THROWS_AS(arange(0, 3, 1, bool_), DTypeError);
  CHECK_THROWS_AS(matmul(from_vector<bool>({true}, {1, 1}), from_vector<bool>({true}, {1, 1})), DTypeError);
}

TEST_CASE("axis errors name the axis and the rank") {
  Array m = zeros({2, 3});
  int line = __LINE__ + 1;
  std::string msg = error_of([&] { return sum(m, 2); });
  CHECK(msg == here(line) + "reduce_sum: axis 2 is out of range for an array of rank 2");
  CHECK_THROWS_AS(sum(m, -3), AxisError);
  CHECK_THROWS_AS(sum(m, {0, 0}), AxisError);
  CHECK_THROWS_AS(permute(m, {0, 0}), AxisError);
  CHECK_THROWS_AS(permute(m, {0}), AxisError);
  CHECK_THROWS_AS(concat({m, m}, 2), AxisError);
  CHECK_THROWS_AS(m.dim(5), AxisError);
  CHECK_THROWS_AS(m.slice({{}, {}, {}}), AxisError);
  CHECK_THROWS_AS(softmax(m, 4), AxisError);
}

TEST_CASE("shape errors name both shapes") {
  Array m = zeros({2, 3});
  int line = __LINE__ + 1;
  std::string msg = error_of([&] { return reshape(m, {4, 2}); });
  CHECK(msg == here(line) + "reshape: cannot reshape f32[2,3] (6 elements) to [4,2] (8 elements)");
  CHECK_THROWS_AS(reshape(m, {4, -1}), ShapeError);
  CHECK_THROWS_AS(reshape(m, {-1, -1}), ValueError);
  CHECK_THROWS_AS(matmul(m, m), ShapeError);
  CHECK_THROWS_AS(matmul(zeros({2, 2, 3}), zeros({3, 3, 4})), ShapeError);
  CHECK_THROWS_AS(concat({m, zeros({2, 2})}, 0), ShapeError);
  CHECK_THROWS_AS(squeeze(m, 0), ShapeError);
  CHECK_THROWS_AS(broadcast_to(m, {3, 3}), ShapeError);
  CHECK_THROWS_AS(stack({m, zeros({3, 2})}), ShapeError);
  CHECK_THROWS_AS(from_vector<float>({1, 2, 3}, {2, 2}), ShapeError);
  CHECK_THROWS_AS(m.item<float>(), ShapeError);
  CHECK_THROWS_AS(pad(m, {{1, 1}}), ShapeError);
  CHECK_THROWS_AS(gather(m, zeros({3, 3}, i32), 1), ShapeError);
  CHECK_THROWS_AS(gather(zeros({2, 0}), zeros({2, 1}, i32), 1), ShapeError);
  CHECK_THROWS_AS(max(zeros({0})), ValueError);
}

TEST_CASE("bad values are errors, and sizes past 2^62 elements do not wrap") {
  int line = __LINE__ + 1;
  std::string msg = error_of([&] { return zeros({int64_t{1} << 31, int64_t{1} << 31, 4}); });
  CHECK(msg.rfind(here(line) + "full: ", 0) == 0);
  CHECK(msg.find("more than 2^62 elements") != std::string::npos);
  CHECK_THROWS_AS(zeros({-1}), ValueError);
  CHECK_THROWS_AS(arange(0, 1, 0), ValueError);
  CHECK_THROWS_AS(arange(0, INFINITY, 1), ValueError);
  CHECK_THROWS_AS(linspace(0, 1, -1), ValueError);
  CHECK_THROWS_AS(arange(10, f32).slice({{0, 5, 0}}), ValueError);
  CHECK_THROWS_AS(pad(zeros({2}), {{-1, 0}}), ValueError);
  CHECK_THROWS_AS(concat({}), ValueError);
  CHECK_THROWS_AS(reshape(zeros({int64_t{1} << 40}), {int64_t{1} << 40, int64_t{1} << 40}), ValueError);
  CHECK_THROWS_AS(pad(zeros({1}), {{int64_t{1} << 62, int64_t{1} << 62}}), ValueError);
}

TEST_CASE("an empty Array handle is an error, not a crash") {
  Array empty;
  CHECK_FALSE(empty.valid());
  CHECK_THROWS_AS(empty + 1, ValueError);
  CHECK_THROWS_AS(sin(empty), ValueError);
  CHECK_THROWS_AS(empty.shape(), ValueError);
  CHECK_THROWS_AS(empty.eval(), ValueError);
  CHECK_THROWS_AS(eval(empty), ValueError);
  CHECK_THROWS_AS(dump(empty), ValueError);
  CHECK_THROWS_AS(concat({zeros({1}), empty}), ValueError);
}

TEST_CASE("an unknown backend name is refused with the known names") {
  std::string before = backend_name();
  std::string msg = error_of([] { set_backend("gpu9000"); });
  CHECK(msg.rfind("set_backend: unknown backend 'gpu9000'; known backends: ", 0) == 0);
  for (const std::string& name : backend_names()) CHECK(msg.find(name) != std::string::npos);
  CHECK(backend_name() == before);
}
