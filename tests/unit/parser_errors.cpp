// The parser rejects every malformed text with a ParseError `file:line:col: error: what` at
// the offending token, and never fails any other way: not on the malformed corpus in
// tests/data/malformed, not on huge or binary inputs, not on random mutations of valid text.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "compiler/ir/parser.hpp"
#include "compiler/ir/printer.hpp"
#include "ir_samples.hpp"

using namespace kiln;

namespace {

// The ParseError that parsing `text` (as file "t.kir") throws.
ParseError parse_error(std::string_view text) {
  try {
    parse_module(text, "t.kir");
  } catch (const ParseError& e) {
    return e;
  }
  FAIL("parsed without error: " << text);
  return ParseError("", "", 0, 0);
}

// Checks that `text` fails at line:col with a message containing `what`.
void check_error(std::string_view text, int line, int col, std::string_view what) {
  ParseError e = parse_error(text);
  std::string prefix = "t.kir:" + std::to_string(line) + ":" + std::to_string(col) + ": error: ";
  INFO(std::string(e.what()));
  CHECK(std::string(e.what()).rfind(prefix, 0) == 0);
  CHECK(std::string(e.what()).find(what) != std::string::npos);
  CHECK(e.file() == "t.kir");
  CHECK(e.line() == line);
  CHECK(e.col() == col);
}

// `func @f(%x: f32[2]) -> f32[2] {` then `body` then `}`.
std::string in_function(std::string_view body) {
  return "func @f(%x: f32[2]) -> f32[2] {\n" + std::string(body) + "}\n";
}

}  // namespace

TEST_CASE("lexical errors point at the offending byte") {
  check_error("func @f(%x: f32[]) -> f32[] {\n  %y = neg %x : f32[] # x\n}", 2, 23, "unexpected '#'");
  check_error(std::string("func @f(\0", 9), 1, 9, "unexpected byte 0x00");
  check_error("func @f(%: f32[])", 1, 9, "expected a name after '%'");
  check_error("func @f(%x: f32[1.2.3])", 1, 17, "malformed number");
  check_error("func @f(%x: f32[1e])", 1, 17, "malformed number");
  check_error("func @f(%x: f32[-])", 1, 17, "unexpected '-'");
  check_error("func @f(%x: f32[-infinity])", 1, 17, "unexpected '-'");
  check_error(in_function("  %y = neg %x : f32[2] loc(\"a\n"), 2, 28, "unterminated string");
  check_error(in_function("  %y = neg %x : f32[2] loc(\"a\\g\":1)\n"), 2, 30, "bad escape");
  check_error(in_function("  %y = neg %x : f32[2] loc(\"a\\4\":1)\n"), 2, 30, "bad escape");
}

TEST_CASE("unknown ops and dtypes, and param as a statement") {
  check_error(in_function("  %y = frobnicate %x : f32[2]\n  return %y\n"), 2, 8, "unknown op 'frobnicate'");
  check_error("func @f(%x: f31[2]) -> f32[2] {}", 1, 13, "unknown dtype 'f31'");
  check_error(in_function("  %y = neg %x : float[2]\n"), 2, 17, "unknown dtype 'float'");
  check_error(in_function("  %y = param : f32[2]\n  return %y\n"), 2, 8, "'param' is not a statement");
}

TEST_CASE("names are defined once and before their use") {
  check_error(in_function("  %y = neg %z : f32[2]\n  %z = neg %x : f32[2]\n  return %y\n"), 2, 12,
              "use of undefined value %z");
  check_error(in_function("  %y = neg %x : f32[2]\n  %y = abs %x : f32[2]\n  return %y\n"), 3, 3,
              "%y is already defined");
  check_error(in_function("  %x = neg %x : f32[2]\n  return %x\n"), 2, 3, "%x is already defined");
  check_error("func @f(%a: f32[], %a: f32[]) -> f32[] {\n  return %a\n}", 1, 20, "%a is already defined");
  check_error(in_function("  return %nope\n"), 2, 10, "use of undefined value %nope");
  check_error("func @f(%x: f32[]) -> f32[] {\n  return %x\n}\nfunc @f(%x: f32[]) -> f32[] {\n  return %x\n}\n", 4, 6,
              "function @f is already defined");
  // Each function has its own names.
  CHECK_NOTHROW(
      parse_module("func @f(%x: f32[]) -> f32[] {\n  return %x\n}\nfunc @g(%x: f32[]) -> f32[] {\n  return %x\n}\n"));
  check_error("func @f(%x: f32[]) -> f32[] {\n  return %x\n}\nfunc @g() -> f32[] {\n  return %x\n}\n", 5, 10,
              "use of undefined value %x");
}

