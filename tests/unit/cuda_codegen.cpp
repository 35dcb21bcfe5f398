// The CUDA code generator's contracts that the differential tests do not show: constants are
// emitted bit for bit (NaN, inf, -0.0, subnormals), a kernel runs the same with its launch
// words by value or through a buffer, the emulation's barriers and warp shuffles behave as on
// the hardware, and NVRTC errors become kiln::Errors carrying NVRTC's log. Kernels run through
// the host emulation (compiler/cuda/emulation/), which needs only the system C++ compiler.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

#include "compiler/cuda/cuda_source.hpp"
#include "compiler/cuda/emulation/host_compiler.hpp"
#include "compiler/cuda/nvrtc.hpp"
#include "compiler/ir/error.hpp"
#include "runtime/cuda_backend.hpp"
#include "runtime/cuda_emu_backend.hpp"
#include "runtime/gemm.hpp"
#include "runtime/dump.hpp"
#include "runtime_test_util.hpp"

using namespace kiln;
using kernel::Inst;

namespace {

Inst inst(Inst::Kind kind, DType t, int64_t imm = 0, std::vector<int32_t> args = {}) {
  Inst i;
  i.kind = kind;
  i.type = t;
  i.imm = imm;
  i.args = std::move(args);
  return i;
}

// An elementwise kernel over [d0] that stores constant number r of `values` at r.
kernel::Kernel constant_kernel(DType t, const std::vector<double>& values) {
  kernel::Kernel k;
  k.kind = kernel::KernelKind::Elementwise;
  k.buffers = {{t, true}};
  k.num_dims = 1;
  kernel::Phase p;
  p.kind = kernel::Phase::Kind::Store;
  p.inner = {0};
  p.body.push_back(inst(Inst::Kind::InnerIndex, DType::I64));
  for (size_t i = 0; i < values.size(); ++i) {
    Inst c = inst(Inst::Kind::Const, t);
    c.value = Scalar::of_float(values[i]);
    p.body.push_back(c);
    p.body.push_back(inst(Inst::Kind::Const, DType::I64));
    p.body.back().value = Scalar::of_int(static_cast<int64_t>(i));
    const auto n = static_cast<int32_t>(p.body.size());
    p.stores.push_back({0, n - 1, n - 2});
  }
  k.phases.push_back(p);
  return k;
}

// Runs a generated kernel through the emulation over [0, n) with the given launch data.
void run(const kernel::Kernel& k, const cuda::CudaOptions& o, std::vector<void*> buffers, std::vector<int64_t> dims,
         int64_t n) {
  const std::string symbol = kernel::kernel_symbol(k);
  cuda::CudaKernel g = cuda::generate_cuda(k, symbol, o);
  auto module = cuda::compile_for_host(std::string(cuda::cuda_prelude()) + g.code, "");
  std::vector<uint64_t> words = cuda::launch_words(k, buffers.data(), dims.data(), nullptr, 0, n);
  const int64_t grid = cuda::grid_blocks(g, 0, n, 3);
  cuda::run_emulated_grid(module->entry(symbol), reinterpret_cast<const unsigned long long*>(words.data()),
                          {static_cast<unsigned int>(grid), 1, 1}, {static_cast<unsigned int>(g.block), 1, 1});
}

}  // namespace

