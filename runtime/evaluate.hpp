// Evaluation of pending graph nodes: the one place where lazy arrays become values.
//
// evaluate() collects what the roots need (a Function whose arguments are the already
// evaluated nodes), runs it on the selected backend, and stores each root's value in its
// node (which then drops its operands). The backend is chosen by KILN_BACKEND (read once)
// or set_backend(): `llvm` (the default when kiln is built with LLVM: fused kernels compiled
// to machine code and cached), `interp` (the reference interpreter, the test oracle) or
// `kernels` (fused kernels run by the kernel IR evaluator, for testing the scheduler); also
// `cuda-emu`, a test vehicle for the CUDA code generator (runtime/cuda_emu_backend.hpp), not
// a backend for users.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/node.hpp"
#include "runtime/dump.hpp"

namespace kiln {

void evaluate(std::span<const NodeRef> roots);

// The value of a param that has none of its own, for one evaluate_with() (or execute()) call:
// how a traced function, whose graph stays pending, runs on the arrays it is called with.
struct ParamValue {
  const Node* param;
  BufferPtr value;
};

// Computes `results` on `device` (by the backend evaluate() would use there) with params that
// have no value of their own taking theirs from `params` (each on `device` and large enough
// for its param's type), and returns one buffer per result; the nodes stay as they are.
std::vector<BufferPtr> evaluate_with(const std::vector<NodeRef>& results, std::span<const ParamValue> params,
                                     Device device);

// The backend evaluations use now, and the names set_backend() accepts.
std::string backend_name();
std::vector<std::string> backend_names();
// Selects the backend by name for the whole process; throws ValueError for an unknown name.
void set_backend(std::string_view name);

// The dump (runtime/dump.hpp) an evaluation of `roots` on the current backend would write,
// without evaluating: the graph around each pass, the schedule, kernel IR, backend code
// and the Graphviz picture, as options choose. Evaluated roots are arguments.
std::vector<DumpText> dump_stages(const std::vector<NodeRef>& roots, const DumpOptions& options = {});

}  // namespace kiln
