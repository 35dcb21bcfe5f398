// Glue between the kernel cache and the LLVM CPU compiler.
#include "runtime/llvm_backend.hpp"

#include "compiler/llvm/cpu_compiler.hpp"

namespace kiln {

KernelCache& llvm_kernel_cache() {
  // Never destroyed: kernels may be launched (and released) during static destruction.
  static KernelCache* cache = [] {
    CacheBackend b;
    b.name = "llvm";
    b.target_id = llvm_backend::target_id();
    b.compile = [](const kernel::Kernel& k, const std::string& symbol) {
      return llvm_backend::compile_kernel(k, symbol).bytes;
    };
    b.load = [](const std::vector<char>& bytes, const std::string& symbol) {
      llvm_backend::ObjectCode object{symbol, bytes, 0};
      llvm_backend::LoadedKernel loaded = llvm_backend::load_kernel(object);
      uint64_t handle = loaded.handle;
      return std::make_pair(loaded.fn, std::function<void()>([handle] { llvm_backend::unload_kernel(handle); }));
    };
    CacheOptions options = cache_options_from_env();
    options.options_key = "O3";
    return new KernelCache(std::move(b), std::move(options));
  }();
  return *cache;
}

KernelLauncher prepare_llvm_kernel(const kernel::Kernel& k) {
  std::shared_ptr<const CompiledKernel> compiled = llvm_kernel_cache().get(k);
  return [compiled](void* const* b, const int64_t* d, const uint64_t* p, int64_t begin, int64_t end) {
    compiled->fn()(b, d, p, begin, end);
  };
}

KernelSource llvm_kernel_source() {
  return {"ll", [](const kernel::Kernel& k, const std::string& symbol) {
            return llvm_backend::kernel_llvm_ir(k, symbol, /*optimized=*/true);
          }};
}

}  // namespace kiln
