// The parser of the text form (text_format.md): one method per production over the pull
// lexer, with one token of lookahead.
//
// The grammar has no nesting beyond a list of integers, so every repetition is a loop and no
// method calls itself: the call depth is fixed whatever the input. Arguments become params (make_param) and each
// statement becomes a node through make_node, which checks its type and hash-conses it: a
// duplicated statement yields the node built the first time. Attribute lists and integers
// are read as the tokens come; the `value` attribute waits until the result type is known,
// since its dtype decides how it reads. Any kiln::Error from building a node is rethrown as a
// ParseError at the statement's op, so every failure carries `file:line:col: error:`.
#include "compiler/ir/parser.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "compiler/ir/element.hpp"
#include "compiler/ir/lexer.hpp"
#include "compiler/ir/text_syntax.hpp"

namespace kiln {
namespace {

class Parser {
 public:
  Parser(std::string_view text, std::string_view file, const SizeLookup* sizes)
      : lex_(text, file), sizes_(sizes) {
    advance();
  }

  bool at_end() const { return tok_.kind == Tok::End; }
  const Token& token() const { return tok_; }
  Function parse_function();
  [[noreturn]] void fail(const Token& at, std::string_view what) const { lex_.fail(at.line, at.col, what); }

 private:
  void advance() { tok_ = lex_.next(); }
  Token expect(Tok kind, std::string_view what);
  Token expect_word(std::string_view word);
  void parse_arguments(Function& f);
  std::vector<TensorType> parse_result_types();
  TensorType parse_type();
  void parse_statement();
  std::vector<NodeRef> parse_operands();
  std::optional<Token> parse_attrs(Op op, Attrs& attrs);
  Device parse_device_value();
  void parse_attr_value(const Token& name, AttrBits bit, Attrs& attrs, std::optional<Token>& value);
  std::vector<int64_t> parse_int_list();
  SourceLoc parse_loc();
  void parse_return(Function& f, const std::vector<TensorType>& result_types);
  int64_t parse_int(const Token& t);
  uint64_t parse_uint64(const Token& t);
  Scalar parse_scalar(const Token& t, DType dtype);
  Scalar parse_float(const Token& t, DType dtype);
  const NodeRef& lookup(const Token& ref);

  int64_t parse_dim();

