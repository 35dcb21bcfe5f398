// The verifier accepts every valid function and names the first broken invariant otherwise;
// the type rules it re-runs reject bad nodes already in make_node, with the Error subclass
// and message that say what is wrong.
#include "compiler/ir/verifier.hpp"

#include <doctest/doctest.h>

#include <string>

#include "compiler/ir/buffer.hpp"
#include "compiler/ir/parser.hpp"
#include "ir_samples.hpp"

using namespace kiln;
using kiln::testing::arg;

namespace {

template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("wrong exception type: " << e.what());
  }
  FAIL("no exception");
  return "";
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

NodeRef p(DType t, Shape s, std::string name = "x") { return make_param({t, std::move(s)}, std::move(name)); }

// An evaluated node: a param given a value, then used as data.
NodeRef evaluated(DType t, Shape s) {
  NodeRef n = make_node(Op::Neg, {p(t, s)});
  n->set_value(Buffer::allocate(static_cast<size_t>(numel(s)) * dtype_size(t)));
  return n;
}

}  // namespace

TEST_CASE("the verifier accepts a sample function of every op and parsed text") {
  for (int i = 0; i < kNumOps; ++i) {
    INFO(op_name(static_cast<Op>(i)));
    CHECK_NOTHROW(verify(kiln::testing::sample_function(static_cast<Op>(i))));
  }
  CHECK_NOTHROW(
      verify(parse_module("func @a(%x: f32[3]) -> f32[] {\n  %0 = reduce_max %x {axes = [0]} : f32[]\n  return %0\n}\n"
                          "func @b(%x: f32[3]) -> f32[3] {\n  return %x\n}\n")));
}

TEST_CASE("an evaluated node may stand in for an argument") {
  Function f;
  f.name = "e";
  NodeRef v = evaluated(DType::F32, {2});
  f.args.push_back({v, "v"});
  f.results.push_back(make_node(Op::Exp, {v}));
  CHECK_NOTHROW(verify(f));
}

TEST_CASE("signature checks: results, names, duplicates, argument kinds") {
  Function f;
  f.name = "f";
  std::string m = message_of<ValueError>([&] { verify(f); });
  CHECK(m == "@f: a function needs at least one result");

  f.name = "bad name";
  f.results.push_back(p(DType::F32, {}));
  CHECK(contains(message_of<ValueError>([&] { verify(f); }), "@bad name: not a valid function name"));

  Function dup;
  dup.name = "dup";
  NodeRef a = arg(dup, "x", DType::F32, {2});
  NodeRef b = arg(dup, "x", DType::F32, {2});
  dup.results.push_back(make_node(Op::Add, {a, b}));
  CHECK(message_of<ValueError>([&] { verify(dup); }) == "@dup: two arguments are named %x");

  Function same;
  same.name = "same";
  NodeRef x = arg(same, "x", DType::F32, {});
  same.args.push_back({x, "y"});
  same.results.push_back(x);
  CHECK(contains(message_of<ValueError>([&] { verify(same); }), "@same: argument %y is the same node as an earlier"));

  Function pending;
  pending.name = "pending";
  NodeRef n = make_node(Op::Neg, {p(DType::F32, {})});
  pending.args.push_back({n, "n"});
  pending.results.push_back(n);
  CHECK(contains(message_of<ValueError>([&] { verify(pending); }),
                 "@pending: argument %n is a pending neg, not a param or an evaluated node"));

  Function badarg;
  badarg.name = "g";
  badarg.results.push_back(arg(badarg, "has space", DType::F32, {}));
  CHECK(contains(message_of<ValueError>([&] { verify(badarg); }), "argument name 'has space' is not a valid name"));
}

