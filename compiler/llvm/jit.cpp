// load_kernel / unload_kernel: one process-wide ORC LLJIT, created on first use.
//
// Each loaded object gets its own ResourceTracker in the main JITDylib, so unloading frees its
// code and symbols. The same symbol loaded twice (the same kernel, e.g. from two threads that
// missed the cache together) shares one copy with a reference count: a JITDylib cannot hold
// two definitions of one name. Math functions resolve from the process: libm, and libmvec,
// which host.cpp loads with RTLD_GLOBAL before the JIT exists (see host.hpp).
//
// Bytes from a disk cache may be corrupt, so an object is parsed and checked (an x86-64 ELF
// relocatable that defines the symbol) before ORC sees it, and every llvm::Error becomes a
// kiln::RuntimeError carrying LLVM's message.
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/MemoryBuffer.h>

#include <mutex>
#include <unordered_map>

#include "compiler/ir/error.hpp"
#include "compiler/llvm/cpu_compiler.hpp"
#include "compiler/llvm/host.hpp"

namespace kiln::llvm_backend {
namespace {

std::string message_of(llvm::Error e) { return llvm::toString(std::move(e)); }

// Checks that `bytes` parse as a relocatable object for the host that defines `symbol`.
void validate_object(const llvm::MemoryBufferRef& bytes, const std::string& symbol) {
  auto parsed = llvm::object::ObjectFile::createObjectFile(bytes);
  if (!parsed) throw RuntimeError("load_kernel: corrupt object for " + symbol + ": " + message_of(parsed.takeError()));
  const llvm::object::ObjectFile& obj = **parsed;
  llvm::Triple host(detail::host_target().triple);
  if (!obj.isELF() || !obj.isRelocatableObject() || obj.getArch() != host.getArch())
    throw RuntimeError("load_kernel: object for " + symbol + " is not a relocatable ELF object for " + host.str());
  for (const llvm::object::SectionRef& section : obj.sections()) {
    if (auto name = section.getName(); !name)
      throw RuntimeError("load_kernel: corrupt section in object for " + symbol + ": " + message_of(name.takeError()));
    if (auto contents = section.getContents(); !contents)
      throw RuntimeError("load_kernel: corrupt section in object for " + symbol + ": " + message_of(contents.takeError()));
  }
  bool defined = false;
  for (const llvm::object::SymbolRef& sym : obj.symbols()) {
    auto name = sym.getName();
    if (!name) throw RuntimeError("load_kernel: corrupt symbol table in object for " + symbol + ": " + message_of(name.takeError()));
    auto section = sym.getSection();
    if (!section) throw RuntimeError("load_kernel: corrupt symbol in object for " + symbol + ": " + message_of(section.takeError()));
    if (*name == symbol && *section != obj.section_end()) defined = true;
  }
  if (!defined) throw RuntimeError("load_kernel: object does not define the kernel symbol " + symbol);
}

class Jit {
 public:
  Jit() {
    detail::host_target();  // native target initialised, libmvec loaded
    auto jit = llvm::orc::LLJITBuilder().create();
    if (!jit) throw RuntimeError("LLVM backend: cannot create the JIT: " + message_of(jit.takeError()));
    jit_ = std::move(*jit);
    // Errors of a failed materialisation also come back from lookup(); keep the latest for
    // the message instead of printing them to stderr.
    jit_->getExecutionSession().setErrorReporter([this](llvm::Error e) {
      std::lock_guard<std::mutex> lock(error_mu_);
      last_error_ = message_of(std::move(e));
    });
    auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(jit_->getDataLayout().getGlobalPrefix());
    if (!process) throw RuntimeError("LLVM backend: no process symbol generator: " + message_of(process.takeError()));
    jit_->getMainJITDylib().addGenerator(std::move(*process));
  }

  LoadedKernel load(const ObjectCode& object) {
    llvm::StringRef bytes(object.bytes.data(), object.bytes.size());
    std::unique_ptr<llvm::MemoryBuffer> buffer = llvm::MemoryBuffer::getMemBufferCopy(bytes, object.symbol);
    validate_object(buffer->getMemBufferRef(), object.symbol);
    std::lock_guard<std::mutex> lock(mu_);
    auto found = by_symbol_.find(object.symbol);
    if (found == by_symbol_.end()) {
      llvm::orc::JITDylib& main = jit_->getMainJITDylib();
      llvm::orc::ResourceTrackerSP tracker = main.createResourceTracker();
      if (llvm::Error e = jit_->addObjectFile(tracker, std::move(buffer)))
        throw RuntimeError("load_kernel: cannot add the object for " + object.symbol + ": " + message_of(std::move(e)));
      auto address = jit_->lookup(main, object.symbol);
      if (!address) {
        std::string why = message_of(address.takeError());
        {
          std::lock_guard<std::mutex> error_lock(error_mu_);
          if (!last_error_.empty() && last_error_ != why) why += " (" + last_error_ + ")";
          last_error_.clear();
        }
        llvm::consumeError(tracker->remove());
        throw RuntimeError("load_kernel: cannot link " + object.symbol + ": " + why);
      }
      found = by_symbol_.emplace(object.symbol, Loaded{tracker, address->toPtr<kernel::KernelFn>(), 0}).first;
    }
    ++found->second.refs;
    uint64_t handle = next_handle_++;
    handles_.emplace(handle, object.symbol);
    return {found->second.fn, handle};
  }

  void unload(uint64_t handle) {
    std::lock_guard<std::mutex> lock(mu_);
    auto h = handles_.find(handle);
    if (h == handles_.end()) throw RuntimeError("unload_kernel: unknown handle " + std::to_string(handle));
    auto loaded = by_symbol_.find(h->second);
    KILN_CHECK(loaded != by_symbol_.end()) << "unload_kernel: handle without its kernel";
    handles_.erase(h);
    if (--loaded->second.refs > 0) return;
    llvm::orc::ResourceTrackerSP tracker = loaded->second.tracker;
    by_symbol_.erase(loaded);
    if (llvm::Error e = tracker->remove())
      throw RuntimeError("unload_kernel: cannot free the code: " + message_of(std::move(e)));
  }

 private:
  struct Loaded {
    llvm::orc::ResourceTrackerSP tracker;
    kernel::KernelFn fn;
    int refs;
  };
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  std::mutex mu_;  // guards the maps and serialises linking
  std::unordered_map<std::string, Loaded> by_symbol_;
  std::unordered_map<uint64_t, std::string> handles_;
  uint64_t next_handle_ = 1;
  std::mutex error_mu_;
  std::string last_error_;
};

Jit& jit() {
  static Jit instance;  // thread-safe lazy creation; lives until exit
  return instance;
}

}  // namespace

LoadedKernel load_kernel(const ObjectCode& object) { return jit().load(object); }

void unload_kernel(uint64_t handle) { jit().unload(handle); }

}  // namespace kiln::llvm_backend
