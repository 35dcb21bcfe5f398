// Ahead-of-time programs: the functions of a text (with symbolic sizes or not) as
// kernel::Programs that run without kiln's runtime (kilnc's object files).
//
// Each function is optimised and scheduled as the runtime would, except that matmuls become
// row kernels (the object cannot call kiln's GEMM routine) and no reduction is split (a
// choice that depends on the sizes). The sizes of the family are found by probing: the
// module is instantiated at probe sizes (compiler/ir/symbolic.hpp), once with every size at
// its first probe value, once per size with that size changed, and once with all changed;
// the schedules must launch the same kernels on the same buffers with the same parameters,
// and every dim and byte count must be a constant times a product of sizes (fitted from
// the first instances, checked against the last). Otherwise a ValueError names the function
// and the value that does not follow the sizes.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "compiler/ir/symbolic.hpp"
#include "compiler/kernel/program.hpp"

namespace kiln {

// One Program per function of the module `instance` gives for size values, over `sizes`.
std::vector<kernel::Program> aot_programs(const std::function<Module(const SizeValues&)>& instance,
                                          const std::vector<std::string>& sizes);

// `name` as a C identifier: `.` becomes `_`; throws ValueError naming `what` when the result
// is empty, starts with a digit, or is a C keyword.
std::string c_identifier(const std::string& name, const std::string& what);

}  // namespace kiln
