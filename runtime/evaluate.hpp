// Evaluation of pending graph nodes: the one place where lazy arrays become values.
//
// evaluate() collects what the roots need (a Function whose arguments are the already
// evaluated nodes), runs it on the selected backend, and stores each root's value in its
// node (which then drops its operands). The backend is chosen by KILN_BACKEND (read once,
// default `interp`) or set_backend(); only the reference interpreter exists so far.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/node.hpp"

namespace kiln {

void evaluate(const std::vector<NodeRef>& roots);

// The backend evaluations use now, and the names set_backend() accepts.
std::string backend_name();
std::vector<std::string> backend_names();
// Selects the backend by name for the whole process; throws ValueError for an unknown name.
void set_backend(std::string_view name);

}  // namespace kiln
