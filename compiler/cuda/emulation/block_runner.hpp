// The block runner of the CUDA host emulation (a test vehicle, see kiln_cuda_emulation.h):
// runs a grid of an emulated kernel on the calling host thread, block after block, each CUDA
// thread of a block as a fiber.
//
// Fibers are cooperative: a thread runs until it waits (at __syncthreads() or a warp
// exchange) or ends; then the next thread of the block runs, round robin. A barrier counts
// the block's live threads (a thread that has ended counts as arrived, as on the hardware); a
// warp exchange the warp's live lanes. A block in which every live thread waits and none can
// go on (divergent barriers) is a bug in generated code: KILN_CHECK aborts with a message.
// Several host threads may run grids at once; each has its own fibers and block state.
#pragma once

#include <cstdint>

namespace kiln::cuda {

// The emulated kernel's entry: <symbol>_emu(words), see KILN_EMULATION_ENTRY.
using EmulatedEntry = void (*)(const unsigned long long* words);

struct Dim3 {
  unsigned int x = 1, y = 1, z = 1;
};

// Runs `entry` over the grid (every block of `grid`, `block` threads each).
void run_emulated_grid(EmulatedEntry entry, const unsigned long long* words, Dim3 grid, Dim3 block);

// The interface a compiled unit is bound to (its kiln_emu_bind is called with it on load).
const void* emulation_api();

}  // namespace kiln::cuda
