// interpret() as an API: arguments bound through `inputs` or through the argument nodes'
// values, results that are arguments, nodes evaluated elsewhere, the RuntimeError paths, and
// a one-million-element chain that must finish correctly and quickly.
#include <chrono>

#include "interpreter_test_util.hpp"

using namespace kiln;
using namespace kiln::test;

namespace {

// A host buffer holding `v` as f32.
BufferPtr f32_buffer(const std::vector<float>& v) {
  BufferPtr b = Buffer::allocate(v.size() * sizeof(float));
  if (!v.empty()) std::memcpy(b->data(), v.data(), v.size() * sizeof(float));
  return b;
}
std::vector<double> read_f32(const BufferPtr& b, int64_t n) {
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = load_as_double(b->data(), f32, i);
  return v;
}

}  // namespace

TEST_CASE("arguments bind through inputs, or through the argument node's value") {
  NodeRef x = make_param({f32, {2}}, "x");  // bound at call time
  NodeRef y = make_param({f32, {2}}, "y", f32_buffer({1, 2}));
  Function f{"f", {{x, "x"}, {y, "y"}}, {node(Op::Sub, {x, y})}};

  BufferPtr bx = f32_buffer({10, 20});
  std::vector<BufferPtr> out = interpret(f, std::vector<BufferPtr>{bx, nullptr});
  CHECK_SAME(read_f32(out[0], 2), {9, 18});

  // A given input wins over the node's own value.
  out = interpret(f, std::vector<BufferPtr>{bx, f32_buffer({5, 5})});
  CHECK_SAME(read_f32(out[0], 2), {5, 15});

  // Caller memory, wrapped.
  std::vector<float> host = {100, 200};
  out = interpret(f, std::vector<BufferPtr>{Buffer::wrap(host.data(), 8, {}), nullptr});
  CHECK_SAME(read_f32(out[0], 2), {99, 198});
  CHECK_FALSE(x->evaluated());  // interpreting does not evaluate the graph's nodes
}

TEST_CASE("with no inputs every argument uses its node's value") {
  NodeRef x = make_param({f32, {3}}, "x", f32_buffer({1, 2, 3}));
  NodeRef sq = node(Op::Square, {x});
  Function f = function_of({sq, node(Op::Add, {sq, x}), x});
  REQUIRE(f.args.size() == 1);
  std::vector<BufferPtr> out = interpret(f);
  REQUIRE(out.size() == 3);
  CHECK_SAME(read_f32(out[0], 3), {1, 4, 9});
  CHECK_SAME(read_f32(out[1], 3), {2, 6, 12});
  // A result that is an argument is that argument's buffer.
  CHECK(out[2] == x->value());
}

TEST_CASE("an evaluated node stands for its value, as an argument or inside the graph") {
  NodeRef x = make_param({f32, {2}}, "x", f32_buffer({1, 2}));
  NodeRef y = node(Op::Neg, {x});
  y->set_value(f32_buffer({7, 8}));  // its value now, whatever neg would give
  NodeRef z = node(Op::Add, {y, y});
  CHECK_SAME(read_f32(interpret(function_of({z}))[0], 2), {14, 16});
  // Not listed as an argument: reached through the graph, its value is used.
  Function g{"g", {}, {z}};
  CHECK_SAME(read_f32(interpret(g)[0], 2), {14, 16});
  // A param with a value that is not an argument, likewise.
  // (Not neg: that is y again, hash-consed, with its value.)
  Function h{"h", {}, {node(Op::Square, {x})}};
  CHECK_SAME(read_f32(interpret(h)[0], 2), {1, 4});
}

TEST_CASE("interpret throws RuntimeError for a missing value or a too-small buffer") {
  NodeRef x = make_param({f32, {4}}, "x");
  NodeRef r = node(Op::Neg, {x});
  Function f{"f", {{x, "x"}}, {r}};
  CHECK_THROWS_WITH_AS(interpret(f), doctest::Contains("argument %x: f32[4] has no value"), RuntimeError);
  CHECK_THROWS_AS(interpret(f, std::vector<BufferPtr>{nullptr}), RuntimeError);
  CHECK_THROWS_WITH_AS(interpret(f, std::vector<BufferPtr>{f32_buffer({1, 2, 3})}),
                       doctest::Contains("needs 16 bytes, its buffer has 12"), RuntimeError);
  CHECK_THROWS_WITH_AS(interpret(f, std::vector<BufferPtr>{f32_buffer({1}), f32_buffer({1})}),
                       doctest::Contains("2 input buffers for 1 arguments"), RuntimeError);
  // A param reached through the graph that is neither an argument nor has a value.
  Function g{"g", {}, {r}};
  CHECK_THROWS_WITH_AS(interpret(g), doctest::Contains("parameter 'x'"), RuntimeError);
  // A bigger buffer than needed is fine.
  CHECK_SAME(read_f32(interpret(f, std::vector<BufferPtr>{f32_buffer({1, 2, 3, 4, 5})})[0], 4), {-1, -2, -3, -4});
}

TEST_CASE("zero-size arguments need no memory") {
  NodeRef x = make_param({f64, {0, 5}}, "x");
  Function f{"f", {{x, "x"}}, {node(Op::Exp, {x})}};
  std::vector<BufferPtr> out = interpret(f, std::vector<BufferPtr>{Buffer::wrap(nullptr, 0, {})});
  CHECK(out[0]->bytes() == 0);
}

TEST_CASE("a one-million-element elementwise chain is correct and fast") {
  const int64_t n = int64_t{1} << 20;
  TensorType t{f32, {n}};
  NodeRef i = node_given(Op::Iota, {}, {i32, {n}}, axis(0));
  // x[k] = k mod 1024 as f32; then ((x * 2 + 1) - x) * 0.5 = (x + 1) / 2, exact in f32.
  Attrs m;
  m.value = Scalar::of_int(1024);
  NodeRef modulus = node_given(Op::Broadcast, {node_given(Op::Literal, {}, {i32, {}}, m)}, {i32, {n}});
  NodeRef x = cast(node(Op::Mod, {i, modulus}), f32);
  auto lit = [&](double v) {
    Attrs a;
    a.value = Scalar::of_float(v);
    return node_given(Op::Broadcast, {node_given(Op::Literal, {}, {f32, {}}, a)}, t);
  };
  NodeRef y = node(Op::Mul, {node(Op::Sub, {node(Op::Add, {node(Op::Mul, {x, lit(2)}), lit(1)}), x}), lit(0.5)});
  NodeRef z = node(Op::Sqrt, {node(Op::Square, {y})});  // |y| = y: a few more ops

  auto start = std::chrono::steady_clock::now();
  Function f = function_of({z});
  std::vector<BufferPtr> out = interpret(f);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  int64_t ops = static_cast<int64_t>(topo_order(f).size());
  MESSAGE(ops << " nodes on 2^20 elements in " << seconds << " s");
  CHECK(seconds / ops < 0.5);
  int64_t wrong = 0;
  for (int64_t k = 0; k < n; ++k) wrong += load_as_double(out[0]->data(), f32, k) != ((k % 1024) + 1) / 2.0;
  CHECK(wrong == 0);
}
