// The kernel cache: compiled kernels by the hash of their canonical kernel IR, first in
// memory, then on disk, compiling on a miss.
//
// Key: kernel IR hash (+ the backend's per-kernel source key, e.g. the hash of generated CUDA
// C) + backend name + target id (CPU name and features, LLVM version) +
// kiln's cache format version + compile options. Disk entries live in KILN_CACHE_DIR
// (default $XDG_CACHE_HOME/kiln or ~/.cache/kiln), created 0700; a directory that is group-
// or world-writable or owned by another user is refused (memory only, one warning). Each
// entry is the object code behind a header (magic, format version, key, sizes, checksum),
// written to a unique temporary file and published by rename; an entry that is truncated,
// corrupt, of another version or target is ignored, rebuilt and replaced, never loaded. The
// directory's total size is bounded (KILN_CACHE_MAX_BYTES, default 1 GiB) by evicting the
// least recently used entries. The memory cache holds at most `memory_capacity` kernels and
// unloads the code of the ones it evicts (when no launch still uses them).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "compiler/kernel/kernel.hpp"

namespace kiln {

// A kernel ready to launch; the code stays loaded while this object lives.
class CompiledKernel {
 public:
  CompiledKernel(kernel::KernelFn fn, uint64_t hash, std::function<void()> unload)
      : fn_(fn), hash_(hash), unload_(std::move(unload)) {}
  // Code that is not a host function (a CUDA module's function): an opaque handle.
  CompiledKernel(void* handle, uint64_t hash, std::function<void()> unload)
      : fn_(nullptr), handle_(handle), hash_(hash), unload_(std::move(unload)) {}
  ~CompiledKernel() {
    if (unload_) unload_();
  }
  CompiledKernel(const CompiledKernel&) = delete;
  CompiledKernel& operator=(const CompiledKernel&) = delete;
  kernel::KernelFn fn() const { return fn_; }
  void* handle() const { return handle_; }
  uint64_t hash() const { return hash_; }

 private:
  kernel::KernelFn fn_;
  void* handle_ = nullptr;
  uint64_t hash_;
  std::function<void()> unload_;
};

// What the cache needs from a backend (the LLVM backend in production, fakes in tests).
// compile and load may be called from several threads at once, for different kernels; a
// load that cannot use its bytes throws kiln::Error (the cache then treats a disk entry as
// corrupt and compiles again).
struct CacheBackend {
  std::string name;       // "llvm"
  std::string target_id;  // part of the key: code for another target is never loaded
  // Compiles a kernel to relocatable object bytes defining `symbol`.
  std::function<std::vector<char>(const kernel::Kernel&, const std::string& symbol)> compile;
  // Loads object bytes; returns the entry point and a function that frees the code.
  std::function<std::pair<kernel::KernelFn, std::function<void()>>(const std::vector<char>& object,
                                                                     const std::string& symbol)>
      load;
  // Instead of `load`, for code that is not a host function (CUDA): returns an opaque handle
  // (CompiledKernel::handle) and the function that unloads it.
  std::function<std::pair<void*, std::function<void()>>(const std::vector<char>& object, const std::string& symbol)>
      load_handle;
  // Optional: text added to each kernel's key, for code generated from the kernel IR by rules
  // that may change between builds of one kiln version (the hash of the generated source).
  std::function<std::string(const kernel::Kernel&)> source_key;
};

struct CacheOptions {
  // Disk directory; empty: memory only. Unset: from the environment (see above).
  std::optional<std::string> dir;
  int64_t max_disk_bytes = int64_t{1} << 30;
  int64_t memory_capacity = 4096;
  std::string options_key;  // compile options that change the code (e.g. "O3")
};

// The environment's settings: KILN_CACHE_DIR (or the XDG default; "" or "off" disables the
// disk cache) and KILN_CACHE_MAX_BYTES.
CacheOptions cache_options_from_env();

class KernelCache {
 public:
  KernelCache(CacheBackend backend, CacheOptions options);
  ~KernelCache();

  // The compiled kernel for `k`: from memory, else from disk, else compiled (and written to
  // disk). Thread-safe; two threads or processes compiling the same kernel both get a
  // correct kernel. Counts hits, misses and compile time in stats().
  std::shared_ptr<const CompiledKernel> get(const kernel::Kernel& k);
  // The same for a unit that is not generated from kernel IR (a backend's own routine, such
  // as the CUDA GEMM): `source` is its whole text (the key holds its hash), `symbol` the
  // entry point, `compile` builds the object bytes on a miss.
  std::shared_ptr<const CompiledKernel> get_unit(const std::string& symbol, const std::string& source,
                                                 const std::function<std::vector<char>()>& compile);

  // The disk directory in use, or empty when memory only.
  const std::string& dir() const;
  // Drops every kernel from the memory cache (code of kernels in use stays until released).
  void clear_memory();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln
