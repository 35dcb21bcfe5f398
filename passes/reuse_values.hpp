// reuse_phase_values: a row kernel's later phase reads back a costly value an earlier phase
// computed, instead of computing it again.
//
// Softmax is the model: phase 1 sums exp(x - max) over the row, phase 2 stores
// exp(x - max) / sum, so every exp is computed twice. When a store phase S computes a costly
// value v (float math: exp, log, sin, pow, ...) that an earlier phase R with the same inner
// range computes from the same operands (the same instructions, found by structure), and S
// stores to an output buffer B of v's dtype at an index R can compute too, of the form
// f(outer, ...) + r (one element per inner index r), then R also
// stores v to B at that index and S loads it from there: B[i] is written again by S after it
// was read, at the same point, so the kernel's results are the same bits (v has B's dtype).
// The row is usually still in cache when S reads it back.
//
// Applied to Rows kernels only (a whole row per outer index, phases in order); never when a
// phase between R and S, or R itself, writes B, or when v is the value S stores (the
// scheduler computes such a value in R already).
#pragma once

#include "compiler/kernel/kernel.hpp"

namespace kiln {

// Rewrites `k` in place as above; returns how many values are now read back.
int reuse_phase_values(kernel::Kernel& k);

}  // namespace kiln
