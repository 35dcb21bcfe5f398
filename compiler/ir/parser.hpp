// Parser of the text form (see printer.hpp and text_format.md).
//
// Never crashes, hangs or recurses: the grammar is flat and parsed iteratively. Every error
// is a ParseError whose message is `file:line:col: error: what`.
#pragma once

#include <string_view>

#include "compiler/ir/function.hpp"

namespace kiln {

// Parses every function of `text`. `file` is the name used in error messages.
Module parse_module(std::string_view text, std::string_view file = "<input>");
// Parses text holding exactly one function.
Function parse_function(std::string_view text, std::string_view file = "<input>");

}  // namespace kiln
