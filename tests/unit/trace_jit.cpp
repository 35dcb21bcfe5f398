// Tracing C++ functions into graph IR (with symbolic sizes), and calling functions compiled:
// the first call compiles, later calls only launch, a new batch size compiles nothing.
#include <doctest/doctest.h>
#include <kiln/kiln.hpp>

#include <algorithm>

#include "compiler/ir/inline.hpp"
#include "compiler/ir/parser.hpp"
#include "compiler/ir/symbolic.hpp"

using namespace kiln;

namespace {

Array dense(const std::vector<Array>& a) { return softmax(matmul(a[0], a[1]) + a[2], -1); }

// A backend that compiles kernels, for the tests that count compiles.
bool use_llvm() {
  std::vector<std::string> names = backend_names();
  if (std::find(names.begin(), names.end(), "llvm") == names.end()) return false;
  set_backend("llvm");
  return true;
}

}  // namespace

TEST_CASE("trace records the function's graph as named text IR that reads back") {
  TracedFunction t = trace([](const std::vector<Array>& a) { return sum(sin(a[0]) * a[1]); },
                           {{"x", f32, {4}}, {"w", f32, {4}}}, "f");
  CHECK(t.name() == "f");
  CHECK(t.sizes().empty());
  CHECK(t.text().rfind("func @f(%x: f32[4], %w: f32[4]) -> f32[] {", 0) == 0);
  CHECK(t.text().find("sin %x : f32[4]") != std::string::npos);
  Function f = t.function();
  CHECK(f.args.size() == 2);
  CHECK(print_function(parse_function(t.text())) == t.text());
}

TEST_CASE("a symbolic leading dim is a size name in the text, and the text holds at any size") {
  TracedFunction t = trace(dense, {{"x", f32, {"n", 4}}, {"w", f32, {4, 3}}, {"b", f32, {3}}}, "dense");
  CHECK(t.sizes() == std::vector<std::string>{"n"});
  CHECK(t.text().rfind("func @dense(%x: f32[n,4], %w: f32[4,3], %b: f32[3]) -> f32[n,3] {", 0) == 0);
  Function at7 = t.at({{"n", 7}});
  CHECK(at7.results[0]->shape() == Shape{7, 3});
  Module back = parse_with_sizes(t.text(), "dense.kir", {{"n", 7}});
  CHECK(print_module(back, {.locations = false}) == print_function(at7, {.locations = false}));
  CHECK_THROWS_WITH_AS(t.at({}), doctest::Contains("size n needs a value"), ValueError);
}

TEST_CASE("a function whose graph does not follow its sizes cannot be traced symbolically") {
  auto flatten = [](const std::vector<Array>& a) { return a[0].reshape({a[0].size()}); };
  CHECK_THROWS_WITH_AS(trace(flatten, {{"x", f32, {"n", 3}}}), doctest::Contains("does not follow its sizes"),
                       ValueError);
  auto first = [](const std::vector<Array>& a) { return a[0].slice({{0, a[0].dim(0) / 2}}); };
  CHECK_THROWS_WITH_AS(trace(first, {{"x", f32, {"n"}}}), doctest::Contains("does not follow its sizes"), ValueError);
  auto evaluates = [](const std::vector<Array>& a) { return a[0] * sum(a[0]).item<float>(); };
  CHECK_THROWS_AS(trace(evaluates, {{"x", f32, {3}}}), RuntimeError);
  CHECK_THROWS_WITH_AS(trace(flatten, {{"x", f32, {3}}, {"x", f32, {3}}}), doctest::Contains("two inputs named x"),
                       ValueError);
}

TEST_CASE("compile(f) computes what the lazy API computes and checks argument types") {
  Array x = from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4});
  Array w = from_vector<float>({1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1}, {4, 3});
  Array b = from_vector<float>({0.5f, 0, -0.5f});
  TracedFunction t = trace(dense, {{"x", f32, {2, 4}}, {"w", f32, {4, 3}}, {"b", f32, {3}}});
  CompiledFunction f = compile(t.function());
  std::vector<Array> out = f({x, w, b});
  REQUIRE(out.size() == 1);
  CHECK(out[0].is_evaluated());
  std::vector<float> got = out[0].to_vector<float>(), want = dense({x, w, b}).to_vector<float>();
  for (size_t i = 0; i < want.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6));
  CHECK_THROWS_WITH_AS(f({w, w, b}), doctest::Contains("argument %x has type f32[4,3]"), ValueError);
  CHECK_THROWS_AS(f({x, w}), ValueError);
}

TEST_CASE("jit: the first call compiles, later calls only launch, a new batch size compiles nothing") {
  if (!use_llvm()) return;
  Jit f = jit(dense, "dense");
  Array w = random_normal({4, 3}, 1), b = random_normal({3}, 2);
  auto batch = [](int64_t n, uint64_t seed) { return random_normal({n, 4}, seed).eval(); };
  Array x = batch(16, 3);
  std::vector<Array> first = f({x, w, b});
  CHECK(f.traces() == 1);
  const Stats after_first = stats();
  std::vector<Array> second = f({batch(16, 4), w, b});
  const Stats after_second = stats();
  CHECK(f.traces() == 1);
  CHECK(after_second.kernels_compiled == after_first.kernels_compiled);
  CHECK(after_second.disk_hits == after_first.disk_hits);
  CHECK(after_second.memory_hits == after_first.memory_hits);  // the schedule was cached: no lookups
  CHECK(after_second.launches > after_first.launches);
  std::vector<Array> third = f({batch(1000, 5), w, b});
  const Stats after_third = stats();
  CHECK(f.traces() == 2);
  CHECK(third[0].shape() == Shape{1000, 3});
  CHECK(after_third.kernels_compiled == after_second.kernels_compiled);
  CHECK(after_third.disk_hits == after_second.disk_hits);
  std::vector<float> got = first[0].to_vector<float>(), want = dense({x, w, b}).to_vector<float>();
  for (size_t i = 0; i < want.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6));
}

