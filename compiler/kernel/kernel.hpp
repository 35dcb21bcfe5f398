// The kernel IR: one scheduled kernel at the scalar level, what a backend compiles.
//
// A kernel runs over an outer range; for each outer index it runs its phases in order, each
// over its own inner range. Outer and inner indices are flat; their extents are products of
// run-time dims (`dims` at launch), never baked in, so the same compiled code serves every
// size:
//
//   for o in [0, outer):                       (split into chunks over threads)
//     phase 0: for r in [0, inner0): acc0 = reduce(acc0, f0(o, r)) ; ... or stores
//     phase 1: for r in [0, inner1): ... may read acc0 ...
//     ...
//
// A phase is either a Reduce phase (updates accumulators, one per Reduction; their final
// values are readable by later phases through Inst::Kind::Acc) or a Store phase (writes
// values to output buffers). A Reduce phase may store too: values computed at each inner
// index alongside the reduction (a value and its gradient in one pass over the data). A phase body is a flat SSA list of scalar instructions; values
// are numbered by their position in that list. Index arithmetic is ordinary i64 instructions.
//
// Kinds of kernels:
// - Elementwise: one Store phase and no reductions. Launch chunks split the flat range
//   [0, outer * inner) anywhere (inner: the phase's inner extent) (the backend iterates row segments: for a chunk [b, e), it
//   computes o = b / inner, r = b % inner once and walks r up to inner before moving o on).
// - Rows: phases over the full inner range per outer index; chunks split `outer` only.
//   Reductions and softmax-like row programs are Rows kernels.
// - Serial: like Rows, but each outer index runs its phases on one thread, every inner loop
//   in order; outer indices are independent, so chunks split `outer` as for Rows. A Serial
//   kernel may load from an output buffer what an earlier store of the same outer index (in
//   this or an earlier phase) wrote. scatter_add is one: an outer index per lane of the
//   coordinates off its axis, each adding its updates in order (its floating-point result
//   depends on the order of the additions).
//
// Semantics of every elementwise op are those of the graph IR (compiler/ir/op.hpp; the
// reference interpreter is the definition): f16/bf16 values are held as f32 in registers and
// rounded to the 16-bit format after every op (so each op rounds once, as in the
// interpreter); loads of f16/bf16 widen exactly; stores narrow (exact, since values are
// already rounded).
//
// Reductions accumulate in a wider type and a fixed order: f16/bf16/f32 sums and products in
// f64, f64 in f64, integers in their own wrapping arithmetic; the backend may keep several
// partial accumulators (e.g. one per vector lane) but must combine them in an order that
// depends only on the inner extent, never on threads or timing, so that results are the same
// from run to run and for every KILN_NUM_THREADS.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/node.hpp"

namespace kiln::kernel {

// One scalar instruction. `type` is the dtype of its result (I64 for index arithmetic).
struct Inst {
  enum class Kind : uint8_t {
    Op,          // graph op `op` (an elementwise op of ops.def) on `args` (same rules/semantics)
    OuterIndex,  // the flat outer index o (i64)
    InnerIndex,  // the flat inner index r (i64); only inside phases with an inner loop
    Dim,         // run-time dim number `imm` (i64)
    Param,       // run-time scalar parameter number `imm`, of dtype `type`
    Const,       // the constant `value` of dtype `type` (index constants, baked literals)
    Load,        // element args[0] (i64 index) of buffer number `imm`, of dtype `type`
    Acc,         // the final value of accumulator `imm` of an earlier phase
    IDiv,        // args[0] / args[1], i64, both >= 0 and args[1] > 0 (truncating)
    IMod,        // args[0] % args[1], i64, both >= 0 and args[1] > 0
  };
  Kind kind = Kind::Op;
  Op op = Op::Add;  // for Kind::Op
  DType type = DType::I64;
  std::vector<int32_t> args;
  int64_t imm = 0;
  Scalar value;  // for Kind::Const
  bool operator==(const Inst&) const = default;
};

// A reduction in a Reduce phase: accumulator `acc` = reduce_op over the inner loop of
// value `value`. reduce_op is one of ReduceSum, ReduceProd, ReduceMax, ReduceMin, ArgMax,
// ArgMin, ReduceAny, ReduceAll. ArgMax/ArgMin accumulate the inner index r of the first
// extreme value (NaN counts as extreme, first NaN wins) and their accumulator is i64.
// `type` is the accumulator's dtype as read by Acc (the reduced value's dtype, or i64 for
// argmax/argmin).
struct Reduction {
  Op reduce_op = Op::ReduceSum;
  int32_t value = 0;
  int32_t acc = 0;
  DType type = DType::F32;
  bool operator==(const Reduction&) const = default;
};

// A store in a phase: buffer[index] = value (value's dtype is the buffer's dtype).
struct Store {
  int32_t buffer = 0;
  int32_t index = 0;
  int32_t value = 0;
  bool operator==(const Store&) const = default;
};

struct Phase {
  enum class Kind : uint8_t { Reduce, Store };
  Kind kind = Kind::Store;
  // Inner extent = product of these dims (empty: 1, the body runs once per outer index).
  std::vector<int32_t> inner;
  std::vector<Inst> body;
  std::vector<Reduction> reductions;  // Reduce phases
  std::vector<Store> stores;          // at every point of the phase (either kind)
  bool operator==(const Phase&) const = default;
};

enum class KernelKind : uint8_t { Elementwise, Rows, Serial };

struct BufferParam {
  DType dtype = DType::F32;
  bool output = false;
  bool operator==(const BufferParam&) const = default;
};

struct Kernel {
  KernelKind kind = KernelKind::Elementwise;
  std::vector<BufferParam> buffers;  // launch buffer pointers, in this order
  int32_t num_dims = 0;              // launch dims, i64 each
  std::vector<DType> params;         // launch scalar parameters
  std::vector<int32_t> outer;        // outer extent = product of these dims (empty: 1)
  int32_t num_accs = 0;
  std::vector<Phase> phases;
  bool operator==(const Kernel&) const = default;
};

// Checks the structural invariants (argument numbering, types of operands, buffer and dim
// numbers in range, Acc only after its phase, ...); a failure is a kiln bug (KILN_CHECK).
void check_kernel(const Kernel& k);

// Deterministic text form (for dumps and tests).
std::string print_kernel(const Kernel& k, const std::string& name = "kernel");

// Hash of the canonical form: equal kernels have equal hashes; dims, scalar parameter values
// and buffer addresses are not part of it.
uint64_t kernel_hash(const Kernel& k);
// "k" + 16 hex digits of kernel_hash: the symbol name of the compiled kernel.
std::string kernel_symbol(const Kernel& k);

// The launch ABI of a compiled kernel (C calling convention):
//   void fn(void* const* buffers, const int64_t* dims, const uint64_t* params,
//           int64_t begin, int64_t end);
// `params[i]` holds the bits of scalar parameter i in its low bytes (f32 as its 32-bit
// pattern, f64 as 64 bits, integers zero/sign-extended, bool 0/1, f16/bf16 as 16 bits).
// [begin, end) is the chunk: of the flat outer*inner range for Elementwise kernels (inner:
// the extent of the one phase), of the
// outer range for Rows kernels, and the whole outer range for Serial kernels.
using KernelFn = void (*)(void* const* buffers, const int64_t* dims, const uint64_t* params, int64_t begin,
                          int64_t end);

}  // namespace kiln::kernel
