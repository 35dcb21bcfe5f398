// The lexer of the text form: a hand-written scanner over a string_view with no lookahead
// beyond two bytes. Positions are counted in bytes; a tab is one column.
#include "compiler/ir/lexer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "compiler/ir/text_syntax.hpp"

namespace kiln {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string byte_str(char ch) {
  auto c = static_cast<unsigned char>(ch);
  if (c >= 0x20 && c < 0x7f) return std::string("'") + ch + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[c >> 4] + kHex[c & 15];
}

}  // namespace

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::End: return "end of input";
    case Tok::String: return "a string";
    default: break;
  }
  return fmt::format("'{}'", clip(t.text));
}

std::string clip(std::string_view s) {
  constexpr size_t kMax = 32;
  return s.size() > kMax ? fmt::format("{}...", s.substr(0, kMax)) : std::string(s);
}

void Lexer::fail(int line, int col, std::string_view what) const {
  throw ParseError(file_ + ":" + std::to_string(line) + ":" + std::to_string(col) + ": error: " + std::string(what),
                   file_, line, col);
}

void Lexer::skip_space_and_comments() {
  while (!at_end()) {
    char c = peek();
    if (c == '\n') {
      ++pos_;
      ++line_;
      line_start_ = pos_;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++pos_;
    } else if (c == '/' && peek(1) == '/') {
      while (!at_end() && peek() != '\n') ++pos_;
    } else {
      return;
    }
  }
}

Token Lexer::next() {
  skip_space_and_comments();
  Token t;
  t.line = line_;
  t.col = col();
  size_t start = pos_;
  if (at_end()) return t;
  char c = peek();
  auto single = [&](Tok kind) {
    ++pos_;
    t.kind = kind;
  };
  switch (c) {
    case '(': single(Tok::LParen); break;
    case ')': single(Tok::RParen); break;
    case '{': single(Tok::LBrace); break;
    case '}': single(Tok::RBrace); break;
    case '[': single(Tok::LBracket); break;
    case ']': single(Tok::RBracket); break;
    case ',': single(Tok::Comma); break;
    case ':': single(Tok::Colon); break;
    case '=': single(Tok::Equal); break;
    case '%': lex_name_after_sigil(t, Tok::Percent); break;
    case '@': lex_name_after_sigil(t, Tok::At); break;
    case '"': lex_string(t); break;
    case '-':
      if (peek(1) == '>') {
        pos_ += 2;
        t.kind = Tok::Arrow;
        break;
      }
      lex_number(t);
      break;
    default:
      if (is_digit(c)) {
        lex_number(t);
      } else if (is_word_start(c)) {
        while (!at_end() && is_name_char(peek())) ++pos_;
        t.kind = Tok::Word;
      } else {
        fail(t.line, t.col, "unexpected " + byte_str(c));
      }
  }
  t.text = src_.substr(start, pos_ - start);
  return t;
}

void Lexer::lex_name_after_sigil(Token& t, Tok kind) {
  ++pos_;
  if (at_end() || !is_name_char(peek()))
    fail(t.line, t.col, std::string("expected a name after '") + (kind == Tok::Percent ? '%' : '@') + "'");
  while (!at_end() && is_name_char(peek())) ++pos_;
  t.kind = kind;
}

// -inf, -nan, or digits with an optional fraction and exponent. A number runs into no name
// character: `12ab` and `1.2.3` are errors, not two tokens.
void Lexer::lex_number(Token& t) {
  size_t start = pos_;
  if (peek() == '-') ++pos_;
  if (is_word_start(peek())) {
    while (!at_end() && is_name_char(peek())) ++pos_;
    std::string_view w = src_.substr(start + 1, pos_ - start - 1);
    if (w != "inf" && w != "nan") fail(t.line, t.col, "unexpected '-'");
    t.kind = Tok::Float;
    return;
  }
  if (!is_digit(peek())) fail(t.line, t.col, "unexpected '-'");
  t.kind = Tok::Int;
  while (is_digit(peek())) ++pos_;
  if (peek() == '.') {
    t.kind = Tok::Float;
    ++pos_;
    while (is_digit(peek())) ++pos_;
  }
  if ((peek() == 'e' || peek() == 'E') &&
      (is_digit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && is_digit(peek(2))))) {
    t.kind = Tok::Float;
    pos_ += 2;
    while (is_digit(peek())) ++pos_;
  }
  if (!at_end() && is_name_char(peek()))
    fail(t.line, t.col,
         "malformed number '" + std::string(src_.substr(start, std::min<size_t>(pos_ - start + 1, 32))) + "'");
}

// A double-quoted string on one line; escapes are \" \\ and \xx (two hex digits).
void Lexer::lex_string(Token& t) {
  ++pos_;
  t.kind = Tok::String;
  while (true) {
    if (at_end() || peek() == '\n') fail(t.line, t.col, "unterminated string");
    char c = peek();
    if (c == '"') {
      ++pos_;
      return;
    }
    if (c != '\\') {
      t.str += c;
      ++pos_;
      continue;
    }
    int escape_col = col();
    char e = peek(1);
    if (e == '"' || e == '\\') {
      t.str += e;
      pos_ += 2;
      continue;
    }
    int hi = at_end(1) ? -1 : hex_value(e);
    int lo = at_end(2) ? -1 : hex_value(peek(2));
    if (hi < 0 || lo < 0) fail(t.line, escape_col, "bad escape in string: expected \\\", \\\\ or two hex digits");
    t.str += static_cast<char>(hi * 16 + lo);
    pos_ += 3;
  }
}

}  // namespace kiln