TEST_CASE("float constants are emitted bit for bit: NaN, infinities, signed zeros, subnormals") {
  const double sub32 = std::ldexp(1.0, -149), sub64 = std::ldexp(1.0, -1074);
  const std::vector<double> values = {NAN, INFINITY, -INFINITY, -0.0, 0.0, sub32, -sub32, 0.1, sub64, 1e300};
  kernel::Kernel f32 = constant_kernel(DType::F32, values), f64 = constant_kernel(DType::F64, values);
  const std::string s32 = cuda::generate_cuda(f32, "k32").code, s64 = cuda::generate_cuda(f64, "k64").code;
  for (const char* bits : {"0x7fc00000", "0x7f800000", "0xff800000", "0x80000000", "0x00000001", "0x80000001"})
    CHECK_MESSAGE(s32.find(std::string("__int_as_float(") + bits + ")") != std::string::npos, bits);
  for (const char* bits : {"0x7ff8000000000000", "0xfff0000000000000", "0x8000000000000000", "0x0000000000000001"})
    CHECK_MESSAGE(s64.find(std::string("__longlong_as_double(") + bits + "ll)") != std::string::npos, bits);

  std::vector<float> out32(values.size());
  std::vector<double> out64(values.size());
  run(f32, {}, {out32.data()}, {static_cast<int64_t>(values.size())}, static_cast<int64_t>(values.size()));
  run(f64, {}, {out64.data()}, {static_cast<int64_t>(values.size())}, static_cast<int64_t>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) {
    CAPTURE(values[i]);
    const float want32 = static_cast<float>(values[i]);
    CHECK(std::bit_cast<uint32_t>(out32[i]) == std::bit_cast<uint32_t>(want32));
    CHECK(std::bit_cast<uint64_t>(out64[i]) == std::bit_cast<uint64_t>(values[i]));
  }
}

TEST_CASE("f16 and bf16 constants round once to their format and store as bit patterns") {
  const std::vector<double> values = {0.1, 65520.0, -65519.0, std::ldexp(1.0, -25), std::ldexp(3.0, -26), NAN, -0.0};
  for (DType t : {DType::F16, DType::BF16}) {
    CAPTURE(dtype_name(t));
    std::vector<uint16_t> out(values.size());
    run(constant_kernel(t, values), {}, {out.data()}, {static_cast<int64_t>(values.size())},
        static_cast<int64_t>(values.size()));
    for (size_t i = 0; i < values.size(); ++i) {
      CAPTURE(values[i]);
      const float v = static_cast<float>(values[i]);
      const uint16_t want = t == DType::F16 ? f32_to_f16_bits(v) : f32_to_bf16_bits(v);
      CHECK(out[i] == want);
    }
  }
}

TEST_CASE("launch words by value and through a buffer give the same results") {
  kernel::Kernel k = constant_kernel(DType::I64, {});
  // b0[r] = r * d1 over [d0]: one elementwise store, many launches.
  k.buffers = {{DType::I64, true}};
  k.num_dims = 2;
  kernel::Phase& p = k.phases[0];
  p.body = {inst(Inst::Kind::InnerIndex, DType::I64), inst(Inst::Kind::Dim, DType::I64, 1)};
  Inst mul = inst(Inst::Kind::Op, DType::I64, 0, {0, 1});
  mul.op = Op::Mul;
  p.body.push_back(mul);
  p.stores = {{0, 0, 2}};
  const int64_t n = 1000;  // several blocks, a partial last one, grid-stride (3 blocks at most)
  for (int words : {500, 0}) {
    CAPTURE(words);
    cuda::CudaOptions o;
    o.max_param_words = words;
    o.elementwise_block = 96;
    CHECK((cuda::generate_cuda(k, "k", o).words_mode == cuda::WordsMode::DeviceBuffer) == (words == 0));
    std::vector<int64_t> out(n, -1);
    run(k, o, {out.data()}, {n, 7}, n);
    for (int64_t i = 0; i < n; ++i) REQUIRE(out[i] == 7 * i);
  }
}