TEST_CASE("attributes: only those the op carries, each once, of the right kind") {
  check_error(in_function("  %y = add %x, %x {axis = 0} : f32[2]\n"), 2, 20, "add has no attribute 'axis'");
  check_error(in_function("  %y = reduce_sum %x {foo = [0]} : f32[]\n"), 2, 23, "unknown attribute 'foo'");
  check_error(in_function("  %y = reduce_sum %x {axes = [0], axes = [0]} : f32[]\n"), 2, 35,
              "duplicate attribute 'axes'");
  check_error(in_function("  %y = reduce_sum %x {axes = 0} : f32[]\n"), 2, 30,
              "expected '[' starting a list of integers");
  check_error(in_function("  %y = concat %x {axis = [0]} : f32[2]\n"), 2, 26, "expected an integer for 'axis'");
  check_error(in_function("  %y = concat %x {axis 0} : f32[2]\n"), 2, 24, "expected '='");
  check_error(in_function("  %y = concat %x {axis = 0 : f32[2]\n"), 2, 28, "expected ',' or '}'");
  check_error(in_function("  %y = pad %x {low = [0], high = [0], value = true} : f32[2]\n"), 2, 47,
              "expected a number for f32, found 'true'");
  check_error(in_function("  %y = pad %x {low = [0], high = [0], value = [1]} : f32[2]\n"), 2, 47,
              "expected a number, 'true' or 'false' for 'value'");
  // An empty attribute list is allowed for any op; it is not printed.
  CHECK(print_module(parse_module(in_function("  %y = neg %x {} : f32[2]\n  return %y\n"))).find("neg %x : f32[2]") !=
        std::string::npos);
}

TEST_CASE("devices: any op and any argument may name one, a quoted cpu, cuda or cuda:N") {
  check_error(in_function("  %y = neg %x {device = \"gpu\"} : f32[2]\n"), 2, 25,
              "unknown device \"gpu\" (expected \"cpu\", \"cuda\" or \"cuda:N\")");
  check_error(in_function("  %y = neg %x {device = cuda} : f32[2]\n"), 2, 25, "expected a quoted device");
  check_error(in_function("  %y = neg %x {device = \"cuda\", device = \"cpu\"} : f32[2]\n"), 2, 33,
              "duplicate attribute 'device'");
  check_error("func @f(%x: f32[2] {axis = 1}) -> f32[2] {\n  return %x\n}", 1, 21,
              "an argument has no attribute 'axis' (only 'device')");
  // Printed back as written: after the op's own attributes, "cuda" as cuda:0, cpu omitted.
  const std::string text = print_module(parse_module(
      "func @f(%x: f32[2] {device = \"cuda\"}) -> f32[] {\n"
      "  %y = reduce_sum %x {device = \"cuda:3\", axes = [0]} : f32[]\n"
      "  %z = neg %y {device = \"cpu\"} : f32[]\n  return %z\n}"));
  CHECK(text.find("func @f(%x: f32[2] {device = \"cuda:0\"}) -> f32[] {") != std::string::npos);
  CHECK(text.find("reduce_sum %x {axes = [0], device = \"cuda:3\"} : f32[]") != std::string::npos);
  CHECK(text.find("neg %0 : f32[]") != std::string::npos);
}

TEST_CASE("values of literals read in the statement's dtype, pad values in the operand's") {
  auto literal = [](std::string_view value, std::string_view type) {
    return "func @f() -> " + std::string(type) + " {\n  %y = literal {value = " + std::string(value) +
           "} : " + std::string(type) + "\n  return %y\n}\n";
  };
  check_error(literal("3000000000", "i32[]"), 2, 25, "integer '3000000000' does not fit in i32");
  check_error(literal("-2147483649", "i32[]"), 2, 25, "does not fit in i32");
  check_error(literal("-1", "u32[]"), 2, 25, "does not fit in u32");
  check_error(literal("4294967296", "u32[]"), 2, 25, "does not fit in u32");
  check_error(literal("9223372036854775808", "i64[]"), 2, 25, "out of the range of i64");
  check_error(literal("1.5", "i32[]"), 2, 25, "expected an integer for i32, found '1.5'");
  check_error(literal("nan", "i64[]"), 2, 25, "expected an integer for i64");
  check_error(literal("1", "bool[]"), 2, 25, "expected 'true' or 'false' for bool");
  check_error(literal("1e39", "f32[]"), 2, 25, "'1e39' is out of the range of f32");
  check_error(literal("-1e309", "f64[]"), 2, 25, "out of the range of f64");
  check_error(literal("70000", "f16[]"), 2, 25, "out of the range of f16");
  check_error(literal("infinity", "f32[]"), 2, 25, "expected a number for f32");
  CHECK_NOTHROW(parse_module(literal("-9223372036854775808", "i64[]")));
  CHECK_NOTHROW(parse_module(literal("4294967295", "u32[]")));
  CHECK_NOTHROW(parse_module(literal("-inf", "bf16[]")));
  CHECK_NOTHROW(parse_module(literal("65504", "f16[]")));
  check_error(
      "func @f(%x: i32[2]) -> i32[2] {\n  %y = pad %x {low = [0], high = [0], value = 0.5} : i32[2]\n  "
      "return %y\n}\n",
      2, 47, "expected an integer for i32");
}

TEST_CASE("numbers out of the int64 range are errors") {
  check_error("func @f(%x: f32[99999999999999999999]) -> f32[] {}", 1, 17, "out of the range of i64");
  check_error(in_function("  %y = concat %x {axis = -9223372036854775809} : f32[2]\n"), 2, 26,
              "out of the range of i64");
  check_error(in_function("  %y = reduce_sum %x {axes = [0, 18446744073709551616]} : f32[]\n"), 2, 34,
              "out of the range of i64");
  check_error("func @f() -> u32[2] {\n  %y = random_bits {seed = 18446744073709551616} : u32[2]\n}", 2, 28,
              "out of the range of u64");
  check_error("func @f() -> u32[2] {\n  %y = random_bits {stream = -1} : u32[2]\n}", 2, 30, "non-negative");
  check_error(in_function("  %y = neg %x : f32[2] loc(\"a\":4294967296)\n"), 2, 32,
              "line number 4294967296 is out of range");
  std::string long_number(10000, '7');
  ParseError e = parse_error("func @f(%x: f32[" + long_number + "]) -> f32[] {}");
  CHECK(e.col() == 17);
  CHECK(std::string(e.what()).size() < 200);  // the culprit is cut short in the message
}

TEST_CASE("types: dims are non-negative, rank and element count are bounded") {
  check_error("func @f(%x: f32[-2]) -> f32[] {}", 1, 17, "negative dimension -2");
  check_error("func @f(%x: f32[2,]) -> f32[] {}", 1, 19, "expected a dimension, found ']'");
  check_error("func @f(%x: f32[4611686018427387904,2]) -> f32[] {}", 1, 13, "has more than 2^62 elements");
  std::string rank65 = "func @f(%x: f32[1";
  for (int i = 0; i < 64; ++i) rank65 += ",1";
  check_error(rank65 + "]) -> f32[] {}", 1, 145, "rank is above the limit of 64");
}

TEST_CASE("structure: return, signature, trailing text, end of input") {
  check_error(in_function("  %y = neg %x : f32[2]\n"), 3, 1, "missing 'return' at the end of function @f");
  check_error(in_function("  return %x\n  %y = neg %x : f32[2]\n"), 3, 3, "expected '}' after the return");
  check_error(in_function("  neg %x\n"), 2, 3, "expected a statement '%name = ...' or 'return', found 'neg'");
  check_error("func @f(%x: f32[]) -> f32[2] {\n  return %x\n}", 2, 10,
              "%x has type f32[] but the signature declares f32[2]");
  check_error("func @f(%x: f32[]) -> (f32[], f32[]) {\n  return %x\n}", 2, 3,
              "return gives 1 value(s) but the signature of @f declares 2");
  check_error("func @f(%x: f32[]) -> () {\n  return %x\n}", 2, 3, "declares 0");
  check_error("func @f(%x: f32[]) -> f32[] {\n  return\n}", 3, 1, "expected a value '%name' to return, found '}'");
  check_error("func @f(%x: f32[]) -> f32[] {\n  return %x\n}\n}", 4, 1, "expected 'func', found '}'");
  check_error("func @f(%x: f32[]) -> f32[] {\n  return %x\n}\nfunc", 4, 5,
              "expected a function name '@name', found end of input");
  check_error("func @f(%x: f32[]) f32[] {}", 1, 20, "expected '->', found 'f32'");
  check_error("fun @f() -> f32[] {}", 1, 1, "expected 'func', found 'fun'");
  check_error("func @f(%x: f32[]) -> f32[] {\n  return %x", 2, 12, "expected '}' after the return, found end of input");
}

TEST_CASE("parse_function needs exactly one function") {
  try {
    parse_function("", "e.kir");
    FAIL("no error");
  } catch (const ParseError& e) {
    CHECK(std::string(e.what()) == "e.kir:1:1: error: expected a function, found end of input");
  }
  try {
    parse_function("func @f() -> i64[2] {\n  %y = iota : i64[2]\n  return %y\n}\n\nfunc @g() -> i64[] {}", "e.kir");
    FAIL("no error");
  } catch (const ParseError& e) {
    CHECK(std::string(e.what()) == "e.kir:6:1: error: expected end of input after function @f, found 'func'");
  }
}

TEST_CASE("type errors from make_node point at the op and keep its message") {
  check_error("func @f(%x: f32[2], %z: f32[3]) -> f32[2] {\n  %y = add %x, %z : f32[2]\n  return %y\n}", 2, 8,
              "add: operand shapes differ: f32[2], f32[3]");
  check_error(in_function("  %y = neg %x : f64[2]\n"), 2, 8,
              "neg: declared result type f64[2] differs from the inferred f32[2]");
  check_error(in_function("  %y = add %x : f32[2]\n"), 2, 8, "add: expects 2 operand(s), got 1");
  check_error(in_function("  %y = logical_not %x : f32[2]\n"), 2, 8, "logical_not: expects bool, got f32");
  check_error(in_function("  %y = reduce_sum %x {axes = [1]} : f32[]\n"), 2, 8,
              "reduce_sum: axis 1 is out of range for rank 1");
  check_error(in_function("  %y = literal {value = 1.0} : f32[2]\n"), 2, 8, "literal: a literal is 0-d, got f32[2]");
  check_error(in_function("  %y = neg %x : f64[2] loc(\"m.cpp\":7)\n"), 2, 8, "m.cpp:7: neg: declared result type");
}

TEST_CASE("every file of the malformed corpus fails where its EXPECT line says") {
  const char* dir = std::getenv("KILN_TEST_DATA");
  REQUIRE(dir != nullptr);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(dir) / "malformed")) {
    if (entry.path().extension() != ".kir") continue;
    ++files;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    std::string text = buf.str();
    // First line: `// EXPECT: LINE:COL: substring of the message`.
    std::string first = text.substr(0, text.find('\n'));
    REQUIRE(first.rfind("// EXPECT: ", 0) == 0);
    std::string expect = first.substr(11);
    std::string name = entry.path().filename().string();
    INFO(name);
    try {
      parse_module(text, name);
      FAIL("parsed without error");
    } catch (const ParseError& e) {
      std::string pos = expect.substr(0, expect.find(": ") + 2);
      std::string what = expect.substr(pos.size());
      INFO(std::string(e.what()));
      CHECK(std::string(e.what()).rfind(name + ":" + pos + "error: ", 0) == 0);
      CHECK(std::string(e.what()).find(what) != std::string::npos);
    }
  }
  CHECK(files >= 25);
}

