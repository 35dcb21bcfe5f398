// Private to compiler/llvm: kernel IR -> LLVM IR (one module, one function `symbol` with the
// launch ABI of kernel.hpp), before optimisation.
#pragma once

#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include <memory>
#include <string>

#include "compiler/kernel/kernel.hpp"

namespace kiln::llvm_backend::detail {

// Builds the module for `k` in `ctx`, with the data layout and triple of `tm` and the host's
// target-cpu/target-features on the function.
std::unique_ptr<llvm::Module> lower_kernel(const kernel::Kernel& k, const std::string& symbol, llvm::LLVMContext& ctx,
                                           const llvm::TargetMachine& tm);
// Adds the function `symbol` for `k` to `m` (whose triple and data layout are set).
llvm::Function* lower_kernel_into(const kernel::Kernel& k, const std::string& symbol, llvm::Module& m,
                                  const llvm::TargetMachine& tm);

}  // namespace kiln::llvm_backend::detail