TEST_CASE("the emulation's barriers, shared memory and warp shuffles behave as on the hardware") {
  // Each block of 96 threads (three warps): a shared array written by every thread and read
  // back reversed after a barrier; a warp sum with __shfl_xor_sync; a block reduction of the
  // prelude; a ballot.
  const std::string code = R"(
extern "C" __global__ void ktest(const kiln_words<1> kiln_a) {
  long long* out = (long long*)kiln_a.w[0];
  __shared__ long long s[96];
  __shared__ long long scratch[33];
  const int t = threadIdx.x;
  const long long base = (long long)blockIdx.x * 96 * 4;
  s[t] = t * 10 + blockIdx.x;
  __syncthreads();
  out[base + t] = s[95 - t];
  long long v = t;
  for (int w = 16; w >= 1; w >>= 1) v += __shfl_xor_sync(0xffffffffu, v, w);
  out[base + 96 + t] = v;
  out[base + 192 + t] = kiln_block_reduce(
      (long long)t, 0ll, scratch, [](long long x, long long y) { return x + y; });
  out[base + 288 + t] = __ballot_sync(0xffffffffu, t % 3 == 0);
}
KILN_EMULATION_ENTRY(ktest, 1)
)";
  auto module = cuda::compile_for_host(std::string(cuda::cuda_prelude()) + code, "");
  std::vector<long long> out(2 * 96 * 4, -1);
  const unsigned long long words[1] = {reinterpret_cast<uintptr_t>(out.data())};
  cuda::run_emulated_grid(module->entry("ktest"), words, {2, 1, 1}, {96, 1, 1});
  for (int b = 0; b < 2; ++b)
    for (int t = 0; t < 96; ++t) {
      CAPTURE(b);
      CAPTURE(t);
      const long long* o = out.data() + b * 96 * 4;
      const int warp = t / 32;
      CHECK(o[t] == (95 - t) * 10 + b);
      CHECK(o[96 + t] == 32 * warp * 32 + 31 * 32 / 2);  // sum of the warp's thread ids
      CHECK(o[192 + t] == 95 * 96 / 2);
      unsigned int ballot = 0;
      for (int l = 0; l < 32; ++l) ballot |= (warp * 32 + l) % 3 == 0 ? 1u << l : 0u;
      CHECK(o[288 + t] == ballot);
    }
}

TEST_CASE("an NVRTC compile error is a RuntimeError that carries NVRTC's log") {
  std::string why;
  if (!cuda::nvrtc_available(&why)) {
    MESSAGE("NVRTC is not available, so only the load error is checked: ", why);
    CHECK_THROWS_AS(cuda::nvrtc_version(), RuntimeError);
    return;
  }
  const std::string source = std::string(cuda::cuda_prelude()) +
                             "extern \"C\" __global__ void kbroken(int* p) { p[0] = undeclared_name; }\n";
  try {
    cuda::nvrtc_compile(source, "broken.cu", 90, false);
    FAIL("a broken source compiled");
  } catch (const RuntimeError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("broken.cu") != std::string::npos);
    CHECK(msg.find("sm_90") != std::string::npos);
    CHECK(msg.find("undeclared_name") != std::string::npos);  // NVRTC's log, with the culprit
  }
  const cuda::NvrtcVersion v = cuda::nvrtc_version();
  CHECK(v.major >= 11);
  MESSAGE("NVRTC ", v.major, ".", v.minor, " from ", cuda::nvrtc_library());
}

TEST_CASE("with dumps on, a unit NVRTC rejects is kept beside the dumps and the error names it") {
  std::string why;
  if (!cuda::nvrtc_available(&why)) {
    MESSAGE("skipped: NVRTC is not available: ", why);
    return;
  }
  const std::string source = std::string(cuda::cuda_prelude()) +
                             "extern \"C\" __global__ void kbad(int* p) { p[0] = another_undeclared_name; }\n";
  test::TempDir tmp;
  const std::string dir = tmp.path() + "/dumps";
  set_dump_dir(dir);
  std::string msg;
  try {
    cuda_compile_unit(source, "kbad", 90);
  } catch (const cuda::NvrtcError& e) {
    msg = e.what();
  }
  set_dump_dir("");
  const std::string kept = dir + "/nvrtc-error-kbad.cu";
  CHECK(msg.find("another_undeclared_name") != std::string::npos);
  CHECK(msg.find(kept) != std::string::npos);
  std::ifstream in(kept);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == source);
  // Without dumps, nothing is written and the error is NVRTC's alone.
  try {
    cuda_compile_unit(source, "kbad2", 90);
    FAIL("a broken source compiled");
  } catch (const cuda::NvrtcError& e) {
    CHECK(std::string(e.what()).find("nvrtc-error-") == std::string::npos);
  }
  CHECK(!std::ifstream(dir + "/nvrtc-error-kbad2.cu").good());
  // A good unit compiles to CUBIN (an ELF image) or PTX.
  const std::string good = std::string(cuda::cuda_prelude()) + "extern \"C\" __global__ void kgood(int* p) { p[0] = 1; }\n";
  std::vector<char> image = cuda_compile_unit(good, "kgood", 90);
  REQUIRE(image.size() > 4);
  const bool elf = std::memcmp(image.data(), "\x7f" "ELF", 4) == 0;
  CHECK((elf || std::string(image.data()).find(".entry kgood") != std::string::npos));
}