TEST_CASE("every param or evaluated node the results use must be an argument") {
  Function f;
  f.name = "leak";
  NodeRef w = p(DType::F32, {3}, "w");
  f.results.push_back(make_node(Op::Sin, {w}));
  CHECK(message_of<ValueError>([&] { verify(f); }) == "@leak: param 'w' of type f32[3] is used but is not an argument");

  Function g;
  g.name = "ev";
  NodeRef x = arg(g, "x", DType::I32, {2});
  g.results.push_back(make_node(Op::Mul, {x, evaluated(DType::I32, {2})}));
  CHECK(message_of<ValueError>([&] { verify(g); }) ==
        "@ev: an evaluated neg of type i32[2] is used but is not an argument");
}

TEST_CASE("a node carrying an attribute its op does not list is rejected") {
  Function f;
  f.name = "stray";
  NodeRef x = arg(f, "x", DType::F32, {2});
  Attrs a;
  a.axes = {0};
  f.results.push_back(make_node(Op::Add, {x, x}, a));
  CHECK(contains(message_of<ValueError>([&] { verify(f); }), "@stray: add: carries an attribute"));
}

TEST_CASE("verify(Module) rejects two functions with one name") {
  Module m;
  m.functions.push_back(kiln::testing::sample_function(Op::Neg));
  m.functions.push_back(kiln::testing::sample_function(Op::Neg));
  CHECK(message_of<ValueError>([&] { verify(m); }) == "two functions are named @sample_neg");
}

TEST_CASE("type rules reject bad nodes with the right Error subclass and the values") {
  NodeRef a = p(DType::F32, {3, 4});
  NodeRef b = p(DType::F32, {4, 3});
  NodeRef i = p(DType::I32, {3, 4});
  std::string m = message_of<ShapeError>([&] { make_node(Op::Add, {a, b}); });
  CHECK(m == "add: operand shapes differ: f32[3,4], f32[4,3]");
  m = message_of<DTypeError>([&] { make_node(Op::Sub, {a, i}); });
  CHECK(m == "sub: operand dtypes differ: f32[3,4], i32[3,4]");
  m = message_of<DTypeError>([&] { make_node(Op::Sin, {i}); });
  CHECK(m == "sin: expects a floating-point dtype, got i32");
  m = message_of<DTypeError>([&] { make_node(Op::Where, {a, a, a}); });
  CHECK(m == "where: condition must be bool, got f32[3,4]");
  Attrs axes;
  axes.axes = {2};
  m = message_of<AxisError>([&] { make_node(Op::ReduceSum, {a}, axes); });
  CHECK(m == "reduce_sum: axis 2 is out of range for rank 2");
  Attrs perm;
  perm.perm = {0, 0};
  m = message_of<AxisError>([&] { make_node(Op::Permute, {a}, perm); });
  CHECK(m == "permute: [0, 0] is not a permutation of the axes of f32[3,4]");
  Attrs slice;
  slice.start = {0, 0};
  slice.step = {1, 0};
  TensorType st{DType::F32, {3, 4}};
  m = message_of<ValueError>([&] { make_node(Op::Slice, {a}, slice, &st); });
  CHECK(m == "slice: step of axis 1 is 0");
  TensorType lit{DType::F32, {}};
  m = message_of<ValueError>([&] { make_node(Op::Literal, {}, Attrs{}, &lit); });
  CHECK(m == "literal: value kind does not match dtype f32");
  TensorType wrong{DType::F32, {12}};
  m = message_of<ShapeError>([&] { make_node(Op::Neg, {a}, {}, &wrong); });
  CHECK(m == "neg: declared result type f32[12] differs from the inferred f32[3,4]");
  m = message_of<ShapeError>([&] { make_node(Op::Matmul, {a, a}); });
  CHECK(m == "matmul: contracted dims differ: f32[3,4] and f32[3,4] (4 vs 3)");
  m = message_of<ShapeError>([&] { make_node(Op::Neg, {a}, {}, &wrong, SourceLoc{intern_string("model.cpp"), 9}); });
  CHECK(m == "model.cpp:9: neg: declared result type f32[12] differs from the inferred f32[3,4]");
}