  Lexer lex_;
  const SizeLookup* sizes_;  // binds symbolic dims; null: dims are integers only
  Token tok_;
  std::unordered_set<std::string> function_names_;
  std::unordered_map<std::string, NodeRef> values_;  // the current function's %names
};

Token Parser::expect(Tok kind, std::string_view what) {
  if (tok_.kind != kind) fail(tok_, "expected " + std::string(what) + ", found " + describe(tok_));
  Token t = std::move(tok_);
  advance();
  return t;
}

Token Parser::expect_word(std::string_view word) {
  if (!tok_.is_word(word)) fail(tok_, "expected '" + std::string(word) + "', found " + describe(tok_));
  return expect(Tok::Word, word);
}

Function Parser::parse_function() {
  expect_word("func");
  Token name = expect(Tok::At, "a function name '@name'");
  Function f;
  f.name = std::string(name.name());
  if (!function_names_.insert(f.name).second) fail(name, "function " + clip(name.text) + " is already defined");
  values_.clear();
  parse_arguments(f);
  expect(Tok::Arrow, "'->'");
  std::vector<TensorType> result_types = parse_result_types();
  expect(Tok::LBrace, "'{'");
  while (tok_.kind == Tok::Percent) parse_statement();
  if (tok_.kind == Tok::RBrace) fail(tok_, "missing 'return' at the end of function @" + clip(f.name));
  if (!tok_.is_word("return")) fail(tok_, "expected a statement '%name = ...' or 'return', found " + describe(tok_));
  parse_return(f, result_types);
  expect(Tok::RBrace, "'}' after the return");
  values_.clear();
  return f;
}

void Parser::parse_arguments(Function& f) {
  expect(Tok::LParen, "'('");
  if (tok_.kind == Tok::RParen) {
    advance();
    return;
  }
  while (true) {
    Token name = expect(Tok::Percent, "an argument '%name'");
    expect(Tok::Colon, "':'");
    TensorType type = parse_type();
    Device device = Device::cpu();
    if (tok_.kind == Tok::LBrace) {  // an argument's only attribute: its device
      advance();
      Token attr = expect(Tok::Word, "'device'");
      if (attr.text != "device") fail(attr, "an argument has no attribute " + describe(attr) + " (only 'device')");
      device = parse_device_value();
      expect(Tok::RBrace, "'}'");
    }
    std::string n(name.name());
    NodeRef param = make_param(type, n, nullptr, {}, device);
    if (!values_.emplace(n, param).second) fail(name, clip(name.text) + " is already defined");
    f.args.push_back({std::move(param), std::move(n)});
    if (tok_.kind == Tok::RParen) break;
    expect(Tok::Comma, "',' or ')'");
  }
  advance();
}

std::vector<TensorType> Parser::parse_result_types() {
  std::vector<TensorType> types;
  if (tok_.kind != Tok::LParen) {
    types.push_back(parse_type());
    return types;
  }
  advance();
  while (tok_.kind != Tok::RParen) {
    if (!types.empty()) expect(Tok::Comma, "',' or ')'");
    types.push_back(parse_type());
  }
  advance();
  return types;
}

TensorType Parser::parse_type() {
  Token dt = expect(Tok::Word, "a type like 'f32[2,3]'");
  std::optional<DType> dtype = dtype_from_name(dt.text);
  if (!dtype) fail(dt, "unknown dtype " + describe(dt));
  expect(Tok::LBracket, "'[' after the dtype");
  TensorType type{*dtype, {}};
  while (tok_.kind != Tok::RBracket) {
    if (!type.shape.empty()) expect(Tok::Comma, "',' or ']'");
    if (type.shape.size() == static_cast<size_t>(kMaxRank))
      fail(tok_, "rank is above the limit of " + std::to_string(kMaxRank));
    type.shape.push_back(parse_dim());
  }
  advance();
  try {
    checked_numel(type.shape, "type");
  } catch (const Error& e) {
    fail(dt, e.what());
  }
  return type;
}

const NodeRef& Parser::lookup(const Token& ref) {
  auto it = values_.find(std::string(ref.name()));
  if (it == values_.end()) fail(ref, "use of undefined value " + clip(ref.text));
  return it->second;
}

void Parser::parse_statement() {
  Token name = expect(Tok::Percent, "'%name'");
  if (values_.count(std::string(name.name()))) fail(name, clip(name.text) + " is already defined");
  expect(Tok::Equal, "'='");
  Token op_tok = expect(Tok::Word, "an op name");
  std::optional<Op> op = op_from_name(op_tok.text);
  if (!op) fail(op_tok, "unknown op " + describe(op_tok));
  if (*op == Op::Param) fail(op_tok, "'param' is not a statement: parameters are the function's arguments");
  std::vector<NodeRef> operands = parse_operands();
  Attrs attrs;
  std::optional<Token> value = parse_attrs(*op, attrs);
  expect(Tok::Colon, "':' and the result type");
  TensorType type = parse_type();
  SourceLoc loc = tok_.is_word("loc") ? parse_loc() : SourceLoc{};
  DType value_dtype = *op == Op::Pad && !operands.empty() ? operands[0]->dtype() : type.dtype;
  if (value)
    attrs.value = parse_scalar(*value, value_dtype);
  else if (op_info(*op).attrs & kAttrValue)
    attrs.value = scalar_to_dtype(Scalar::of_int(0), value_dtype);  // an omitted value is 0
  NodeRef node;
  try {
    node = make_node(*op, std::move(operands), std::move(attrs), &type, loc);
  } catch (const Error& e) {
    fail(op_tok, e.what());
  }
  values_.emplace(std::string(name.name()), std::move(node));
}

std::vector<NodeRef> Parser::parse_operands() {
  std::vector<NodeRef> operands;
  if (tok_.kind != Tok::Percent) return operands;
  while (true) {
    Token ref = expect(Tok::Percent, "an operand '%name'");
    operands.push_back(lookup(ref));
    if (tok_.kind != Tok::Comma) return operands;
    advance();
  }
}

// Reads `{name = value, ...}` into `attrs`, except `value`, whose token is returned to be
// read once the dtype is known.
std::optional<Token> Parser::parse_attrs(Op op, Attrs& attrs) {
  std::optional<Token> value;
  if (tok_.kind != Tok::LBrace) return value;
  advance();
  uint32_t seen = 0;
  bool any = false, device = false;
  while (tok_.kind != Tok::RBrace) {
    if (any) expect(Tok::Comma, "',' or '}'");
    any = true;
    Token name = expect(Tok::Word, "an attribute name");
    if (name.text == "device") {  // every op has one
      if (device) fail(name, "duplicate attribute " + describe(name));
      device = true;
      attrs.device = parse_device_value();
      continue;
    }
    std::optional<AttrBits> bit = attr_from_name(name.text);
    if (!bit) fail(name, "unknown attribute " + describe(name));
    if (!(op_info(op).attrs & *bit)) fail(name, std::string(op_name(op)) + " has no attribute " + describe(name));
    if (seen & *bit) fail(name, "duplicate attribute " + describe(name));
    seen |= *bit;
    expect(Tok::Equal, "'='");
    parse_attr_value(name, *bit, attrs, value);
  }
  advance();
  return value;
}

void Parser::parse_attr_value(const Token& name, AttrBits bit, Attrs& attrs, std::optional<Token>& value) {
  auto single = [&](Tok kind, std::string_view what) {
    return expect(kind, std::string(what) + " for " + describe(name));
  };
  switch (bit) {
    case kAttrAxes: attrs.axes = parse_int_list(); return;
    case kAttrPerm: attrs.perm = parse_int_list(); return;
    case kAttrStart: attrs.start = parse_int_list(); return;
    case kAttrStep: attrs.step = parse_int_list(); return;
    case kAttrLow: attrs.low = parse_int_list(); return;
    case kAttrHigh: attrs.high = parse_int_list(); return;
    case kAttrAxis: attrs.axis = parse_int(single(Tok::Int, "an integer")); return;
    case kAttrSeed: attrs.seed = parse_uint64(single(Tok::Int, "an integer")); return;
    case kAttrStream: attrs.stream = parse_uint64(single(Tok::Int, "an integer")); return;
    case kAttrValue:
      if (tok_.kind != Tok::Int && tok_.kind != Tok::Float && tok_.kind != Tok::Word)
        fail(tok_, "expected a number, 'true' or 'false' for 'value', found " + describe(tok_));
      value = std::move(tok_);
      advance();
      return;
    case kAttrNone: break;
  }
  KILN_CHECK(false) << "attribute " << name.text << " has no bit";
}

// `= "cpu"`, `= "cuda"` or `= "cuda:N"` after the word `device`.
Device Parser::parse_device_value() {
  expect(Tok::Equal, "'='");
  Token text = expect(Tok::String, "a quoted device (\"cpu\" or \"cuda:N\") for 'device'");
  std::optional<Device> d = device_from_string(text.str);
  if (!d) fail(text, "unknown device " + clip(text.text) + " (expected \"cpu\", \"cuda\" or \"cuda:N\")");
  return *d;
}

std::vector<int64_t> Parser::parse_int_list() {
  expect(Tok::LBracket, "'[' starting a list of integers");
  std::vector<int64_t> v;
  while (tok_.kind != Tok::RBracket) {
    if (!v.empty()) expect(Tok::Comma, "',' or ']'");
    v.push_back(parse_int(expect(Tok::Int, "an integer")));
  }
  advance();
  return v;
}

SourceLoc Parser::parse_loc() {
  advance();  // `loc`
  expect(Tok::LParen, "'(' after 'loc'");
  Token file = expect(Tok::String, "a quoted file name");
  expect(Tok::Colon, "':'");
  Token line = expect(Tok::Int, "a line number");
  int64_t n = parse_int(line);
  if (n < 0 || n > std::numeric_limits<uint32_t>::max())
    fail(line, "line number " + clip(line.text) + " is out of range");
  expect(Tok::RParen, "')'");
  return SourceLoc{intern_string(file.str), static_cast<uint32_t>(n)};
}

void Parser::parse_return(Function& f, const std::vector<TensorType>& result_types) {
  Token ret = expect_word("return");
  std::vector<Token> refs;
  do {
    if (!refs.empty()) advance();  // ','
    refs.push_back(expect(Tok::Percent, "a value '%name' to return"));
    f.results.push_back(lookup(refs.back()));
  } while (tok_.kind == Tok::Comma);
  if (refs.size() != result_types.size())
    fail(ret, "return gives " + std::to_string(refs.size()) + " value(s) but the signature of @" + clip(f.name) +
                  " declares " + std::to_string(result_types.size()));
  for (size_t i = 0; i < refs.size(); ++i)
    if (!(f.results[i]->type() == result_types[i]))
      fail(refs[i], clip(refs[i].text) + " has type " + type_str(f.results[i]->type()) +
                        " but the signature declares " + type_str(result_types[i]));
}

// An integer dim, or a size name bound by sizes_.
int64_t Parser::parse_dim() {
  if (tok_.kind == Tok::Word) {
    Token d = expect(Tok::Word, "a dimension");
    if (!sizes_) fail(d, "expected a dimension, found the size name " + describe(d) + " (symbolic sizes are read by kilnc)");
    std::optional<int64_t> v = (*sizes_)(d.text);
    if (!v) fail(d, "size " + describe(d) + " has no value");
    if (*v < 0) fail(d, "size " + describe(d) + " is negative (" + std::to_string(*v) + ")");
    return *v;
  }
  Token d = expect(Tok::Int, "a dimension");
  int64_t dim = parse_int(d);
  if (dim < 0) fail(d, "negative dimension " + std::to_string(dim));
  return dim;
}

int64_t Parser::parse_int(const Token& t) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
  if (ec == std::errc::result_out_of_range) fail(t, "integer " + describe(t) + " is out of the range of i64");
  if (ec != std::errc() || ptr != t.text.data() + t.text.size()) fail(t, "expected an integer, found " + describe(t));
  return v;
}

uint64_t Parser::parse_uint64(const Token& t) {
  uint64_t v = 0;
  if (!t.text.empty() && t.text[0] == '-') fail(t, "expected a non-negative integer, found " + describe(t));
  auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
  if (ec == std::errc::result_out_of_range) fail(t, "integer " + describe(t) + " is out of the range of u64");
  if (ec != std::errc() || ptr != t.text.data() + t.text.size()) fail(t, "expected an integer, found " + describe(t));
  return v;
}

// The value of a literal or pad in `dtype`: true/false for bool, an integer that fits for
// integer dtypes, a float or integer (rounded to nearest) for float dtypes.
Scalar Parser::parse_scalar(const Token& t, DType dtype) {
  std::string in = " for " + std::string(dtype_name(dtype)) + ", found " + describe(t);
  switch (dtype_class(dtype)) {
    case DTypeClass::Bool:
      if (t.is_word("true") || t.is_word("false")) return Scalar::of_int(t.is_word("true"));
      fail(t, "expected 'true' or 'false'" + in);
    case DTypeClass::Signed:
    case DTypeClass::Unsigned: {
      if (t.kind != Tok::Int) fail(t, "expected an integer" + in);
      int64_t v = parse_int(t);
      if (v != wrap_int(v, dtype) && dtype != DType::I64)
        fail(t, "integer " + describe(t) + " does not fit in " + std::string(dtype_name(dtype)));
      return Scalar::of_int(v);
    }
    case DTypeClass::Float: return parse_float(t, dtype);
  }
  KILN_CHECK(false) << "dtype " << dtype_name(dtype) << " has no class";
}

Scalar Parser::parse_float(const Token& t, DType dtype) {
  std::string_view s = t.text;
  bool neg = !s.empty() && s[0] == '-';
  std::string_view word = neg ? s.substr(1) : s;
  double sign = neg ? -1.0 : 1.0;
  if (word == "inf") return scalar_to_dtype(Scalar::of_float(sign * std::numeric_limits<double>::infinity()), dtype);
  if (word == "nan") return scalar_to_dtype(Scalar::of_float(std::copysign(std::nan(""), sign)), dtype);
  if (t.kind != Tok::Int && t.kind != Tok::Float)
    fail(t, "expected a number for " + std::string(dtype_name(dtype)) + ", found " + describe(t));
  double v = 0;
  std::from_chars_result r;
  if (dtype == DType::F64) {
    r = std::from_chars(s.data(), s.data() + s.size(), v);
  } else {
    float f = 0;
    r = std::from_chars(s.data(), s.data() + s.size(), f);
    v = f;
  }
  std::string name(dtype_name(dtype));
  if (r.ec == std::errc::result_out_of_range) fail(t, describe(t) + " is out of the range of " + name);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size())
    fail(t, "expected a number for " + name + ", found " + describe(t));
  Scalar out = scalar_to_dtype(Scalar::of_float(v), dtype);
  if (std::isinf(out.f)) fail(t, describe(t) + " is out of the range of " + name);
  return out;
}

}  // namespace

Module parse_module(std::string_view text, std::string_view file, const SizeLookup* sizes) {
  Parser p(text, file, sizes);
  Module m;
  while (!p.at_end()) m.functions.push_back(p.parse_function());
  return m;
}

Function parse_function(std::string_view text, std::string_view file, const SizeLookup* sizes) {
  Parser p(text, file, sizes);
  if (p.at_end()) p.fail(p.token(), "expected a function, found end of input");
  Function f = p.parse_function();
  if (!p.at_end())
    p.fail(p.token(), "expected end of input after function @" + clip(f.name) + ", found " + describe(p.token()));
  return f;
}

}  // namespace kiln