TEST_CASE("a generated kernel compiles with NVRTC to PTX for sm_80 and to CUBIN for sm_90") {
  std::string why;
  if (!cuda::nvrtc_available(&why)) {
    MESSAGE("skipped: NVRTC is not available: ", why);
    return;
  }
  const std::string source = cuda::cuda_source(constant_kernel(DType::BF16, {0.1, NAN}), "kconst") +
                             cuda::gemm_kernel_code(false, cuda::gemm_symbol(false));
  cuda::NvrtcOutput ptx = cuda::nvrtc_compile(source, "kconst.cu", 80, false);
  CHECK(ptx.ptx.find(".entry kconst") != std::string::npos);
  CHECK(ptx.ptx.find(".entry kiln_gemm_f32") != std::string::npos);
  cuda::NvrtcOutput cubin = cuda::nvrtc_compile(source, "kconst.cu", 90, true);
  REQUIRE(cubin.cubin.size() > 4);
  CHECK(std::memcmp(cubin.cubin.data(), "\x7f" "ELF", 4) == 0);
}

TEST_CASE("the GPU's GEMM kernel gives the CPU GEMM's bits: tiles, edges, batches, transposes, k = 0") {
  // Both compute each element as one FMA chain over k from -0.0; the emulation runs the CUDA C
  // with the host's fmaf/fma, so the results must agree bit for bit.
  struct Case {
    int64_t batch, m, n, k;
    bool a_shared, a_t, b_t;
  };
  const Case cases[] = {{1, 70, 131, 37, false, false, false}, {1, 70, 131, 37, false, true, true},
                        {2, 65, 64, 16, false, true, false},   {3, 5, 67, 33, true, false, true},
                        {1, 1, 9, 100, false, false, false},    {1, 17, 1, 3, false, true, false},
                        {2, 4, 6, 0, false, false, false}};
  for (const Case& c : cases) {
    for (bool f64 : {false, true}) {
      INFO(fmt::format("batch {} m {} n {} k {} a_t {} b_t {} f64 {}", c.batch, c.m, c.n, c.k, c.a_t, c.b_t, f64));
      const int64_t a_stride = c.a_shared ? 0 : c.m * c.k, b_stride = c.k * c.n;
      const size_t a_size = static_cast<size_t>(c.a_shared ? c.m * c.k : c.batch * c.m * c.k);
      const size_t b_size = static_cast<size_t>(c.batch * c.k * c.n), c_size = static_cast<size_t>(c.batch * c.m * c.n);
      std::vector<double> a(a_size), b(b_size);
      for (size_t i = 0; i < a.size(); ++i) a[i] = std::sin(1.0 + 0.37 * static_cast<double>(i));
      for (size_t i = 0; i < b.size(); ++i) b[i] = std::cos(2.0 + 0.11 * static_cast<double>(i));
      const std::vector<int64_t> args = {c.batch, c.m, c.n, c.k, a_stride, b_stride, c.a_t, c.b_t};
      BuiltinLauncher gpu = prepare_cuda_emu_builtin(Builtin::Gemm, args, f64 ? DType::F64 : DType::F32);
      auto check = [&](auto zero) {
        using T = decltype(zero);
        std::vector<T> ta(a.begin(), a.end()), tb(b.begin(), b.end());
        std::vector<T> want(c_size, T(7)), got(c_size, T(7));
        if constexpr (sizeof(T) == 4)
          gemm_f32(ta.data(), tb.data(), want.data(), c.batch, c.m, c.n, c.k, a_stride, b_stride, c.a_t, c.b_t);
        else
          gemm_f64(ta.data(), tb.data(), want.data(), c.batch, c.m, c.n, c.k, a_stride, b_stride, c.a_t, c.b_t);
        void* buffers[] = {ta.data(), tb.data(), got.data()};
        gpu(buffers);
        CHECK(std::memcmp(got.data(), want.data(), c_size * sizeof(T)) == 0);
      };
      if (f64)
        check(0.0);
      else
        check(0.0f);
    }
  }
}
