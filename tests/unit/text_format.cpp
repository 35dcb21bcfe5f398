// The text form round-trips: printing a function, parsing the text and printing again gives
// the same text and the same graph, for every op of the table, every dtype's special values,
// several results, results that are arguments, locations and modules.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "compiler/ir/parser.hpp"
#include "compiler/ir/printer.hpp"
#include "compiler/ir/verifier.hpp"
#include "ir_samples.hpp"

using namespace kiln;
using kiln::testing::arg;
using kiln::testing::sample_function;

namespace {

// Checks that f and g have the same arguments (names, types) and the same statements (op,
// type, attributes, operands by position) in the same topological order, and results.
void check_same_graph(const Function& f, const Function& g) {
  REQUIRE(f.args.size() == g.args.size());
  std::unordered_map<const Node*, std::string> fk, gk;
  for (size_t i = 0; i < f.args.size(); ++i) {
    CHECK(f.args[i].name == g.args[i].name);
    CHECK(f.args[i].node->type() == g.args[i].node->type());
    fk[f.args[i].node.get()] = gk[g.args[i].node.get()] = fmt::format("arg{}", i);
  }
  std::vector<NodeRef> fo = topo_order(f), go = topo_order(g);
  REQUIRE(fo.size() == go.size());
  for (size_t i = 0; i < fo.size(); ++i) {
    const Node& a = *fo[i];
    const Node& b = *go[i];
    INFO("statement " << i << ": " << op_name(a.op()));
    CHECK(a.op() == b.op());
    CHECK(a.type() == b.type());
    CHECK(a.attrs() == b.attrs());
    REQUIRE(a.operands().size() == b.operands().size());
    for (size_t j = 0; j < a.operands().size(); ++j)
      CHECK(fk.at(a.operands()[j].get()) == gk.at(b.operands()[j].get()));
    fk[&a] = gk[&b] = fmt::format("s{}", i);
  }
  REQUIRE(f.results.size() == g.results.size());
  for (size_t i = 0; i < f.results.size(); ++i) CHECK(fk.at(f.results[i].get()) == gk.at(g.results[i].get()));
}

// Prints f, parses it, prints again; checks text and graph are preserved. Returns the text.
std::string round_trip(const Function& f) {
  verify(f);
  std::string text = print_function(f);
  INFO(text);
  Function g = parse_function(text, "round_trip.kir");
  verify(g);
  CHECK(print_function(g) == text);
  check_same_graph(f, g);
  return text;
}

// A function returning one literal per value in `values`, all of dtype t.
Function literals(DType t, const std::vector<Scalar>& values) {
  Function f;
  f.name = "lit_" + std::string(dtype_name(t));
  TensorType type{t, {}};
  for (const Scalar& v : values) {
    Attrs a;
    a.value = v;
    f.results.push_back(make_node(Op::Literal, {}, a, &type));
  }
  return f;
}

Scalar fl(double v) { return Scalar::of_float(v); }
Scalar in(int64_t v) { return Scalar::of_int(v); }

}  // namespace

TEST_CASE("every op of the table prints, parses back and prints the same") {
  for (int i = 0; i < kNumOps; ++i) {
    Op op = static_cast<Op>(i);
    INFO("op " << op_name(op));
    Function f = sample_function(op);
    std::string text = round_trip(f);
    if (op != Op::Param) CHECK(text.find(" = " + std::string(op_name(op)) + " ") != std::string::npos);
  }
}

TEST_CASE("the canonical form of a sample is exactly as specified") {
  Function f = sample_function(Op::Pad);
  CHECK(print_function(f) ==
        "func @sample_pad(%x: bf16[2,3,4]) -> bf16[3,6,6] {\n"
        "  %0 = pad %x {low = [1, 0, 2], high = [0, 3, 0], value = -1.5} : bf16[3,6,6]\n"
        "  return %0\n"
        "}\n");
  CHECK(print_function(sample_function(Op::RandomBits)) ==
        "func @sample_random_bits() -> u32[8] {\n"
        "  %0 = random_bits {seed = 18446744073709551615, stream = 7} : u32[8]\n"
        "  return %0\n"
        "}\n");
  CHECK(print_function(sample_function(Op::Slice)).find("{start = [1, 0, 3], step = [1, 2, -2]}") != std::string::npos);
}

