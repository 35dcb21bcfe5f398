// compile_programs: ahead-of-time programs (compiler/kernel/program.hpp) as one module, then
// an object file, assembly or LLVM IR.
//
// Each kernel becomes an internal, never-inlined function with the launch ABI of kernel.hpp,
// so two objects never clash and each kernel's loops are optimised once. The entry points of
// program.cpp's C interface are written here with IRBuilder: the argument struct is read as
// 8-byte slots (arguments, results, sizes, workspace); f_step switches on the step number,
// fills the kernel's buffer and dim arrays and calls it; f fills a struct on its stack and
// runs every step in order on the calling thread.
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>

#include "compiler/ir/error.hpp"
#include "compiler/llvm/cpu_compiler.hpp"
#include "compiler/llvm/host.hpp"
#include "compiler/llvm/lower.hpp"

namespace kiln::llvm_backend {
namespace {

using llvm::Value;
using kernel::Binding;

class ProgramEmitter {
 public:
  ProgramEmitter(const kernel::Program& p, llvm::Module& m, const llvm::TargetMachine& tm)
      : p_(p), m_(m), ctx_(m.getContext()), b_(m.getContext()), tm_(tm) {}

  void run() {
    for (const kernel::Kernel& k : p_.kernels) {
      llvm::Function* fn = detail::lower_kernel_into(k, p_.name + "." + kernel::kernel_symbol(k), m_, tm_);
      fn->setLinkage(llvm::GlobalValue::InternalLinkage);
      fn->addFnAttr(llvm::Attribute::NoInline);
      kernels_.push_back(fn);
    }
    emit_workspace_bytes();
    emit_step_count();
    llvm::Function* size = emit_step_size();
    llvm::Function* step = emit_step();
    emit_plain(size, step);
  }

 private:
  llvm::Type* i64() { return b_.getInt64Ty(); }
  llvm::Type* ptr() { return b_.getPtrTy(); }
  int num_slots() const { return static_cast<int>(p_.args.size() + p_.results.size() + p_.sizes.size()) + 1; }
  int size_slot(size_t i) const { return static_cast<int>(p_.args.size() + p_.results.size() + i); }

  llvm::Function* define(const std::string& name, llvm::Type* ret, std::vector<llvm::Type*> params) {
    auto* fn = llvm::Function::Create(llvm::FunctionType::get(ret, params, false), llvm::Function::ExternalLinkage,
                                      name, m_);
    fn->setDoesNotThrow();
    fn->addFnAttr("target-cpu", tm_.getTargetCPU());
    fn->addFnAttr("target-features", tm_.getTargetFeatureString());
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", fn));
    return fn;
  }

  Value* slot(Value* args, int i, llvm::Type* t) {
    return b_.CreateAlignedLoad(t, b_.CreateConstInBoundsGEP1_64(i64(), args, static_cast<uint64_t>(i)), llvm::Align(8));
  }
  std::vector<Value*> sizes_from(Value* args) {
    std::vector<Value*> s;
    for (size_t i = 0; i < p_.sizes.size(); ++i) s.push_back(slot(args, size_slot(i), i64()));
    return s;
  }

  Value* size(const kernel::SizeExpr& e, const std::vector<Value*>& sizes) {
    Value* v = b_.getInt64(static_cast<uint64_t>(e.coeff));
    for (int32_t f : e.factors) v = b_.CreateMul(v, sizes.at(static_cast<size_t>(f)));
    return v;
  }
  Value* product(const std::vector<int32_t>& dims, const std::vector<Value*>& values) {
    Value* v = b_.getInt64(1);
    for (int32_t d : dims) v = b_.CreateMul(v, values.at(static_cast<size_t>(d)));
    return v;
  }

  // The byte offset of each workspace region, and (last) the total.
  std::vector<Value*> work_offsets(const std::vector<Value*>& sizes) {
    std::vector<Value*> offsets{b_.getInt64(0)};
    for (const kernel::SizeExpr& w : p_.work) {
      Value* end = b_.CreateAdd(offsets.back(), size(w, sizes));
      offsets.push_back(b_.CreateAnd(b_.CreateAdd(end, b_.getInt64(kernel::kWorkAlign - 1)),
                                     b_.getInt64(~static_cast<uint64_t>(kernel::kWorkAlign - 1))));
    }
    return offsets;
  }

  void emit_workspace_bytes() {
    llvm::Function* fn = define(p_.name + "_workspace_bytes", i64(), std::vector<llvm::Type*>(p_.sizes.size(), i64()));
    std::vector<Value*> sizes;
    for (auto& a : fn->args()) sizes.push_back(&a);
    b_.CreateRet(work_offsets(sizes).back());
  }

