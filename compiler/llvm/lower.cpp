// Kernel IR -> LLVM IR: the function, its loops, phase bodies and stores.
//
// The function has the launch ABI of kernel.hpp. Its entry block loads every buffer pointer,
// dim and parameter once and computes the extents, so the loops below only see loop-invariant
// SSA values. Elementwise kernels walk their chunk [begin, end) of the flat outer*inner range
// one row segment at a time: o and r are computed once with a division, then the inner loop
// runs r up to min(inner, what is left of the chunk) — a simple counted loop that the loop
// vectoriser handles — before o moves on. Rows and Serial kernels loop o over [begin, end) and
// run each phase's inner loop in turn (Reduce phases: lower_reduce.cpp).
//
// Determinism: a Rows/Serial phase always runs its whole inner range in one call, so its results
// depend only on the data and extents. An Elementwise chunk boundary inside a row changes which
// elements land in the vectorised loop body and which in its scalar remainder; for ops that
// call a math function the two are libmvec and libm, which may differ in the last bit (1 ulp
// seen for f32 sin/cos/exp). Everything else is bit-identical for every chunking.
//
// Buffers never overlap (kernel.hpp), which the loads and stores say with one alias scope per
// buffer (!alias.scope / !noalias); accesses to the same buffer may alias, so a Serial kernel
// that loads what it stored stays correct.
#include "compiler/llvm/lower.hpp"

#include <llvm/IR/MDBuilder.h>

#include "compiler/llvm/lowering.hpp"

namespace kiln::llvm_backend::detail {

using llvm::Value;

KernelLowering::KernelLowering(const kernel::Kernel& k, llvm::Function* fn)
    : k_(k), fn_(fn), ctx_(fn->getContext()), b_(fn->getContext()), s_(b_, *fn->getParent()) {}

llvm::AllocaInst* KernelLowering::entry_alloca(llvm::Type* t, const char* name) {
  llvm::IRBuilder<> eb(entry_, entry_->begin());
  return eb.CreateAlloca(t, nullptr, name);
}

Value* KernelLowering::product_of_dims(const std::vector<int32_t>& dims) {
  Value* p = b_.getInt64(1);
  for (int32_t d : dims) {
    KILN_CHECK(d >= 0 && d < k_.num_dims) << "LLVM backend: dim " << d << " out of range";
    p = b_.CreateMul(p, dims_[d]);
  }
  return p;
}

void KernelLowering::mark_buffer_access(llvm::Instruction* access, int32_t buffer) {
  access->setMetadata(llvm::LLVMContext::MD_alias_scope, scope_[buffer]);
  if (noalias_[buffer] != nullptr) access->setMetadata(llvm::LLVMContext::MD_noalias, noalias_[buffer]);
}

Value* KernelLowering::element_ptr(int32_t buffer, Value* index) {
  KILN_CHECK(buffer >= 0 && buffer < static_cast<int32_t>(buffers_.size())) << "LLVM backend: buffer " << buffer;
  return b_.CreateInBoundsGEP(s_.mem_type(k_.buffers[buffer].dtype), buffers_[buffer], index);
}

llvm::BranchInst* KernelLowering::counted_loop(Value* begin, Value* end, int64_t step, const char* name,
                                               const std::function<void(Value*)>& body) {
  llvm::BasicBlock* pre = b_.GetInsertBlock();
  llvm::BasicBlock* loop = llvm::BasicBlock::Create(ctx_, name, fn_);
  llvm::BasicBlock* exit = llvm::BasicBlock::Create(ctx_, std::string(name) + ".exit", fn_);
  b_.CreateCondBr(b_.CreateICmpSLT(begin, end), loop, exit);
  b_.SetInsertPoint(loop);
  llvm::PHINode* i = b_.CreatePHI(b_.getInt64Ty(), 2, std::string(name) + ".i");
  i->addIncoming(begin, pre);
  body(i);
  Value* next = b_.CreateNSWAdd(i, b_.getInt64(step));
  i->addIncoming(next, b_.GetInsertBlock());
  llvm::BranchInst* latch = b_.CreateCondBr(step == 1 ? b_.CreateICmpNE(next, end) : b_.CreateICmpSLT(next, end), loop, exit);
  b_.SetInsertPoint(exit);
  return latch;
}

std::vector<Value*> KernelLowering::emit_body(size_t p, Value* o, Value* r) {
  const kernel::Phase& phase = k_.phases[p];
  std::vector<Value*> v(phase.body.size(), nullptr);
  auto arg = [&](const kernel::Inst& inst, size_t a) {
    KILN_CHECK(a < inst.args.size() && inst.args[a] >= 0 && v[inst.args[a]] != nullptr)
        << "LLVM backend: bad operand " << a << " of a kernel instruction";
    return v[inst.args[a]];
  };
  for (size_t i = 0; i < phase.body.size(); ++i) {
    const kernel::Inst& inst = phase.body[i];
    switch (inst.kind) {
      case kernel::Inst::Kind::Op: {
        std::vector<Value*> args;
        for (size_t a = 0; a < inst.args.size(); ++a) args.push_back(arg(inst, a));
        const int32_t data = inst.op == Op::Where ? inst.args.at(1) : inst.args.at(0);
        v[i] = s_.op(inst.op, phase.body[data].type, inst.type, args);
        break;
      }
      case kernel::Inst::Kind::OuterIndex: v[i] = o; break;
      case kernel::Inst::Kind::InnerIndex: v[i] = r; break;
      case kernel::Inst::Kind::Dim: v[i] = dims_.at(inst.imm); break;
      case kernel::Inst::Kind::Param: v[i] = s_.from_param_bits(params_.at(inst.imm), inst.type); break;
      case kernel::Inst::Kind::Const: v[i] = s_.constant(inst.type, inst.value); break;
      case kernel::Inst::Kind::Load: {
        const auto buffer = static_cast<int32_t>(inst.imm);
        KILN_CHECK(k_.buffers.at(buffer).dtype == inst.type) << "LLVM backend: load of the wrong dtype";
        llvm::Type* mt = s_.mem_type(inst.type);
        llvm::LoadInst* load = b_.CreateAlignedLoad(mt, element_ptr(buffer, arg(inst, 0)), llvm::Align(dtype_size(inst.type)));
        mark_buffer_access(load, buffer);
        v[i] = s_.from_memory(load, inst.type);
        break;
      }
      case kernel::Inst::Kind::Acc:
        KILN_CHECK(accs_.at(inst.imm) != nullptr) << "LLVM backend: accumulator " << inst.imm << " read before its phase";
        v[i] = accs_[inst.imm];
        break;
      case kernel::Inst::Kind::IDiv: v[i] = b_.CreateUDiv(arg(inst, 0), arg(inst, 1)); break;  // both >= 0
      case kernel::Inst::Kind::IMod: v[i] = b_.CreateURem(arg(inst, 0), arg(inst, 1)); break;
    }
  }
  return v;
}

void KernelLowering::emit_stores(size_t p, const std::vector<Value*>& values) {
  const kernel::Phase& phase = k_.phases[p];
  for (const kernel::Store& st : phase.stores) {
    DType t = k_.buffers.at(st.buffer).dtype;
    KILN_CHECK(phase.body.at(st.value).type == t) << "LLVM backend: store of the wrong dtype";
    llvm::StoreInst* store = b_.CreateAlignedStore(s_.to_memory(values.at(st.value), t),
                                                   element_ptr(st.buffer, values.at(st.index)), llvm::Align(dtype_size(t)));
    mark_buffer_access(store, st.buffer);
  }
}

void KernelLowering::lower_store_phase(size_t p, Value* o) {
  if (k_.phases[p].inner.empty()) {  // once per outer index
    emit_stores(p, emit_body(p, o, b_.getInt64(0)));
    return;
  }
  counted_loop(b_.getInt64(0), inner_[p], 1, "inner", [&](Value* r) { emit_stores(p, emit_body(p, o, r)); });
}

void KernelLowering::lower_elementwise() {
  KILN_CHECK(k_.phases.size() == 1 && k_.phases[0].kind == kernel::Phase::Kind::Store && k_.num_accs == 0)
      << "LLVM backend: an elementwise kernel has exactly one Store phase";
  Value* begin = fn_->getArg(3);
  Value* end = fn_->getArg(4);
  if (k_.phases[0].inner.empty()) {  // inner extent 1: the flat index is o
    counted_loop(begin, end, 1, "outer", [&](Value* o) { emit_stores(0, emit_body(0, o, b_.getInt64(0))); });
    return;
  }
  Value* inner = inner_[0];
  llvm::BasicBlock* start = llvm::BasicBlock::Create(ctx_, "segments.start", fn_);
  llvm::BasicBlock* seg = llvm::BasicBlock::Create(ctx_, "segment", fn_);
  llvm::BasicBlock* done = llvm::BasicBlock::Create(ctx_, "done", fn_);
  b_.CreateCondBr(b_.CreateAnd(b_.CreateICmpSLT(begin, end), b_.CreateICmpSGT(inner, b_.getInt64(0))), start, done);
  b_.SetInsertPoint(start);
  Value* o0 = b_.CreateUDiv(begin, inner);
  Value* r0 = b_.CreateURem(begin, inner);
  b_.CreateBr(seg);
  // One row segment: outer index o, inner indices [r_begin, r_begin + len), flat start pos.
  b_.SetInsertPoint(seg);
  llvm::PHINode* o = b_.CreatePHI(b_.getInt64Ty(), 2, "o");
  llvm::PHINode* r_begin = b_.CreatePHI(b_.getInt64Ty(), 2, "r.begin");
  llvm::PHINode* pos = b_.CreatePHI(b_.getInt64Ty(), 2, "pos");
  o->addIncoming(o0, start);
  r_begin->addIncoming(r0, start);
  pos->addIncoming(begin, start);
  Value* len = b_.CreateBinaryIntrinsic(llvm::Intrinsic::smin, b_.CreateSub(inner, r_begin), b_.CreateSub(end, pos));
  counted_loop(r_begin, b_.CreateAdd(r_begin, len), 1, "inner", [&](Value* r) { emit_stores(0, emit_body(0, o, r)); });
  Value* next_pos = b_.CreateAdd(pos, len);
  o->addIncoming(b_.CreateAdd(o, b_.getInt64(1)), b_.GetInsertBlock());
  r_begin->addIncoming(b_.getInt64(0), b_.GetInsertBlock());
  pos->addIncoming(next_pos, b_.GetInsertBlock());
  b_.CreateCondBr(b_.CreateICmpSLT(next_pos, end), seg, done);
  b_.SetInsertPoint(done);
}

void KernelLowering::lower_rows() {
  counted_loop(fn_->getArg(3), fn_->getArg(4), 1, "outer", [&](Value* o) {
    for (size_t p = 0; p < k_.phases.size(); ++p) {
      if (k_.phases[p].kind == kernel::Phase::Kind::Reduce)
        lower_reduce_phase(p, o);
      else
        lower_store_phase(p, o);
    }
  });
}

void KernelLowering::run() {
  entry_ = llvm::BasicBlock::Create(ctx_, "entry", fn_);
  b_.SetInsertPoint(entry_);
  llvm::Type* ptr = b_.getPtrTy();
  for (size_t i = 0; i < k_.buffers.size(); ++i)
    buffers_.push_back(b_.CreateAlignedLoad(ptr, b_.CreateConstInBoundsGEP1_64(ptr, fn_->getArg(0), i), llvm::Align(8),
                                            "buf" + std::to_string(i)));
  for (int32_t i = 0; i < k_.num_dims; ++i)
    dims_.push_back(b_.CreateAlignedLoad(b_.getInt64Ty(), b_.CreateConstInBoundsGEP1_64(b_.getInt64Ty(), fn_->getArg(1), i),
                                         llvm::Align(8), "dim" + std::to_string(i)));
  for (size_t i = 0; i < k_.params.size(); ++i)
    params_.push_back(b_.CreateAlignedLoad(b_.getInt64Ty(), b_.CreateConstInBoundsGEP1_64(b_.getInt64Ty(), fn_->getArg(2), i),
                                           llvm::Align(8), "param" + std::to_string(i)));
  outer_ = product_of_dims(k_.outer);
  for (const kernel::Phase& p : k_.phases) inner_.push_back(product_of_dims(p.inner));
  accs_.assign(k_.num_accs, nullptr);

  llvm::MDBuilder md(ctx_);
  llvm::MDNode* domain = md.createAnonymousAliasScopeDomain("kiln.buffers");
  std::vector<llvm::Metadata*> scopes;
  for (size_t i = 0; i < k_.buffers.size(); ++i)
    scopes.push_back(md.createAnonymousAliasScope(domain, "buf" + std::to_string(i)));
  for (size_t i = 0; i < k_.buffers.size(); ++i) {
    scope_.push_back(llvm::MDNode::get(ctx_, {scopes[i]}));
    std::vector<llvm::Metadata*> others;
    for (size_t j = 0; j < k_.buffers.size(); ++j)
      if (j != i) others.push_back(scopes[j]);
    noalias_.push_back(others.empty() ? nullptr : llvm::MDNode::get(ctx_, others));
  }

  if (k_.kind == kernel::KernelKind::Elementwise)
    lower_elementwise();
  else
    lower_rows();
  b_.CreateRetVoid();
}

std::unique_ptr<llvm::Module> lower_kernel(const kernel::Kernel& k, const std::string& symbol, llvm::LLVMContext& ctx,
                                           const llvm::TargetMachine& tm) {
  auto m = std::make_unique<llvm::Module>(symbol, ctx);
  m->setTargetTriple(tm.getTargetTriple().str());
  m->setDataLayout(tm.createDataLayout());
  lower_kernel_into(k, symbol, *m, tm);
  return m;
}

llvm::Function* lower_kernel_into(const kernel::Kernel& k, const std::string& symbol, llvm::Module& m,
                                  const llvm::TargetMachine& tm) {
  llvm::LLVMContext& ctx = m.getContext();
  llvm::Type* ptr = llvm::PointerType::getUnqual(ctx);
  llvm::Type* i64 = llvm::Type::getInt64Ty(ctx);
  auto* type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr, ptr, ptr, i64, i64}, false);
  llvm::Function* fn = llvm::Function::Create(type, llvm::Function::ExternalLinkage, symbol, m);
  const char* names[] = {"buffers", "dims", "params", "begin", "end"};
  for (unsigned i = 0; i < 5; ++i) fn->getArg(i)->setName(names[i]);
  for (unsigned i = 0; i < 3; ++i) {  // the launch arrays are only read, before any store
    fn->addParamAttr(i, llvm::Attribute::NoAlias);
    fn->addParamAttr(i, llvm::Attribute::NoCapture);
    fn->addParamAttr(i, llvm::Attribute::ReadOnly);
  }
  fn->setDoesNotThrow();
  fn->addFnAttr("target-cpu", tm.getTargetCPU());
  fn->addFnAttr("target-features", tm.getTargetFeatureString());
  // A vector-math call clobbers every vector register, so loops that call one spill their
  // accumulators to the stack around each call. Realigning the frame keeps those 64-byte
  // spills inside one cache line: with the 16-byte alignment a thread's stack happens to
  // have, split stores and loads made the same kernel up to 40% slower on some threads.
  fn->addFnAttr("stackrealign");
  KernelLowering(k, fn).run();
  return fn;
}

}  // namespace kiln::llvm_backend::detail