TEST_CASE("attributes the text omits are zero or empty") {
  Function f = parse_function(
      "func @f(%x: f32[2]) -> (f32[2], i64[2], f32[]) {\n"
      "  %s = reduce_sum %x : f32[2]\n"
      "  %i = iota : i64[2]\n"
      "  %p = literal : f32[]\n"
      "  return %s, %i, %p\n"
      "}\n");
  CHECK(print_function(f) ==
        "func @f(%x: f32[2]) -> (f32[2], i64[2], f32[]) {\n"
        "  %0 = reduce_sum %x {axes = []} : f32[2]\n"
        "  %1 = iota {axis = 0} : i64[2]\n"
        "  %2 = literal {value = 0.0} : f32[]\n"
        "  return %0, %1, %2\n"
        "}\n");
}

TEST_CASE("format_scalar writes the shortest round-trip form with a '.', 'e', nan or inf") {
  CHECK(format_scalar(fl(0.5), DType::F32) == "0.5");
  CHECK(format_scalar(fl(1.0), DType::F32) == "1.0");
  CHECK(format_scalar(fl(100.0), DType::F64) == "100.0");
  CHECK(format_scalar(fl(-0.0), DType::F32) == "-0.0");
  CHECK(format_scalar(fl(0.1), DType::F32) == "0.1");
  CHECK(format_scalar(fl(0.1), DType::F64) == "0.1");
  CHECK(format_scalar(fl(1.0 / 3.0), DType::F64) == "0.3333333333333333");
  CHECK(format_scalar(fl(1e-7), DType::F32) == "1e-07");
  CHECK(format_scalar(fl(1e20), DType::F32) == "1e+20");
  CHECK(format_scalar(fl(1e-45), DType::F32) == "1e-45");
  CHECK(format_scalar(fl(5e-324), DType::F64) == "5e-324");
  CHECK(format_scalar(fl(0.1), DType::F16) == "0.099975586");  // the f16 value, shortest as f32
  CHECK(format_scalar(fl(65504.0), DType::F16) == "65504.0");
  CHECK(format_scalar(fl(std::numeric_limits<double>::quiet_NaN()), DType::F32) == "nan");
  CHECK(format_scalar(fl(-std::numeric_limits<double>::quiet_NaN()), DType::F64) == "-nan");
  CHECK(format_scalar(fl(-std::numeric_limits<double>::infinity()), DType::BF16) == "-inf");
  CHECK(format_scalar(in(-2147483648), DType::I32) == "-2147483648");
  CHECK(format_scalar(in(4294967295), DType::U32) == "4294967295");
  CHECK(format_scalar(in(1), DType::Bool) == "true");
  CHECK(format_scalar(in(0), DType::Bool) == "false");
}

