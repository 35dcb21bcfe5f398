// The LLVM backend as a component: target_id, vectorised math in the optimised IR, unloading
// that frees code, corrupt objects rejected with RuntimeError, the host's FP environment left
// alone, the same kernel loaded twice, and compiles from several threads at once.
#include <unistd.h>
#include <xmmintrin.h>

#include <fmt/format.h>

#include <fstream>
#include <thread>

#include "compiler/ir/error.hpp"
#include "llvm_test_util.hpp"

namespace kiln::test {
namespace {

// out[r] = sin(x[r]) + cos(x[r]) * exp(x[r]) over one inner dim.
kernel::Kernel math_kernel(DType t = DType::F32) {
  kernel::Kernel k;
  k.kind = kernel::KernelKind::Elementwise;
  k.buffers = {{t, false}, {t, true}};
  k.num_dims = 1;
  BodyBuilder b;
  int32_t r = b.inner();
  int32_t x = b.load(0, t, r);
  int32_t y = b.op(Op::Add, t, {b.op(Op::Sin, t, {x}), b.op(Op::Mul, t, {b.op(Op::Cos, t, {x}), b.op(Op::Exp, t, {x})})});
  k.phases.push_back(store_phase(b, {0}, {{1, r, y}}));
  return k;
}

bool cpu_has(const std::string& flag) {
  std::ifstream in("/proc/cpuinfo");
  std::string word;
  while (in >> word)
    if (word == flag) return true;
  return false;
}

int64_t resident_kib() {
  std::ifstream in("/proc/self/statm");
  int64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

TEST_CASE("target_id names the LLVM version, triple, CPU and features") {
  const std::string& id = llvm_backend::target_id();
  CHECK(id.rfind("llvm-19", 0) == 0);
  CHECK(id.find("x86_64") != std::string::npos);
  CHECK(std::count(id.begin(), id.end(), ';') >= 4);
  CHECK(&id == &llvm_backend::target_id());
}

TEST_CASE("the optimised IR of a sin/cos/exp loop over f32 calls libmvec") {
  const std::string ir = llvm_backend::kernel_llvm_ir(math_kernel(), "k_math", true);
  const std::string before = llvm_backend::kernel_llvm_ir(math_kernel(), "k_math", false);
  CHECK(before.find("llvm.sin.f32") != std::string::npos);
  CHECK(before.find("_ZGV") == std::string::npos);
  if (llvm_backend::target_id().find(";libmvec") == std::string::npos) {
    MESSAGE("libmvec.so.1 is not available here: math stays scalar");
    return;
  }
  // The vector width is the vectoriser's choice; the call must be to some vector variant.
  const bool avx512 = cpu_has("avx512f"), avx2 = cpu_has("avx2");
  const bool e16 = ir.find("call <16 x float> @_ZGVeN16v_sinf") != std::string::npos;
  const bool d8 = ir.find("call <8 x float> @_ZGVdN8v_sinf") != std::string::npos;
  CHECK((avx512 ? (e16 || d8) : avx2 ? d8 : ir.find("@_ZGVbN4v_sinf") != std::string::npos));
  CHECK(ir.find("_ZGV") != std::string::npos);
  CHECK(ir.find("v_expf(") != std::string::npos);
  CHECK(ir.find("v_cosf(") != std::string::npos);
  // The same for f64 (and the kernel still runs correctly through the JIT).
  const std::string ir64 = llvm_backend::kernel_llvm_ir(math_kernel(DType::F64), "k_math64", true);
  CHECK(ir64.find("v_sin(") != std::string::npos);
  JitKernel fn(math_kernel(DType::F64));
  std::vector<double> x(1000), y(1000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.01 * static_cast<double>(i) - 5;
  fn({x.data(), y.data()}, {1000}, {}, 0, 1000);
  for (size_t i = 0; i < x.size(); ++i) {
    // Relative to the terms' size: sin + cos*exp cancels near some x.
    const double s = std::sin(x[i]), ce = std::cos(x[i]) * std::exp(x[i]);
    CHECK(std::fabs(y[i] - (s + ce)) <= 1e-15 * (std::fabs(s) + std::fabs(ce)));
  }
}

TEST_CASE("compiling, loading and running leave the FP environment (MXCSR) alone") {
  // The control bits: exception masks, rounding mode, flush-to-zero, denormals-are-zero. (The
  // low six bits are sticky exception flags that any inexact operation sets.)
  const unsigned kControl = 0xffc0;
  _mm_setcsr(_mm_getcsr() & ~0x3fu);
  const unsigned before = _mm_getcsr();
  REQUIRE((before & 0x8040u) == 0);  // no FTZ/DAZ to begin with
  {
    JitKernel fn(math_kernel());
    std::vector<float> x(100, 1e-30f), y(100);
    fn({x.data(), y.data()}, {100}, {}, 0, 100);
    (void)llvm_backend::kernel_llvm_ir(math_kernel(), "k_env", true);
  }
  MESSAGE(fmt::format("MXCSR before {:#x}, after {:#x}", before, _mm_getcsr()));
  CHECK((_mm_getcsr() & kControl) == (before & kControl));
}

TEST_CASE("unloading frees the code: 2000 loads and unloads do not grow memory") {
  const kernel::Kernel k = math_kernel();
  const llvm_backend::ObjectCode object = llvm_backend::compile_kernel(k, "k_cycle");
  std::vector<float> x(64, 0.5f), y(64);
  void* buffers[] = {x.data(), y.data()};
  const int64_t dims[] = {64};
  auto cycle = [&](int times) {
    for (int i = 0; i < times; ++i) {
      llvm_backend::LoadedKernel loaded = llvm_backend::load_kernel(object);
      loaded.fn(buffers, dims, nullptr, 0, 64);
      llvm_backend::unload_kernel(loaded.handle);
    }
  };
  cycle(200);  // warm up: the JIT itself, allocator pools
  const int64_t before = resident_kib();
  cycle(2000);
  const int64_t grown = resident_kib() - before;
  MESSAGE("resident memory after 2000 load/unload cycles grew by " << grown << " KiB");
  CHECK(grown < 4096);
  CHECK(y[0] == doctest::Approx(std::sin(0.5f) + std::cos(0.5f) * std::exp(0.5f)));
  CHECK_THROWS_AS(llvm_backend::unload_kernel(0), RuntimeError);
}

TEST_CASE("corrupt object bytes are a RuntimeError, never a crash") {
  const llvm_backend::ObjectCode good = llvm_backend::compile_kernel(math_kernel(), "k_good");
  auto rejects = [](llvm_backend::ObjectCode o) { CHECK_THROWS_AS(llvm_backend::load_kernel(o), RuntimeError); };
  llvm_backend::ObjectCode o = good;
  o.bytes.resize(o.bytes.size() / 2);  // truncated
  rejects(o);
  o = good;
  o.bytes.resize(16);
  rejects(o);
  o = good;
  o.bytes.assign(o.bytes.size(), 0);  // zero bytes
  rejects(o);
  o = good;
  o.bytes.clear();  // empty
  rejects(o);
  o = good;
  o.bytes[1] ^= 0x20;  // bit flip in the ELF magic
  rejects(o);
  o = good;
  o.bytes[0x28] ^= 0x40;  // e_shoff: the section header table moves out of the file
  rejects(o);
  o = good;
  o.bytes[0x3c] ^= 0x7f;  // e_shnum: far more sections than the file holds
  rejects(o);
  o = good;
  o.symbol = "k_not_there";  // a valid object without the symbol
  rejects(o);
  // The good one still loads and runs.
  llvm_backend::LoadedKernel loaded = llvm_backend::load_kernel(good);
  CHECK(reinterpret_cast<void*>(loaded.fn) != nullptr);
  llvm_backend::unload_kernel(loaded.handle);
}

TEST_CASE("one kernel loaded twice is shared and unloaded by reference count") {
  const llvm_backend::ObjectCode object = llvm_backend::compile_kernel(math_kernel(), "k_twice");
  llvm_backend::LoadedKernel a = llvm_backend::load_kernel(object), b = llvm_backend::load_kernel(object);
  CHECK(a.handle != b.handle);
  CHECK(reinterpret_cast<void*>(a.fn) == reinterpret_cast<void*>(b.fn));
  llvm_backend::unload_kernel(a.handle);
  std::vector<float> x(8, 0.25f), y(8);
  void* buffers[] = {x.data(), y.data()};
  const int64_t dims[] = {8};
  b.fn(buffers, dims, nullptr, 0, 8);  // still loaded
  CHECK(y[7] == doctest::Approx(std::sin(0.25f) + std::cos(0.25f) * std::exp(0.25f)));
  llvm_backend::unload_kernel(b.handle);
}

TEST_CASE("kernels compile and load from several threads at once") {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t, &ok] {
      for (int i = 0; i < 5; ++i) {
        kernel::Kernel k = math_kernel(t % 2 ? DType::F64 : DType::F32);
        JitKernel fn(k);
        std::vector<double> x(33, 0.5), y(33, 0);
        std::vector<float> xf(33, 0.5f), yf(33, 0);
        if (t % 2)
          fn({x.data(), y.data()}, {33}, {}, 0, 33);
        else
          fn({xf.data(), yf.data()}, {33}, {}, 0, 33);
        const double got = t % 2 ? y[32] : yf[32];
        ok[t] += std::fabs(got - (std::sin(0.5) + std::cos(0.5) * std::exp(0.5))) < 1e-5;
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) CHECK(ok[t] == 5);
}

}  // namespace
}  // namespace kiln::test
