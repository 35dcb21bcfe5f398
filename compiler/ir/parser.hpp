// Parser of the text form (see printer.hpp and text_format.md).
//
// Never crashes, hangs or recurses: the grammar is flat and parsed iteratively. Every error
// is a ParseError whose message is `file:line:col: error: what`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "compiler/ir/function.hpp"

namespace kiln {

// Binds a symbolic dim: a type may write a size name where a dim goes (`f32[n,3]`, see
// symbolic.hpp); the parser asks this for its value (none: an error at the name). Without a
// lookup, a name in a type is an error.
using SizeLookup = std::function<std::optional<int64_t>(std::string_view name)>;

// Parses every function of `text`. `file` is the name used in error messages.
Module parse_module(std::string_view text, std::string_view file = "<input>", const SizeLookup* sizes = nullptr);
// Parses text holding exactly one function.
Function parse_function(std::string_view text, std::string_view file = "<input>", const SizeLookup* sizes = nullptr);

}  // namespace kiln