TEST_CASE("literals of every dtype with special values round-trip bit for bit") {
  double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  std::vector<Scalar> floats = {fl(nan), fl(-nan), fl(inf),  fl(-inf), fl(-0.0),       fl(0.0),
                                fl(0.1), fl(1.0),  fl(-2.5), fl(1e-7), fl(123456789.0)};
  struct Case {
    DType t;
    std::vector<Scalar> extra;
    std::vector<std::string> texts;
  };
  std::vector<Case> cases = {
      {DType::F32,
       {fl(1e-45), fl(3.4028234663852886e38), fl(1.17549435e-38)},
       {"value = 1e-45", "value = 3.4028235e+38", "value = -0.0", "value = nan", "value = -inf"}},
      {DType::F64,
       {fl(5e-324), fl(1.7976931348623157e308), fl(1e300)},
       {"value = 5e-324", "value = 1.7976931348623157e+308", "value = 1e+300", "value = 0.1"}},
      {DType::F16,
       {fl(65504.0), fl(5.960464477539063e-08)},
       {"value = 65504.0", "value = 5.9604645e-08", "value = -nan"}},
      {DType::BF16, {fl(3.3895313892515355e38), fl(9.183549615799121e-41)}, {"value = 3.3895314e+38", "value = inf"}},
  };
  for (const Case& c : cases) {
    INFO(dtype_name(c.t));
    std::vector<Scalar> values = floats;
    values.insert(values.end(), c.extra.begin(), c.extra.end());
    std::string text = round_trip(literals(c.t, values));
    for (const std::string& s : c.texts) CHECK(text.find(s) != std::string::npos);
  }
  std::string ints = round_trip(literals(DType::I32, {in(-2147483648), in(2147483647), in(0), in(-1)}));
  CHECK(ints.find("value = -2147483648") != std::string::npos);
  std::string longs = round_trip(
      literals(DType::I64, {in(std::numeric_limits<int64_t>::min()), in(std::numeric_limits<int64_t>::max())}));
  CHECK(longs.find("value = -9223372036854775808") != std::string::npos);
  CHECK(longs.find("value = 9223372036854775807") != std::string::npos);
  CHECK(round_trip(literals(DType::U32, {in(0), in(4294967295)})).find("value = 4294967295") != std::string::npos);
  std::string bools = round_trip(literals(DType::Bool, {in(1), in(0)}));
  CHECK(bools.find("value = true") != std::string::npos);
  CHECK(bools.find("value = false") != std::string::npos);
}

TEST_CASE("a float literal text reads in its statement's dtype") {
  Function f = parse_function(
      "func @f() -> (f16[], bf16[], f32[], f64[]) {\n"
      "  %a = literal {value = 0.1} : f16[]\n"
      "  %b = literal {value = 0.1} : bf16[]\n"
      "  %c = literal {value = 0.1} : f32[]\n"
      "  %d = literal {value = 1} : f64[]\n"
      "  return %a, %b, %c, %d\n"
      "}\n");
  CHECK(f.results[0]->attrs().value.f == f16_bits_to_f32(f32_to_f16_bits(0.1f)));
  CHECK(f.results[1]->attrs().value.f == bf16_bits_to_f32(f32_to_bf16_bits(0.1f)));
  CHECK(f.results[2]->attrs().value.f == static_cast<double>(0.1f));
  CHECK(f.results[3]->attrs().value == Scalar::of_float(1.0));
}

TEST_CASE("several results, results that are arguments, and unused arguments") {
  Function f;
  f.name = "multi";
  NodeRef x = arg(f, "x", DType::F32, {3});
  arg(f, "unused", DType::I64, {});
  NodeRef y = make_node(Op::Sin, {x});
  f.results = {x, y, make_node(Op::Add, {y, x}), x};
  std::string text = round_trip(f);
  CHECK(text ==
        "func @multi(%x: f32[3], %unused: i64[]) -> (f32[3], f32[3], f32[3], f32[3]) {\n"
        "  %0 = sin %x : f32[3]\n"
        "  %1 = add %0, %x : f32[3]\n"
        "  return %x, %0, %1, %x\n"
        "}\n");
  Function only_arg;
  only_arg.name = "id";
  only_arg.results.push_back(arg(only_arg, "a", DType::Bool, {0, 2}));
  CHECK(round_trip(only_arg) == "func @id(%a: bool[0,2]) -> bool[0,2] {\n  return %a\n}\n");
}

TEST_CASE("statement numbers skip the numbers that arguments use as names") {
  Function f;
  f.name = "n";
  NodeRef a = arg(f, "0", DType::F32, {});
  NodeRef b = arg(f, "2", DType::F32, {});
  f.results.push_back(make_node(Op::Mul, {make_node(Op::Neg, {a}), b}));
  CHECK(round_trip(f) ==
        "func @n(%0: f32[], %2: f32[]) -> f32[] {\n"
        "  %1 = neg %0 : f32[]\n"
        "  %3 = mul %1, %2 : f32[]\n"
        "  return %3\n"
        "}\n");
}

