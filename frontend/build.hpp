// Internal helpers of the frontend for building nodes from user calls: source locations,
// user-facing errors, literals, axis normalisation and broadcasting. Not part of the API.
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "frontend/ops.hpp"

namespace kiln::frontend {

// The user's source line as a node location (the file's base name).
SourceLoc to_loc(SourceLocation loc);

// Throws E with `file:line: what: message`.
template <class E, class... Args>
[[noreturn]] void fail(SourceLocation loc, std::string_view what, fmt::format_string<Args...> f, Args&&... args) {
  SourceLoc l = to_loc(loc);
  throw E(fmt::format("{}:{}: {}: {}", l.file, l.line, what, fmt::format(f, std::forward<Args>(args)...)));
}

// The node of `a`; throws ValueError naming `what` when `a` is an empty handle.
const NodeRef& node_of(const Array& a, std::string_view what, SourceLocation loc);

// Whether `n` is a scalar in any shape: a literal or constant, maybe cast, reshaped or
// broadcast (how C++ numbers enter binary ops). Such values go into code or launch words and
// so go with arrays of any device.
bool device_neutral(const Node* n);

// Builds op(operands) with the user's location; on the device of the operands that are not
// device-neutral (one for all: DeviceError otherwise), else the default device.
Array apply(Op op, std::vector<NodeRef> operands, SourceLocation loc, Attrs attrs = {},
            const TensorType* given = nullptr);

// A 0-d literal of dtype t holding v (converted with the cast rules).
Array literal(const Scalar& v, DType t, SourceLocation loc);

// `x` converted to dtype t (no node when it already has it).
Array to_dtype(const Array& x, DType t, SourceLocation loc);
// `x` broadcast to `shape` (no node when it already has it); throws ShapeError naming `what`.
Array broadcast_array(const Array& x, const Shape& shape, std::string_view what, SourceLocation loc);

// An Operand as an array of dtype t (numbers become literals).
Array operand_as(const Operand& o, DType t, SourceLocation loc);

// Axis in [-rank, rank) to [0, rank); throws AxisError naming `what`.
int64_t normalize_axis(int64_t axis, int rank, std::string_view what, SourceLocation loc);
// Sorted unique axes of `axes` for an array of rank `rank`.
std::vector<int64_t> normalize_axes(const Axes& axes, int rank, std::string_view what, SourceLocation loc);

}  // namespace kiln::frontend