  void emit_step_count() {
    define(p_.name + "_step_count", i64(), {});
    b_.CreateRet(b_.getInt64(p_.steps.size()));
  }

  // The launch dims of step s.
  std::vector<Value*> dims_of(const kernel::Step& s, const std::vector<Value*>& sizes) {
    std::vector<Value*> dims;
    for (const kernel::SizeExpr& d : s.dims) dims.push_back(size(d, sizes));
    return dims;
  }

  // A switch over the step number (argument `step` of fn); `each` fills one case and
  // returns its value (or null for void functions).
  void switch_steps(llvm::Function* fn, Value* step, Value* otherwise,
                    const std::function<Value*(const kernel::Step&)>& each) {
    llvm::BasicBlock* none = llvm::BasicBlock::Create(ctx_, "no.step", fn);
    llvm::SwitchInst* sw = b_.CreateSwitch(step, none, static_cast<unsigned>(p_.steps.size()));
    for (size_t i = 0; i < p_.steps.size(); ++i) {
      llvm::BasicBlock* bb = llvm::BasicBlock::Create(ctx_, "step" + std::to_string(i), fn);
      sw->addCase(b_.getInt64(i), bb);
      b_.SetInsertPoint(bb);
      Value* v = each(p_.steps[i]);
      if (v) b_.CreateRet(v); else b_.CreateRetVoid();
    }
    b_.SetInsertPoint(none);
    if (otherwise) b_.CreateRet(otherwise); else b_.CreateRetVoid();
  }

  llvm::Function* emit_step_size() {
    llvm::Function* fn = define(p_.name + "_step_size", i64(), {ptr(), i64()});
    Value* args = fn->getArg(0);
    switch_steps(fn, fn->getArg(1), b_.getInt64(0), [&](const kernel::Step& s) -> Value* {
      std::vector<Value*> sizes = sizes_from(args);
      Value* one_if_any = nullptr;
      switch (s.kind) {
        case kernel::Step::Kind::Copy: one_if_any = size(s.bytes, sizes); break;
        case kernel::Step::Kind::Kernel: {
          const kernel::Kernel& k = p_.kernels.at(static_cast<size_t>(s.kernel));
          std::vector<Value*> dims = dims_of(s, sizes);
          Value* outer = product(k.outer, dims);
          switch (k.kind) {
            case kernel::KernelKind::Elementwise: return b_.CreateMul(outer, product(k.phases.at(0).inner, dims));
            case kernel::KernelKind::Rows:
            case kernel::KernelKind::Serial: return outer;
          }
          break;
        }
      }
      return b_.CreateZExt(b_.CreateICmpSGT(one_if_any, b_.getInt64(0)), i64());
    });
    return fn;
  }

  Value* buffer(const Binding& bind, Value* args, const std::vector<Value*>& work) {
    const int base = bind.kind == Binding::Kind::Result ? static_cast<int>(p_.args.size()) : 0;
    switch (bind.kind) {
      case Binding::Kind::Arg:
      case Binding::Kind::Result: return slot(args, base + bind.index, ptr());
      case Binding::Kind::Work: return work.at(static_cast<size_t>(bind.index));
    }
    return nullptr;
  }

  void emit_kernel_call(const kernel::Step& s, Value* args, const std::vector<Value*>& work,
                        const std::vector<Value*>& sizes, Value* begin, Value* end) {
    std::vector<Value*> dims = dims_of(s, sizes);
    llvm::ArrayType* bt = llvm::ArrayType::get(ptr(), std::max<size_t>(s.buffers.size(), 1));
    llvm::ArrayType* dt = llvm::ArrayType::get(i64(), std::max<size_t>(dims.size(), 1));
    Value* bufs = b_.CreateAlloca(bt);
    Value* dimv = b_.CreateAlloca(dt);
    for (size_t i = 0; i < s.buffers.size(); ++i)
      b_.CreateStore(buffer(s.buffers[i], args, work), b_.CreateConstInBoundsGEP2_64(bt, bufs, 0, i));
    for (size_t i = 0; i < dims.size(); ++i) b_.CreateStore(dims[i], b_.CreateConstInBoundsGEP2_64(dt, dimv, 0, i));
    std::vector<llvm::Constant*> bits;
    for (uint64_t p : s.params) bits.push_back(b_.getInt64(p));
    if (bits.empty()) bits.push_back(b_.getInt64(0));
    auto* pt = llvm::ArrayType::get(i64(), bits.size());
    auto* params = new llvm::GlobalVariable(m_, pt, true, llvm::GlobalValue::PrivateLinkage,
                                            llvm::ConstantArray::get(pt, bits), "params");
    b_.CreateCall(kernels_.at(static_cast<size_t>(s.kernel)), {bufs, dimv, params, begin, end});
  }

