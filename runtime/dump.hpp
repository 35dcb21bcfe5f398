// Dumps of every stage of an evaluation: the KILN_DUMP setting and writing a dump.
//
// kiln::dump() returns a dump's texts (DumpText below); with KILN_DUMP=<dir>, every
// evaluation writes them to <dir>/eval-NNNN/. Passes and scheduling run only when an
// evaluation misses the schedule cache, so a dumping process bypasses that cache: every
// evaluation plans again and dumps in full (kernels still come from the kernel cache).
// Writing never fails an evaluation: a directory that cannot be created or written gives
// one warning through the log (later failures there log at debug level). The texts are collected
// by StageDump (stage_dump.hpp).
#pragma once

#include <string>
#include <vector>

namespace kiln {

// Which stages a dump holds.
struct DumpOptions {
  bool graphs = true;     // NN-<pass>.kir
  bool kernels = true;    // schedule.txt and kernel-NN-k<hash>.kernel
  bool code = true;       // kernel-NN-k<hash>.<ext>, when the backend generates code
  bool dot = true;        // graph.dot
  bool locations = true;  // loc("file":line) annotations in the .kir texts
};

// One text of a dump; `name` is its file name in the evaluation's directory. A dump holds,
// in this order:
//   00-input.kir, 01-<pass>.kir, ...  the graph before the passes and after each pass, in the
//                                     text form (parses back with kiln-opt)
//   schedule.txt                      the launches in order: kernels by symbol, builtins (gemm)
//   kernel-NN-k<hash>.kernel          the kernel IR of launch NN (kernels only, not builtins)
//   kernel-NN-k<hash>.<ext>           the backend's code for it (.ll: optimised LLVM IR)
//   graph.dot                         Graphviz picture, launches as clusters (runtime/dot.hpp)
// The interp backend runs no passes and no kernels: its dumps hold 00-input.kir and graph.dot.
struct DumpText {
  std::string name;
  std::string text;
};

// Whether evaluations write dumps (KILN_DUMP, read once, or set_dump_dir): a relaxed load.
bool dumping();
// Dumps every evaluation to `dir` from now on, overriding KILN_DUMP ("" stops dumping).
void set_dump_dir(std::string dir);
// The dump directory, or "" when not dumping.
std::string dump_dir();

// Writes `texts` as the next evaluation's directory under dump_dir(): eval-NNNN, where NNNN
// counts this process's dumps from 0000 (an atomic counter: concurrent evaluations get
// distinct numbers, in the order they finish planning). The directory is published whole
// (written as a hidden temporary directory, then renamed); an eval-NNNN left by an earlier
// run is replaced, higher numbers of a longer earlier run stay. Never throws for a file
// system problem: it warns through the log instead.
void write_dump(const std::vector<DumpText>& texts);

}  // namespace kiln
