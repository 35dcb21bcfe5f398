// The lexer of the text form (text_format.md): turns bytes into tokens, one at a time.
//
// It is a pull lexer: the parser asks for the next token, so memory stays proportional to
// one token however long the input (a 10 MB line is fine). Every byte is either part of a
// token, whitespace, a `//` comment, or an error: a ParseError `file:line:col: error: what`
// with the 1-based line and byte column of the offending character.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/ir/error.hpp"

namespace kiln {

enum class Tok : uint8_t {
  End,      // end of input
  Word,     // letters, digits, `_`, `.` starting with a letter or `_`: ops, dtypes, keywords
  Percent,  // %NAME
  At,       // @NAME
  Int,      // -?[0-9]+
  Float,    // -?[0-9]+(.[0-9]*)?(e[+-]?[0-9]+)? with a `.` or exponent; also -inf, -nan
  String,   // "..." (the decoded bytes are in Token::str)
  LParen,
  RParen,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  Comma,
  Colon,
  Equal,
  Arrow,  // ->
};

struct Token {
  Tok kind = Tok::End;
  std::string_view text;  // the raw bytes of the token, sigils and quotes included
  std::string str;        // String tokens: the decoded value
  int line = 1;
  int col = 1;

  // The NAME of a Percent or At token.
  std::string_view name() const { return text.substr(1); }
  bool is_word(std::string_view w) const { return kind == Tok::Word && text == w; }
};

// How an error message shows a token: `'%x'`, `end of input`, long text cut short.
std::string describe(const Token& t);
// `s`, cut short with `...` when longer than 32 bytes (for names and numbers in messages).
std::string clip(std::string_view s);

class Lexer {
 public:
  Lexer(std::string_view src, std::string_view file) : src_(src), file_(file) {}

  Token next();
  const std::string& file() const { return file_; }
  [[noreturn]] void fail(int line, int col, std::string_view what) const;

 private:
  bool at_end(size_t k = 0) const { return pos_ + k >= src_.size(); }
  char peek(size_t k = 0) const { return at_end(k) ? '\0' : src_[pos_ + k]; }
  int col() const { return static_cast<int>(pos_ - line_start_ + 1); }
  void skip_space_and_comments();
  void lex_number(Token& t);
  void lex_string(Token& t);
  void lex_name_after_sigil(Token& t, Tok kind);

  std::string_view src_;
  std::string file_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  int line_ = 1;
};

}  // namespace kiln
