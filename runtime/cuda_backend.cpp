// Preparing and launching kernels on a CUDA device.
//
// One kernel cache per device architecture: a compiled module serves every device of that
// architecture only after it is loaded in that device's context, so the cache (and its
// loaded modules) is per device index. A launcher holds its compiled kernel (the module
// stays loaded while a cached schedule refers to it), the generated kernel's geometry, and
// the device's stream.
#include "runtime/cuda_backend.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "compiler/cuda/cuda_source.hpp"
#include "compiler/cuda/nvrtc.hpp"
#include "runtime/atomic_file.hpp"
#include "runtime/cuda_device_state.hpp"
#include "runtime/cuda_emu_backend.hpp"
#include "runtime/dump.hpp"
#include "runtime/kernel_cache.hpp"

namespace kiln {
namespace {

using namespace cuda_api;

struct Launch {
  CUfunction function = nullptr;
  CUstream stream = nullptr;
  int device = 0;
};

// The CUDA C generator's settings: part of the key, and fixed per process.
cuda::CudaOptions generator_options() { return {}; }

// With dumps on (KILN_DUMP), a unit NVRTC rejects is kept as <dump dir>/nvrtc-error-<symbol>.cu;
// returns that path, or "" when not dumping or when it cannot be written.
std::string keep_rejected_source(const std::string& source, const std::string& symbol) {
  const std::string dir = dump_dir();
  if (dir.empty() || !detail::make_directories(dir).empty()) return "";
  const std::string path = fmt::format("{}/nvrtc-error-{}.cu", dir, symbol);
  return detail::write_file_atomically(path, source).empty() ? path : "";
}

// Compiles one translation unit for sm_<arch>: CUBIN when NVRTC produces one, else PTX
// (NUL-terminated, as cuModuleLoadData expects); cuModuleLoadData tells them apart itself.
}  // namespace

std::vector<char> cuda_compile_unit(const std::string& source, const std::string& symbol, int arch) {
  cuda::NvrtcOutput out;
  try {
    out = cuda::nvrtc_compile(source, symbol + ".cu", arch, true);
  } catch (const cuda::NvrtcError& e) {
    const std::string kept = keep_rejected_source(source, symbol);
    if (kept.empty()) throw;
    throw cuda::NvrtcError(fmt::format("{}\nThe CUDA C: {}", e.what(), kept));
  }
  if (!out.cubin.empty()) return out.cubin;
  std::vector<char> ptx(out.ptx.begin(), out.ptx.end());
  ptx.push_back('\0');
  return ptx;
}

namespace {

std::pair<void*, std::function<void()>> load_module(int index, const std::vector<char>& image,
                                                    const std::string& symbol) {
  detail::cuda_device(index);  // its context current on this thread
  const Driver& d = driver();
  CUmodule module = nullptr;
  check(d.cuModuleLoadData(&module, image.data()), "cuda:{}: cuModuleLoadData({})", index, symbol);
  CUfunction fn = nullptr;
  if (CUresult r = d.cuModuleGetFunction(&fn, module, symbol.c_str()); r != kSuccess) {
    d.cuModuleUnload(module);
    check(r, "cuda:{}: cuModuleGetFunction({})", index, symbol);
  }
  return {fn, [index, module] {
            detail::cuda_device(index);
            driver().cuModuleUnload(module);  // at exit the driver may already be gone: nothing to report
          }};
}

uint64_t fnv(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

KernelCache* make_cache(int index) {
  const CudaDeviceProperties p = cuda_device_properties(index);
  const cuda::NvrtcVersion v = cuda::nvrtc_version();
  const cuda::CudaOptions g = generator_options();
  CacheBackend b;
  b.name = "cuda";
  b.target_id = fmt::format("sm_{} nvrtc {}.{}", p.arch(), v.major, v.minor);
  b.source_key = [](const kernel::Kernel& k) {
    return fmt::format("{:016x}", fnv(cuda::cuda_source(k, kernel::kernel_symbol(k), generator_options())));
  };
  b.compile = [arch = p.arch()](const kernel::Kernel& k, const std::string& symbol) {
    return cuda_compile_unit(cuda::cuda_source(k, symbol, generator_options()), symbol, arch);
  };
  b.load_handle = [index](const std::vector<char>& image, const std::string& symbol) {
    return load_module(index, image, symbol);
  };
  CacheOptions o = cache_options_from_env();
  std::string opts;
  for (const std::string& s : cuda::nvrtc_options(p.arch(), true)) opts += s + " ";
  o.options_key = fmt::format("{}block {} rows {} words {}", opts, g.elementwise_block, g.rows_block, g.max_param_words);
  return new KernelCache(std::move(b), std::move(o));
}

KernelCache& cache_for(int index) {
  static std::mutex mu;
  static std::array<KernelCache*, 64> caches{};  // never destroyed: modules unload during static destruction
  std::lock_guard<std::mutex> lock(mu);
  KernelCache*& c = caches.at(static_cast<size_t>(index));
  if (c == nullptr) c = make_cache(index);
  return *c;
}

// Blocks per launch at most: enough for every multiprocessor to run several (grid-stride
// loops cover the rest), from the occupancy query when the driver has it.
int64_t max_blocks(CUfunction fn, int index, int block) {
  const Driver& d = driver();
  const int sms = cuda_device_properties(index).multiprocessors;
  if (d.cuOccupancyMaxPotentialBlockSize != nullptr) {
    int min_grid = 0, best_block = 0;
    if (d.cuOccupancyMaxPotentialBlockSize(&min_grid, &best_block, fn, nullptr, 0, block) == kSuccess && min_grid > 0)
      return std::max<int64_t>(min_grid, sms);
  }
  return int64_t{sms} * 2048 / std::max(block, 1);
}

void launch_kernel(const Launch& l, unsigned gx, unsigned gy, unsigned gz, int block, void** args) {
  check(driver().cuLaunchKernel(l.function, gx, gy, gz, static_cast<unsigned>(block), 1, 1, 0, l.stream, args,
                                nullptr),
        "cuda:{}: cuLaunchKernel", l.device);
}

KernelLauncher prepare_kernel(const kernel::Kernel& k, int index) {
  std::shared_ptr<const CompiledKernel> compiled = cache_for(index).get(k);
  const cuda::CudaKernel info = cuda::generate_cuda(k, kernel::kernel_symbol(k), generator_options());
  Launch l{static_cast<CUfunction>(compiled->handle()), detail::cuda_device(index).stream, index};
  const int64_t cap = max_blocks(l.function, index, info.block);
  auto owned = std::make_shared<kernel::Kernel>(k);
  return [compiled, info, l, cap, owned](void* const* b, const int64_t* d, const uint64_t* p, int64_t begin,
                                         int64_t end) {
    const int64_t grid = cuda::grid_blocks(info, begin, end, cap);
    if (grid == 0) return;
    detail::cuda_device(l.device);
    std::vector<uint64_t> words = cuda::launch_words(*owned, b, d, p, begin, end);
    if (info.words_mode == cuda::WordsMode::ByValue) {
      void* args[] = {words.data()};
      return launch_kernel(l, static_cast<unsigned>(grid), 1, 1, info.block, args);
    }
    // The words in device memory; the buffer returns to the allocator's cache when this
    // returns, and is reused only by work queued after this launch on the same stream.
    BufferPtr table = cuda_upload(l.device, words.data(), words.size() * sizeof(uint64_t));
    void* address = table->address();
    void* args[] = {&address};
    launch_kernel(l, static_cast<unsigned>(grid), 1, 1, info.block, args);
  };
}

// The GEMM kernel of a dtype, through the device's kernel cache (memory and disk) like any
// generated kernel.
std::shared_ptr<const CompiledKernel> gemm_kernel(int index, bool f64) {
  const std::string symbol = cuda::gemm_symbol(f64);
  const std::string source = std::string(cuda::cuda_prelude()) + "\n" + cuda::gemm_kernel_code(f64, symbol);
  const int arch = cuda_device_properties(index).arch();
  return cache_for(index).get_unit(symbol, source, [&] { return cuda_compile_unit(source, symbol, arch); });
}

BuiltinLauncher prepare_builtin(Builtin builtin, const std::vector<int64_t>& args, DType dtype, int index) {
  switch (builtin) {
    case Builtin::Gemm: {
      KILN_CHECK(dtype == DType::F32 || dtype == DType::F64) << "bad GEMM launch";
      std::shared_ptr<const CompiledKernel> k = gemm_kernel(index, dtype == DType::F64);
      Launch l{static_cast<CUfunction>(k->handle()), detail::cuda_device(index).stream, index};
      return [k, l, args](void* const* b) {
        const int64_t batch = args[0], m = args[1], n = args[2];
        if (batch <= 0 || m <= 0 || n <= 0) return;
        detail::cuda_device(l.device);
        auto words = cuda::gemm_words(b, args);
        const cuda::GemmGrid g = cuda::gemm_grid(batch, m, n);
        void* params[] = {words.data()};
        launch_kernel(l, static_cast<unsigned>(g.x), static_cast<unsigned>(g.y), static_cast<unsigned>(g.z),
                      cuda::kGemmThreads, params);
      };
    }
    case Builtin::None: break;
  }
  KILN_CHECK(false) << "cuda: not a builtin launch";
  return {};
}

}  // namespace

namespace {

// What execute() needs for cuda:index, made once per device (evaluations on the device
// reuse it: no formatting or allocation per evaluation).
struct CudaExec {
  std::string backend;
  ExecTarget target;
  PrepareKernel prepare;
  PrepareBuiltin prepare_builtin;
};

const CudaExec& cuda_exec(int index) {
  static std::mutex mu;
  static std::array<std::unique_ptr<const CudaExec>, 64> execs;  // as the device table: never freed
  KILN_CHECK(index >= 0 && index < static_cast<int>(execs.size())) << "cuda:" << index;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<const CudaExec>& e = execs[static_cast<size_t>(index)];
  if (!e) {
    auto made = std::make_unique<CudaExec>();
    made->backend = fmt::format("cuda:{}", index);
    made->target.allocate = [index](size_t bytes) { return cuda_allocate(index, bytes); };
    made->target.copy = [](const Buffer& src) { return cuda_copy(src); };
    made->target.split = false;
    made->target.device = Device::cuda(index);
    made->target.schedule.splits = SplitOptions::gpu();
    made->prepare = [index](const kernel::Kernel& k) { return prepare_kernel(k, index); };
    made->prepare_builtin = [index](Builtin b, const std::vector<int64_t>& args, DType t) {
      return prepare_builtin(b, args, t, index);
    };
    e = std::move(made);
  }
  return *e;
}

}  // namespace

std::vector<BufferPtr> execute_cuda(const std::vector<NodeRef>& pending, int index,
                                    std::span<const ParamValue> params) {
  detail::cuda_device(index);  // a clear error now when there is no such device
  const CudaExec& e = cuda_exec(index);
  return execute(pending, e.prepare, e.backend, cuda_kernel_source(), e.prepare_builtin, e.target, params);
}

KernelCache& cuda_kernel_cache(int index) { return cache_for(index); }

}  // namespace kiln
