// The reference interpreter: evaluates any Function on the host, one element at a time,
// written to be obviously correct rather than fast. It defines the semantics of every op
// (see op.hpp) and is the oracle that every backend is tested against.
#pragma once

#include <span>
#include <vector>

#include "compiler/ir/function.hpp"

namespace kiln {

// Evaluates `f`. `inputs` holds one buffer per argument of f (in order); a null entry (or an
// empty span) means the argument node's own value. Throws RuntimeError when an argument has
// no value, or a buffer is smaller than its argument's type. Returns one new buffer per
// result (a result that is an argument returns that argument's buffer).
std::vector<BufferPtr> interpret(const Function& f, std::span<const BufferPtr> inputs = {});

}  // namespace kiln
