// The cuda-emu test vehicle: batching kernels into host-compiled units and launching them as
// emulated grids.
//
// prepare() generates a kernel's CUDA C and adds it to the open batch; the first launch of any
// kernel of a batch closes it and compiles it (one compiler run for the whole schedule, since
// the executor prepares every launch before the first one runs). Compiled kernels are
// remembered by symbol for the life of the process.
#include "runtime/cuda_emu_backend.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <unordered_map>

#include "compiler/cuda/cuda_source.hpp"
#include "compiler/cuda/emulation/host_compiler.hpp"
#include "runtime/kernel_cache.hpp"

namespace kiln {
namespace {

struct Settings {
  cuda::CudaOptions options;
  int64_t max_blocks = 4;
  std::string record_dir;  // empty: do not record
  std::string cache_dir;   // empty: temporary build directories
};

int64_t env_int(const char* name, int64_t fallback, int64_t lo, int64_t hi) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v, &end, 10);
  if (errno != 0 || *end != '\0' || x < lo || x > hi)
    throw ValueError(fmt::format("{}='{}': expected an integer in [{}, {}]", name, v, lo, hi));
  return x;
}

const Settings& settings() {
  static const Settings s = [] {
    Settings s;
    s.options.elementwise_block = static_cast<int>(env_int("KILN_CUDA_EMU_BLOCK", 128, 1, 1024));
    s.options.rows_block = static_cast<int>(env_int("KILN_CUDA_EMU_ROWS_BLOCK", 64, 32, 1024));
    if (s.options.rows_block % 32 != 0)
      throw ValueError(fmt::format("KILN_CUDA_EMU_ROWS_BLOCK={}: must be a multiple of 32", s.options.rows_block));
    s.max_blocks = env_int("KILN_CUDA_EMU_MAX_BLOCKS", 4, 1, 65535);
    s.options.max_param_words = static_cast<int>(env_int("KILN_CUDA_EMU_PARAM_WORDS", 500, 0, 1 << 20));
    const char* record = std::getenv("KILN_CUDA_EMU_RECORD");
    if (record != nullptr && *record != '\0') s.record_dir = record;
    const std::string base = cache_options_from_env().dir.value_or("");
    if (!base.empty()) {
      if (mkdir(base.c_str(), 0700) != 0 && errno != EEXIST)
        throw RuntimeError(fmt::format("cuda-emu: cannot create the cache directory {}: {}", base, std::strerror(errno)));
      s.cache_dir = base + "/cuda-emu";
    }
    return s;
  }();
  return s;
}

// Kernels generated since the last compile; compiled as one unit.
struct Batch {
  std::mutex mu;
  std::string code;
  std::shared_ptr<cuda::EmulatedModule> module;
};

// A generated kernel and, once its batch is compiled, its entry.
struct EmuKernel {
  cuda::CudaKernel info;
  std::shared_ptr<Batch> batch;
  std::mutex mu;
  std::shared_ptr<cuda::EmulatedModule> module;
  cuda::EmulatedEntry entry = nullptr;
};

std::mutex g_mu;
std::shared_ptr<Batch> g_open = std::make_shared<Batch>();
std::unordered_map<std::string, std::shared_ptr<EmuKernel>> g_kernels;  // by symbol

void record(const cuda::CudaKernel& k) {
  const std::string& dir = settings().record_dir;
  if (dir.empty()) return;
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw RuntimeError(fmt::format("KILN_CUDA_EMU_RECORD: cannot create {}: {}", dir, std::strerror(errno)));
  std::ofstream out(dir + "/" + k.symbol + ".cu", std::ios::trunc);
  out << k.code;
  if (!out) throw RuntimeError(fmt::format("KILN_CUDA_EMU_RECORD: cannot write {}/{}.cu", dir, k.symbol));
}

