// Private to compiler/llvm: the state of lowering one kernel, shared by lower.cpp (function,
// loops, bodies, stores) and lower_reduce.cpp (Reduce phases).
#pragma once

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <functional>
#include <vector>

#include "compiler/kernel/kernel.hpp"
#include "compiler/llvm/scalar.hpp"

namespace kiln::llvm_backend::detail {

class KernelLowering {
 public:
  KernelLowering(const kernel::Kernel& k, llvm::Function* fn);
  // Emits the whole function body.
  void run();

 private:
  void lower_elementwise();
  void lower_rows();
  void lower_store_phase(size_t p, llvm::Value* o);
  void lower_reduce_phase(size_t p, llvm::Value* o);  // lower_reduce.cpp

  // `for (i = begin; i < end; i += step) body(i)` at the insertion point, which ends up after
  // the loop. The loop is in the canonical form LLVM's loop passes expect. Returns the latch
  // branch, which carries the loop's metadata (!llvm.loop) if it needs any.
  llvm::BranchInst* counted_loop(llvm::Value* begin, llvm::Value* end, int64_t step, const char* name,
                    const std::function<void(llvm::Value*)>& body);
  // Emits phase p's instructions for outer index o and inner index r; returns their values.
  std::vector<llvm::Value*> emit_body(size_t p, llvm::Value* o, llvm::Value* r);
  void emit_stores(size_t p, const std::vector<llvm::Value*>& values);
  llvm::Value* element_ptr(int32_t buffer, llvm::Value* index);
  void mark_buffer_access(llvm::Instruction* access, int32_t buffer);
  llvm::AllocaInst* entry_alloca(llvm::Type* t, const char* name);
  llvm::Value* product_of_dims(const std::vector<int32_t>& dims);

  const kernel::Kernel& k_;
  llvm::Function* fn_;
  llvm::LLVMContext& ctx_;
  llvm::IRBuilder<> b_;
  ScalarEmitter s_;
  llvm::BasicBlock* entry_ = nullptr;
  std::vector<llvm::Value*> buffers_, dims_, params_;  // params_: the 64 launch bits
  llvm::Value* outer_ = nullptr;                       // outer extent
  std::vector<llvm::Value*> inner_;                    // inner extent per phase
  std::vector<llvm::Value*> accs_;                     // final accumulator values (Acc)
  std::vector<llvm::MDNode*> scope_, noalias_;         // per buffer: its alias scope, the others
};

}  // namespace kiln::llvm_backend::detail
