// Symbolic sizes (symbolic.hpp): the probe values, reading a text with names for sizes, and
// writing one from instances by comparing their tokens.
#include "compiler/ir/symbolic.hpp"

#include <algorithm>

#include "compiler/ir/lexer.hpp"
#include "compiler/ir/parser.hpp"

namespace kiln {
namespace {

constexpr int64_t kProbeSizes[kNumProbes][kMaxSizes] = {
    {1009, 1013, 1019, 1021}, {1031, 1033, 1039, 1049}, {1051, 1061, 1063, 1069}};

std::vector<Token> tokens_of(std::string_view text) {
  Lexer lex(text, "<symbolic>");
  std::vector<Token> out;
  for (Token t = lex.next(); t.kind != Tok::End; t = lex.next()) out.push_back(std::move(t));
  return out;
}

// Line `line` (1-based) of `text`, for messages.
std::string_view line_of(std::string_view text, int line) {
  size_t start = 0;
  for (int i = 1; i < line && start != std::string_view::npos; ++i) {
    start = text.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  if (start == std::string_view::npos || start >= text.size()) return {};
  size_t end = text.find('\n', start);
  std::string_view l = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  return l.substr(std::min(l.find_first_not_of(' '), l.size()));
}

std::string values_str(const SizeValues& v) {
  std::string s;
  for (const auto& [name, value] : v) s += (s.empty() ? "" : ", ") + name + "=" + std::to_string(value);
  return s;
}

[[noreturn]] void not_uniform(std::string_view a, int line_a, const SizeValues& va, std::string_view b, int line_b,
                              const SizeValues& vb, std::string_view why) {
  throw ValueError("the function does not follow its sizes (" + std::string(why) + "): with " + values_str(va) +
                   " it reads `" + std::string(line_of(a, line_a)) + "`, with " + values_str(vb) + " `" +
                   std::string(line_of(b, line_b)) + "`");
}

}  // namespace

int64_t probe_size(int probe, size_t index) {
  KILN_CHECK(probe >= 0 && probe < kNumProbes && index < static_cast<size_t>(kMaxSizes))
      << "probe " << probe << " of size " << index;
  return kProbeSizes[probe][index];
}

SizeValues probe_values(int probe, const std::vector<std::string>& names) {
  SizeValues v;
  for (size_t i = 0; i < names.size(); ++i) v[names[i]] = probe_size(probe, i);
  return v;
}

std::vector<std::string> size_names(std::string_view text, std::string_view file) {
  std::vector<std::string> names;
  SizeLookup record = [&](std::string_view name) -> std::optional<int64_t> {
    auto it = std::find(names.begin(), names.end(), name);
    if (it != names.end()) return probe_size(0, static_cast<size_t>(it - names.begin()));
    if (names.size() == static_cast<size_t>(kMaxSizes))
      throw ValueError(std::string(file) + ": more than " + std::to_string(kMaxSizes) + " size names (" +
                       std::string(name) + " is one too many)");
    names.emplace_back(name);
    return probe_size(0, names.size() - 1);
  };
  try {
    parse_module(text, file, &record);
  } catch (const ParseError& e) {
    if (names.empty()) throw;
    throw ParseError(std::string(e.what()) + " (while checking with " + values_str(probe_values(0, names)) + ")",
                     e.file(), e.line(), e.col());
  }
  return names;
}

Module parse_with_sizes(std::string_view text, std::string_view file, const SizeValues& values) {
  SizeLookup lookup = [&](std::string_view name) -> std::optional<int64_t> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
  return parse_module(text, file, &lookup);
}

std::string symbolic_text(const std::function<Module(const SizeValues&)>& instance,
                          const std::vector<std::string>& names, const PrintOptions& options) {
  SizeValues va = probe_values(0, names), vb = probe_values(1, names), vc = probe_values(2, names);
  const std::string a = print_module(instance(va), options);
  if (names.empty()) return a;
  const std::string b = print_module(instance(vb), options);
  std::vector<Token> ta = tokens_of(a), tb = tokens_of(b);
  std::string out;
  size_t copied = 0;  // bytes of `a` already in `out`
  bool in_dims = false;
  for (size_t i = 0; i < std::min(ta.size(), tb.size()); ++i) {
    const Token &x = ta[i], &y = tb[i];
    if (x.kind == Tok::LBracket && i > 0 && ta[i - 1].kind == Tok::Word && dtype_from_name(ta[i - 1].text))
      in_dims = true;
    if (x.kind == Tok::RBracket) in_dims = false;
    if (x.kind == y.kind && x.text == y.text) continue;
    if (x.kind != Tok::Int || y.kind != Tok::Int || !in_dims) not_uniform(a, x.line, va, b, y.line, vb, "not a dim");
    size_t s = 0;
    while (s < names.size() && !(x.text == std::to_string(va[names[s]]) && y.text == std::to_string(vb[names[s]]))) ++s;
    if (s == names.size()) not_uniform(a, x.line, va, b, y.line, vb, "a dim that is not one of the sizes");
    const size_t at = static_cast<size_t>(x.text.data() - a.data());
    out.append(a, copied, at - copied);
    out += names[s];
    copied = at + x.text.size();
  }
  if (ta.size() != tb.size()) {
    const Token& x = ta[std::min(ta.size(), tb.size()) - 1];
    not_uniform(a, x.line, va, b, tb[std::min(ta.size(), tb.size()) - 1].line, vb, "a different graph");
  }
  out.append(a, copied);
  // The text must read back, at other sizes, as the instance at those sizes.
  const std::string c = print_module(instance(vc), options);
  const std::string back = print_module(parse_with_sizes(out, "<symbolic>", vc), options);
  if (back != c) {
    int line = 1;
    for (size_t i = 0; i < std::min(back.size(), c.size()) && back[i] == c[i]; ++i) line += c[i] == '\n';
    not_uniform(c, line, vc, back, line, vc, "the instance differs from the symbolic text read at the same sizes");
  }
  return out;
}

}  // namespace kiln