TEST_CASE("a traced function saves as text that kiln's parser reads with its sizes") {
  TracedFunction t = trace(dense, {{"x", f32, {"n", 4}}, {"w", f32, {4, 3}}, {"b", f32, {3}}}, "dense");
  const std::string path = "trace_jit_dense.kir";
  t.save(path);
  std::FILE* in = std::fopen(path.c_str(), "rb");
  REQUIRE(in != nullptr);
  std::string text(t.text().size() + 1, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), in));
  std::fclose(in);
  std::remove(path.c_str());
  CHECK(text == t.text());
  CHECK(size_names(text, path) == std::vector<std::string>{"n"});
}

TEST_CASE("a call on evaluated arrays runs the function's own graph: no nodes built, same values") {
  const std::string before = backend_name();
  for (const std::string& backend : backend_names()) {
    if (backend == "cuda-emu") continue;  // a host compiler run per kernel; covered by the diff tests
    CAPTURE(backend);
    set_backend(backend);
    Array x = from_vector<float>({1, -2, 3, -4, 5, -6, 7, -8}, {2, 4});
    Array w = from_vector<float>({1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1}, {4, 3});
    Array b = from_vector<float>({0.5f, 0, -0.5f});
    CompiledFunction f = compile(trace(dense, {{"x", f32, {2, 4}}, {"w", f32, {4, 3}}, {"b", f32, {3}}}).function());
    f({x, w, b});  // compiles
    const int64_t built = built_node_count();
    std::vector<Array> out = f({x, w, b});
    REQUIRE(out.size() == 1);
    CHECK(out[0].is_evaluated());
    CHECK(built_node_count() == built + 1);  // the result's node alone
    CHECK(out[0].shape() == Shape{2, 3});
    std::vector<float> got = out[0].to_vector<float>(), want = dense({x, w, b}).to_vector<float>();
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6));

    // Literals of the function, several results, a result that is an argument (a copy, so
    // that a result never shares an input's memory on the compiling backends).
    auto many = [](const std::vector<Array>& a) { return std::vector<Array>{a[0] * 2.5 + a[1], a[1], sum(a[0])}; };
    Jit g = jit(ArrayFunction(many));
    Array y = from_vector<float>({10, 20, 30, 40, 50, 60, 70, 80}, {2, 4});
    std::vector<Array> r = g({x, y});
    REQUIRE(r.size() == 3);
    CHECK(r[0].to_vector<float>() == std::vector<float>{12.5f, 15, 37.5f, 30, 62.5f, 45, 87.5f, 60});
    CHECK(r[1].to_vector<float>() == y.to_vector<float>());
    if (backend != "interp") CHECK(r[1].buffer()->data() != y.buffer()->data());
    CHECK(r[2].item<float>() == -4.0f);
    // Pending arguments take the other road (the call's graph fuses with theirs): same values.
    std::vector<Array> lazy = g({x + 0.0, y * 1.0 + 0.0});
    CHECK(lazy[0].to_vector<float>() == r[0].to_vector<float>());
    CHECK(lazy[2].item<float>() == -4.0f);
  }
  set_backend(before);
}

TEST_CASE("a call runs on its arguments' device: the graph is built there, two devices are an error") {
  TracedFunction t = trace(dense, {{"x", f32, {2, 4}}, {"w", f32, {4, 3}}, {"b", f32, {3}}});
  const Device gpu = Device::cuda(0);
  // Params on cuda:0 without values: nothing runs, so no GPU is needed to build the graph.
  std::vector<NodeRef> on_gpu;
  for (const Argument& a : t.function().args) on_gpu.push_back(make_param(a.node->type(), a.name, nullptr, {}, gpu));
  std::vector<NodeRef> results = inline_function(t.function(), on_gpu, gpu);
  REQUIRE(results.size() == 1);
  CHECK(results[0]->attrs().device == gpu);
  {
    GraphReadLock lock;
    for (const NodeRef& n : function_of(results).results) CHECK(n->attrs().device == gpu);
    CHECK(results[0]->operands()[0]->attrs().device == gpu);
  }
  CHECK(t.function().results[0]->attrs().device == Device::cpu());  // the traced graph stays as it was

  CompiledFunction f = compile(t.function());
  Array x_gpu(on_gpu[0]);
  Array w = from_vector<float>({1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1}, {4, 3}), b = from_vector<float>({0.5f, 0, -0.5f});
  CHECK_THROWS_WITH_AS(f({x_gpu, w, b}),
                       doctest::Contains("call of @main: arguments on different devices: argument 0 (f32[2,4]) on "
                                         "cuda:0 and argument 1 (f32[4,3]) on cpu"),
                       DeviceError);
}