// The kernel's entry, compiling its batch first if needed.
cuda::EmulatedEntry resolve(EmuKernel& k) {
  std::lock_guard<std::mutex> lock(k.mu);
  if (k.entry != nullptr) return k.entry;
  Batch& b = *k.batch;
  {
    std::lock_guard<std::mutex> g(g_mu);
    if (g_open == k.batch) g_open = std::make_shared<Batch>();  // closed: later kernels go to a new batch
  }
  {
    std::lock_guard<std::mutex> batch_lock(b.mu);
    if (!b.module)
      b.module = cuda::compile_for_host(std::string(cuda::cuda_prelude()) + "\n" + b.code, settings().cache_dir);
  }
  k.module = b.module;
  k.entry = k.module->entry(k.info.symbol);
  return k.entry;
}

std::shared_ptr<EmuKernel> add_kernel(const std::string& symbol, const std::function<cuda::CudaKernel()>& generate) {
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_kernels.find(symbol);
  if (it != g_kernels.end()) return it->second;
  auto k = std::make_shared<EmuKernel>();
  k->info = generate();
  record(k->info);
  k->batch = g_open;
  {
    std::lock_guard<std::mutex> batch_lock(g_open->mu);
    g_open->code += k->info.code;
  }
  g_kernels.emplace(symbol, k);
  return k;
}

}  // namespace

KernelLauncher prepare_cuda_emu_kernel(const kernel::Kernel& kern) {
  const Settings& s = settings();
  const std::string symbol = kernel::kernel_symbol(kern);
  std::shared_ptr<EmuKernel> k = add_kernel(symbol, [&] { return cuda::generate_cuda(kern, symbol, s.options); });
  auto owned = std::make_shared<kernel::Kernel>(kern);
  return [k, owned, max_blocks = s.max_blocks](void* const* b, const int64_t* d, const uint64_t* p, int64_t begin,
                                               int64_t end) {
    const int64_t grid = cuda::grid_blocks(k->info, begin, end, max_blocks);
    if (grid == 0) return;
    cuda::EmulatedEntry entry = resolve(*k);
    // The words are in host memory either way: by value they are copied into the kernel's
    // parameter, through a buffer the kernel reads them where they are.
    const std::vector<uint64_t> words = cuda::launch_words(*owned, b, d, p, begin, end);
    cuda::run_emulated_grid(entry, reinterpret_cast<const unsigned long long*>(words.data()),
                            {static_cast<unsigned int>(grid), 1, 1}, {static_cast<unsigned int>(k->info.block), 1, 1});
  };
}

BuiltinLauncher prepare_cuda_emu_builtin(Builtin builtin, const std::vector<int64_t>& args, DType dtype) {
  switch (builtin) {
    case Builtin::Gemm: {
      KILN_CHECK(dtype == DType::F32 || dtype == DType::F64) << "bad GEMM launch";
      const bool f64 = dtype == DType::F64;
      const std::string symbol = cuda::gemm_symbol(f64);
      std::shared_ptr<EmuKernel> k = add_kernel(symbol, [&] {
        cuda::CudaKernel g;
        g.symbol = symbol;
        g.code = cuda::gemm_kernel_code(f64, symbol);
        g.block = cuda::kGemmThreads;
        g.num_words = cuda::kGemmWords;
        return g;
      });
      const int64_t cap = settings().max_blocks;
      return [k, args, cap](void* const* b) {
        const int64_t batch = args[0], m = args[1], n = args[2];
        if (batch <= 0 || m <= 0 || n <= 0) return;
        cuda::EmulatedEntry entry = resolve(*k);
        const auto words = cuda::gemm_words(b, args);
        const cuda::GemmGrid g = cuda::gemm_grid(batch, m, n);
        auto capped = [cap](int64_t v) { return static_cast<unsigned int>(std::min(v, cap)); };
        cuda::run_emulated_grid(entry, words.data(), {capped(g.x), capped(g.y), capped(g.z)},
                                {static_cast<unsigned int>(k->info.block), 1, 1});
      };
    }
    case Builtin::None: break;
  }
  KILN_CHECK(false) << "cuda-emu: not a builtin launch";
  return {};
}

KernelSource cuda_kernel_source() {
  return {"cu", [](const kernel::Kernel& k, const std::string& symbol) { return cuda::generate_cuda(k, symbol).code; }};
}

}  // namespace kiln