  llvm::Function* emit_step() {
    llvm::Function* fn = define(p_.name + "_step", b_.getVoidTy(), {ptr(), i64(), i64(), i64()});
    Value *args = fn->getArg(0), *begin = fn->getArg(2), *end = fn->getArg(3);
    switch_steps(fn, fn->getArg(1), nullptr, [&](const kernel::Step& s) -> Value* {
      std::vector<Value*> sizes = sizes_from(args);
      Value* workspace = slot(args, num_slots() - 1, ptr());
      std::vector<Value*> offsets = work_offsets(sizes), work;
      for (size_t w = 0; w < p_.work.size(); ++w) work.push_back(b_.CreateInBoundsGEP(b_.getInt8Ty(), workspace, offsets[w]));
      switch (s.kind) {
        case kernel::Step::Kind::Kernel: emit_kernel_call(s, args, work, sizes, begin, end); break;
        case kernel::Step::Kind::Copy: {
          Value* bytes = b_.CreateSelect(b_.CreateICmpSLT(begin, end), size(s.bytes, sizes), b_.getInt64(0));
          b_.CreateMemCpy(buffer(s.buffers[0], args, work), llvm::MaybeAlign(1), buffer(s.buffers[1], args, work),
                          llvm::MaybeAlign(1), bytes);
          break;
        }
      }
      return nullptr;
    });
    return fn;
  }

  // f(arguments..., results..., sizes..., workspace): every step on this thread.
  void emit_plain(llvm::Function* step_size, llvm::Function* step) {
    llvm::Function* fn = define(p_.name, b_.getVoidTy(), [&] {
      std::vector<llvm::Type*> t;
      for (int i = 0; i < num_slots(); ++i) t.push_back(i < size_slot(0) || i == num_slots() - 1 ? ptr() : i64());
      return t;
    }());
    llvm::ArrayType* st = llvm::ArrayType::get(i64(), static_cast<uint64_t>(num_slots()));
    Value* args = b_.CreateAlloca(st);
    for (int i = 0; i < num_slots(); ++i)
      b_.CreateAlignedStore(fn->getArg(static_cast<unsigned>(i)), b_.CreateConstInBoundsGEP2_64(st, args, 0, i), llvm::Align(8));
    for (size_t s = 0; s < p_.steps.size(); ++s) {
      Value* n = b_.CreateCall(step_size, {args, b_.getInt64(s)});
      b_.CreateCall(step, {args, b_.getInt64(s), b_.getInt64(0), n});
    }
    b_.CreateRetVoid();
  }

  const kernel::Program& p_;
  llvm::Module& m_;
  llvm::LLVMContext& ctx_;
  llvm::IRBuilder<> b_;
  const llvm::TargetMachine& tm_;
  std::vector<llvm::Function*> kernels_;
};

}  // namespace

std::string compile_programs(const std::vector<kernel::Program>& programs, ProgramOutput output,
                             const CompileOptions& options) {
  const int level = options.opt_level < 0 ? 0 : options.opt_level > 3 ? 3 : options.opt_level;
  llvm::LLVMContext ctx;
  std::unique_ptr<llvm::TargetMachine> tm = detail::make_target_machine(level, options.cpu);
  llvm::Module m("kilnc", ctx);
  m.setTargetTriple(tm->getTargetTriple().str());
  m.setDataLayout(tm->createDataLayout());
  for (const kernel::Program& p : programs) {
    kernel::check_program(p);
    ProgramEmitter(p, m, *tm).run();
  }
  std::string problems;
  llvm::raw_string_ostream os(problems);
  KILN_CHECK(!llvm::verifyModule(m, &os)) << "LLVM backend: invalid program IR: " << problems;
  detail::optimize_module(m, *tm, level, options.vector_math);
  switch (output) {
    case ProgramOutput::LlvmIr: {
      std::string text;
      llvm::raw_string_ostream ts(text);
      m.print(ts, nullptr);
      return text;
    }
    case ProgramOutput::Object:
    case ProgramOutput::Assembly: {
      std::vector<char> bytes = detail::emit_module(
          m, *tm, output == ProgramOutput::Object ? llvm::CodeGenFileType::ObjectFile : llvm::CodeGenFileType::AssemblyFile,
          options.vector_math);
      return std::string(bytes.begin(), bytes.end());
    }
  }
  return {};
}

}  // namespace kiln::llvm_backend