TEST_CASE("locations print with escapes and parse back to the same file and line") {
  Function f;
  f.name = "locs";
  NodeRef x = arg(f, "x", DType::F32, {});
  std::string file = std::string("dir/a \"b\"\\c\n\x01\xc3\xa9.cpp");
  NodeRef y = make_node(Op::Exp, {x}, {}, nullptr, SourceLoc{intern_string(file), 42});
  f.results.push_back(make_node(Op::Log, {y}, {}, nullptr, SourceLoc{intern_string("m.cpp"), 0}));
  std::string text = round_trip(f);
  CHECK(text.find(R"(%0 = exp %x : f32[] loc("dir/a \"b\"\\c\0a\01\c3\a9.cpp":42))") != std::string::npos);
  CHECK(text.find(R"(%1 = log %0 : f32[] loc("m.cpp":0))") != std::string::npos);
  Function g = parse_function(text);
  CHECK(std::string(g.results[0]->operands()[0]->loc().file) == file);
  CHECK(g.results[0]->operands()[0]->loc().line == 42);
  CHECK(print_function(g, PrintOptions{.locations = false}) ==
        "func @locs(%x: f32[]) -> f32[] {\n  %0 = exp %x : f32[]\n  %1 = log %0 : f32[]\n  return %1\n}\n");
}

TEST_CASE("a module prints its functions separated by one blank line and parses back") {
  Module m;
  for (Op op : {Op::Matmul, Op::Concat, Op::Where}) m.functions.push_back(sample_function(op));
  std::string text = print_module(m);
  CHECK(text.find("}\n\nfunc @sample_concat(") != std::string::npos);
  CHECK(text.find("\n\n\n") == std::string::npos);
  Module back = parse_module(text, "m.kir");
  verify(back);
  REQUIRE(back.functions.size() == 3);
  CHECK(print_module(back) == text);
  for (size_t i = 0; i < 3; ++i) check_same_graph(m.functions[i], back.functions[i]);
  CHECK(parse_module("  // nothing but a comment\n").functions.empty());
  CHECK(print_module(Module{}) == "");
}

TEST_CASE("printing is deterministic and idempotent") {
  Function f = sample_function(Op::ScatterAdd);
  std::string once = print_function(f);
  CHECK(print_function(f) == once);
  std::string text = once;
  for (int i = 0; i < 3; ++i) text = print_function(parse_function(text));
  CHECK(text == once);
}

TEST_CASE("free-form names and layout parse to the canonical text") {
  std::string messy =
      "func @g(%in.put_1: f32[2,3])->f32[3,2]{%zz=permute %in.put_1 {perm=[1,0]}:f32[3,2]\n"
      "// a comment between statements\r\n"
      "\t%a.b = neg %zz : f32[3,2]   return %a.b}";
  CHECK(print_function(parse_function(messy)) ==
        "func @g(%in.put_1: f32[2,3]) -> f32[3,2] {\n"
        "  %0 = permute %in.put_1 {perm = [1, 0]} : f32[3,2]\n"
        "  %1 = neg %0 : f32[3,2]\n"
        "  return %1\n"
        "}\n");
}

TEST_CASE("text with a duplicated statement prints with one: the graph is hash-consed") {
  Function f = parse_function(
      "func @d(%x: f32[4]) -> f32[4] {\n"
      "  %a = sqrt %x : f32[4]\n"
      "  %b = sqrt %x : f32[4]\n"
      "  %c = literal {value = 2.0} : f32[]\n"
      "  %e = literal {value = 2} : f32[]\n"
      "  %s = add %a, %b : f32[4]\n"
      "  %t = broadcast %c : f32[4]\n"
      "  %u = broadcast %e : f32[4]\n"
      "  %r = mul %s, %t : f32[4]\n"
      "  %q = mul %s, %u : f32[4]\n"
      "  %w = sub %r, %q : f32[4]\n"
      "  return %w\n"
      "}\n");
  CHECK(print_function(f) ==
        "func @d(%x: f32[4]) -> f32[4] {\n"
        "  %0 = sqrt %x : f32[4]\n"
        "  %1 = add %0, %0 : f32[4]\n"
        "  %2 = literal {value = 2.0} : f32[]\n"
        "  %3 = broadcast %2 : f32[4]\n"
        "  %4 = mul %1, %3 : f32[4]\n"
        "  %5 = sub %4, %4 : f32[4]\n"
        "  return %5\n"
        "}\n");
}
