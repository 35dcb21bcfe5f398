// Symbolic sizes in the text form and ahead-of-time programs: what aot_programs fits from
// probe schedules, and the functions it must refuse.
#include <doctest/doctest.h>
#include <kiln/kiln.hpp>

#include "compiler/ir/parser.hpp"
#include "compiler/ir/printer.hpp"
#include "compiler/ir/symbolic.hpp"
#include "passes/aot.hpp"

using namespace kiln;

namespace {

const char* kScale = R"(func @scale(%x: f32[n,m], %w: f32[m]) -> (f32[n,m], f32[n,m]) {
  %wb = broadcast %w : f32[n,m]
  %y = mul %x, %wb : f32[n,m]
  return %y, %x
}
)";

std::function<Module(const SizeValues&)> parsed(const std::string& text) {
  return [text](const SizeValues& v) { return parse_with_sizes(text, "t.kir", v); };
}

}  // namespace

TEST_CASE("a size name in a type is bound at parse time and is an error unbound") {
  CHECK(size_names(kScale, "t.kir") == std::vector<std::string>{"n", "m"});
  Module m = parse_with_sizes(kScale, "t.kir", {{"n", 2}, {"m", 5}});
  CHECK(m.functions[0].args[0].node->shape() == Shape{2, 5});
  CHECK_THROWS_WITH_AS(parse_module(kScale, "t.kir"), doctest::Contains("t.kir:1:21: error: expected a dimension, found the size name 'n'"),
                       ParseError);
  CHECK_THROWS_WITH_AS(parse_with_sizes(kScale, "t.kir", {{"n", 2}}), doctest::Contains("size 'm' has no value"),
                       ParseError);
  CHECK_THROWS_WITH_AS(parse_with_sizes(kScale, "t.kir", {{"n", -1}, {"m", 1}}), doctest::Contains("negative"),
                       ParseError);
}

TEST_CASE("symbolic_text names the dims that follow the sizes and reads back") {
  std::string text = symbolic_text(parsed(kScale), {"n", "m"}, {.locations = false});
  CHECK(text.find("func @scale(%x: f32[n,m], %w: f32[m]) -> (f32[n,m], f32[n,m]) {") == 0);
  CHECK(symbolic_text(parsed(text), {"n", "m"}, {.locations = false}) == text);
}

TEST_CASE("aot_programs: sizes as arguments, shapes and dims as products of sizes") {
  std::vector<kernel::Program> ps = aot_programs(parsed(kScale), {"n", "m"});
  REQUIRE(ps.size() == 1);
  const kernel::Program& p = ps[0];
  CHECK(p.name == "scale");
  CHECK(p.sizes == std::vector<std::string>{"n", "m"});
  CHECK(p.args[0].shape == std::vector<kernel::SizeExpr>{{1, {0}}, {1, {1}}});
  CHECK(p.results.size() == 2);
  CHECK(p.results[0].name == "out0");
  // The second result is the argument x: a copy of n*m*4 bytes, the last step.
  const kernel::Step& copy = p.steps.back();
  CHECK(copy.kind == kernel::Step::Kind::Copy);
  CHECK(copy.bytes == kernel::SizeExpr{4, {0, 1}});
  CHECK(copy.buffers == std::vector<kernel::Binding>{{kernel::Binding::Kind::Result, 1}, {kernel::Binding::Kind::Arg, 0}});
  CHECK(print_program(p).find("copy 4*n*m bytes [out1, x]") != std::string::npos);
}

TEST_CASE("aot_programs refuses sizes in values that are not products of sizes, or in kernels") {
  auto padded = [](const SizeValues& v) {
    NodeRef x = make_param({DType::F32, {v.at("n")}}, "x");
    Array y = pad(Array(x), {{1, 1}});
    Function f;
    f.name = "padded";
    f.args = {{x, "x"}};
    f.results = {y.node()};
    return Module{{f}};
  };
  CHECK_THROWS_WITH_AS(aot_programs(padded, {"n"}), doctest::Contains("not a constant times a product of sizes"),
                       ValueError);
  auto doubled = [](const SizeValues& v) {
    NodeRef x = make_param({DType::F32, {v.at("n")}}, "x");
    Function f;
    f.name = "doubled";
    f.args = {{x, "x"}};
    f.results = {concat({Array(x), Array(x)}).node()};
    return Module{{f}};
  };
  // concat's kernel holds n as a constant (where the second operand starts): a new kernel
  // for every n, which one object cannot hold.
  CHECK_THROWS_WITH_AS(aot_programs(doubled, {"n"}), doctest::Contains("the schedule changes with the sizes"),
                       ValueError);
}

TEST_CASE("names of the C interface must be C identifiers and distinct") {
  CHECK(c_identifier("a.b", "x") == "a_b");
  CHECK_THROWS_WITH_AS(c_identifier("int", "argument %int"), doctest::Contains("argument %int: 'int' is not usable"),
                       ValueError);
  CHECK_THROWS_AS(c_identifier("0x", "function @0x"), ValueError);
  const char* clash = "func @f(%workspace: f32[2]) -> f32[2] {\n  %y = sin %workspace : f32[2]\n  return %y\n}\n";
  CHECK_THROWS_WITH_AS(aot_programs(parsed(clash), {}), doctest::Contains("both named 'workspace'"), ValueError);
}
