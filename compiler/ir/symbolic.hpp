// Symbolic sizes: one function text standing for a family of graphs, one per value of its
// named sizes (`func @f(%x: f32[n,3]) -> f32[n]`).
//
// The graph IR itself has only concrete shapes. A symbolic text is read by binding every
// size name to a value (parse_module with a SizeLookup), and it is written by printing two
// instances of the family at different sizes and naming the dims that differ: a dim that is
// probe value p_i in the first and q_i in the second becomes the name of size i. Anything
// else that changes with the sizes (an attribute, a dim 3*n, a different graph) is an error,
// and the result is checked against a third instance, so a text that comes out is one the
// family really follows. Limits: at most kMaxSizes names; a dim is a name or an integer,
// never an expression (reshaping [n,3] to [3*n] cannot be symbolic).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/function.hpp"
#include "compiler/ir/printer.hpp"

namespace kiln {

inline constexpr int kMaxSizes = 4;
inline constexpr int kNumProbes = 3;

using SizeValues = std::map<std::string, int64_t, std::less<>>;

// The value size number `index` takes in probe `probe` (0 <= probe < kNumProbes): distinct
// primes near 1000, so that a size rarely equals a fixed dim and products of sizes factor.
int64_t probe_size(int probe, size_t index);
// Every name of `names` bound to its value in probe `probe`.
SizeValues probe_values(int probe, const std::vector<std::string>& names);

// The size names of `text` in order of first use; parses it with probe 0's values (a
// ParseError there says so). Throws ValueError for more than kMaxSizes names.
std::vector<std::string> size_names(std::string_view text, std::string_view file);

// Parses `text` with its size names bound to `values`.
Module parse_with_sizes(std::string_view text, std::string_view file, const SizeValues& values);

// The symbolic text of the family `instance` (a module for given size values) over `names`,
// checked against probe 2. Throws ValueError naming the line that does not follow the sizes.
std::string symbolic_text(const std::function<Module(const SizeValues&)>& instance,
                          const std::vector<std::string>& names, const PrintOptions& options = {});

}  // namespace kiln
