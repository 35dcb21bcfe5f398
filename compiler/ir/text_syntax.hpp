// Vocabulary shared by the printer, the parser and the verifier of the text form
// (text_format.md): the attribute names in canonical order and what a NAME may contain.
// Keeping them here means the printer can never write what the parser does not read.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "compiler/ir/op.hpp"

namespace kiln {

struct TextAttr {
  std::string_view name;
  AttrBits bit;
};

// Every attribute, in the order the printer writes them (the grammar's ATTR list).
inline constexpr std::array<TextAttr, 10> kTextAttrs = {{
    {"axes", kAttrAxes},
    {"perm", kAttrPerm},
    {"start", kAttrStart},
    {"step", kAttrStep},
    {"low", kAttrLow},
    {"high", kAttrHigh},
    {"axis", kAttrAxis},
    {"value", kAttrValue},
    {"seed", kAttrSeed},
    {"stream", kAttrStream},
}};

inline std::optional<AttrBits> attr_from_name(std::string_view name) {
  for (const TextAttr& a : kTextAttrs)
    if (a.name == name) return a.bit;
  return std::nullopt;
}

inline std::string_view attr_name(AttrBits bit) {
  for (const TextAttr& a : kTextAttrs)
    if (a.bit == bit) return a.name;
  return "?";
}

// NAME characters: letters, digits, `_` and `.`.
inline bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

// A valid NAME: non-empty, only NAME characters.
inline bool is_valid_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_name_char(c)) return false;
  return true;
}

}  // namespace kiln