TEST_CASE("huge, binary and deeply bracketed inputs fail cleanly") {
  std::string brackets(10 << 20, '[');
  check_error(brackets, 1, 1, "expected 'func', found '['");
  check_error("func @f(%x: f32[" + brackets, 1, 17, "expected a dimension, found '['");
  check_error("func @f(%x: f32[]) -> f32[] {\n  %y = reduce_sum %x {axes = " + brackets, 2, 31, "expected an integer");
  std::string many_operands = "func @f(%x: f32[]) -> f32[] {\n  %y = add %x";
  for (int i = 0; i < 200000; ++i) many_operands += ", %x";
  check_error(many_operands + " : f32[]\n  return %y\n}", 2, 8, "add: expects 2 operand(s), got 200001");
  std::string zeros(1 << 20, '\0');
  check_error(zeros, 1, 1, "unexpected byte 0x00");
  std::string long_name = "func @" + std::string(1 << 20, 'n') + "(";
  check_error(long_name, 1, (1 << 20) + 8, "found end of input");
  std::string undefined = "func @f(%x: f32[]) -> f32[] {\n  return %" + std::string(1 << 20, 'u') + "\n}";
  ParseError e = parse_error(undefined);
  CHECK(e.col() == 10);
  CHECK(std::string(e.what()).size() < 200);  // the name is cut short in the message
  std::string comment = "// " + std::string(10 << 20, 'c');
  CHECK(parse_module(comment).functions.empty());
}

TEST_CASE("random mutations of valid text either parse or throw kiln::Error") {
  std::vector<std::string> seeds;
  Module all;
  for (int i = 0; i < kNumOps; ++i) {
    Function f = kiln::testing::sample_function(static_cast<Op>(i));
    seeds.push_back(print_function(f));
    all.functions.push_back(std::move(f));
  }
  const std::string module_text = print_module(all);
  seeds.push_back(
      "func @l(%x: f32[2]) -> (f32[2], f64[]) {\n  %0 = literal {value = -1.5e-7} : f64[]\n"
      "  %1 = exp %x : f32[2] loc(\"a\\\"b\\0a.cpp\":12)\n  return %1, %0\n}\n");
  const std::vector<std::string> tokens = {"%0",      "%x",
                                           "@f",      "[",
                                           "]",       "{",
                                           "}",       "(",
                                           ")",       ",",
                                           ":",       "=",
                                           "->",      "func",
                                           "return",  "loc",
                                           "literal", "pad",
                                           "concat",  "f16",
                                           "bool",    "99999999999999999999",
                                           "-",       "-0.0",
                                           "nan",     "-inf",
                                           "1e400",   "\"",
                                           "\\",      std::string(1, '\0'),
                                           "\xff",    "// ",
                                           "\n",      "axes",
                                           "value"};
  std::mt19937_64 rng(20240607);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % std::max<size_t>(n, 1)); };
  int parsed = 0, rejected = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    // The module of every sample is long, so it is a seed only now and then.
    std::string s = iter % 50 == 0 ? module_text : seeds[pick(seeds.size())];
    int edits = 1 + static_cast<int>(pick(4));
    for (int e = 0; e < edits; ++e) {
      size_t at = pick(s.size() + 1);
      switch (pick(6)) {
        case 0:
          if (!s.empty()) s[std::min(at, s.size() - 1)] = static_cast<char>(rng());
          break;
        case 1: s.erase(std::min(at, s.size()), pick(8) + 1); break;
        case 2: s.insert(at, 1, static_cast<char>(rng())); break;
        case 3: s.insert(at, tokens[pick(tokens.size())]); break;
        case 4: s.resize(at); break;
        case 5: {
          size_t from = pick(s.size());
          s.insert(at, s.substr(from, pick(40)));
          break;
        }
      }
    }
    try {
      Module m = parse_module(s, "fuzz.kir");
      // What parses prints, and what prints parses back to the same text.
      std::string printed = print_module(m);
      CHECK(print_module(parse_module(printed)) == printed);
      ++parsed;
    } catch (const ParseError& e) {
      CHECK(std::string(e.what()).rfind("fuzz.kir:", 0) == 0);
      ++rejected;
    } catch (const Error& e) {
      ++rejected;
    }
  }
  MESSAGE("mutants parsed: " << parsed << ", rejected: " << rejected);
  CHECK(parsed > 100);
  CHECK(rejected > 10000);
}
