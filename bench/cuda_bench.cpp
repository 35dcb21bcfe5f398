// kiln-cuda-bench: kiln-bench's workloads W1-W5 on CUDA device 0, in GB/s against the
// device's own copy bandwidth (cuMemcpyDtoD of 256 MiB, measured in the same program), plus
// the first evaluation of W1 with a cold kernel cache (CUDA C + NVRTC + module load) and in a
// fresh process that finds W1's kernel in the disk cache (the program runs itself again with
// --disk-load). Exits 77 (skip) without a CUDA device.
//
// Then f32 matrix products of 4096^3 (G1, G2 with a transposed operand) in GFLOP/s.
//
// Each workload W1-W5 is timed two ways: `kiln_ms`, one evaluation and a wait for the device (what
// a program that reads every result sees: host work, launch latency and the kernels in
// series), and `stream_ms`, a batch of evaluations queued back to back with one wait at the
// end, per evaluation (a loop whose results stay on the device: the host builds the next
// graph while the device runs the last). The copy bandwidth is taken the second way.
//
//   kiln-cuda-bench [--runs N]
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <kiln/kiln.hpp>
#include <string>
#include <vector>

#include "runtime/cuda_device_state.hpp"

using namespace kiln;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// The median of `runs` timings of f, each followed by a device synchronisation; `host_ms`
// (if given) gets the median time f itself took to return (building the graph, scheduling
// and queueing the launches, which the device runs meanwhile).
double median_ms(int runs, const std::function<void()>& f, double* host_ms = nullptr) {
  std::vector<double> t, host;
  f();  // warm-up: compile, first allocation
  cuda_synchronize(0);
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    f();
    host.push_back(ms_since(t0));
    cuda_synchronize(0);
    t.push_back(ms_since(t0));
  }
  if (host_ms) *host_ms = median(host);
  return median(t);
}

// The median over `runs` batches of the time per call of `batch` calls of f queued back to
// back, with one device synchronisation per batch.
double streamed_ms(int runs, int batch, const std::function<void()>& f) {
  std::vector<double> t;
  f();
  cuda_synchronize(0);
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    for (int j = 0; j < batch; ++j) f();
    cuda_synchronize(0);
    t.push_back(ms_since(t0) / batch);
  }
  return median(t);
}

constexpr int kBatch = 10;

double copy_gbps(int runs) {
  const size_t bytes = size_t{256} << 20;
  BufferPtr a = cuda_allocate(0, bytes), b = cuda_allocate(0, bytes);
  const auto& d = cuda_api::driver();
  auto& s = detail::cuda_device(0);
  double ms = streamed_ms(runs, kBatch, [&] {
    cuda_api::check(d.cuMemcpyDtoDAsync(reinterpret_cast<cuda_api::CUdeviceptr>(b->address()),
                                        reinterpret_cast<cuda_api::CUdeviceptr>(a->address()), bytes, s.stream),
                    "cuMemcpyDtoDAsync");
  });
  return 2.0 * static_cast<double>(bytes) / ms / 1e6;  // read + write
}

Array w1(const Array& x) { return sin(x) * cos(x) + exp(-x * x) * 0.5 + sqrt(abs(x)); }

int disk_load() {
  DeviceScope gpu(Device::cuda(0));
  Array x = random_uniform({1 << 24}, 1, DType::F32, -4, 4).eval();
  cuda_synchronize(0);
  Stats before = stats();
  auto t0 = Clock::now();
  w1(x).eval();
  cuda_synchronize(0);
  const double ms = ms_since(t0);
  Stats after = stats();
  fmt::print("W1 first evaluation, kernel from the disk cache: {:.2f} ms (disk hits {}, compiles {})\n", ms,
             after.disk_hits - before.disk_hits, after.kernels_compiled - before.kernels_compiled);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 20;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--disk-load") == 0) return disk_load();
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = std::atoi(argv[++i]);
  }
  std::string why;
  if (!cuda_available(&why)) {
    fmt::print("kiln-cuda-bench: skipped: no CUDA device ({})\n", why);
    return 77;
  }
  // A private, empty kernel cache, so that W1's first evaluation compiles.
  char dir[] = "/tmp/kiln-cuda-bench-XXXXXX";
  if (mkdtemp(dir) == nullptr) return 1;
  setenv("KILN_CACHE_DIR", dir, 1);
  CudaDeviceProperties p = cuda_device_properties(0);
  const double copy = copy_gbps(runs);
  fmt::print("device: {} (sm_{}, {} SMs, {} MiB); copy bandwidth (cuMemcpyDtoD, read+write) {:.1f} GB/s\n", p.name,
             p.arch(), p.multiprocessors, p.total_memory >> 20, copy);
  DeviceScope gpu(Device::cuda(0));
  const int64_t n = int64_t{1} << 24, rows = 4096, cols = 4096;
  Array x = random_uniform({n}, 1, DType::F32, -4, 4).eval(), y = random_uniform({n}, 2, DType::F32, -4, 4).eval();
  Array a = from_vector<float>({2.5f}, Shape{});
  Array m = random_uniform({rows, cols}, 3, DType::F32, -4, 4).eval(), b = random_uniform({cols}, 4, DType::F32, -1, 1).eval();
  cuda_synchronize(0);
  Stats s0 = stats();
  auto t0 = Clock::now();
  w1(x).eval();
  cuda_synchronize(0);
  const double cold = ms_since(t0);
  Stats s1 = stats();
  fmt::print("W1 first evaluation, cold kernel cache: {:.2f} ms (of which compiling {:.2f} ms, {} kernels)\n", cold,
             s1.compile_ms - s0.compile_ms, s1.kernels_compiled - s0.kernels_compiled);
  struct W {
    const char* name;
    double bytes;
    std::function<Array()> f;
  };
  const double nb = static_cast<double>(n), mb = static_cast<double>(rows * cols);
  std::vector<W> ws = {{"W1", 8 * nb, [&] { return w1(x); }},
                       {"W2", 12 * nb, [&] { return a * x + y; }},
                       {"W3", 4 * nb, [&] { return sum(x * x); }},
                       {"W4", 8 * mb, [&] { return softmax(m, -1); }},
                       {"W5", 8 * mb + 4 * cols, [&] { return maximum(m + b, 0.0); }}};
  for (const W& w : ws) {
    double host = 0;
    const double ms = median_ms(runs, [&] { w.f().eval(); }, &host);
    const double stream = streamed_ms(runs, kBatch, [&] { w.f().eval(); });
    const double gbps = w.bytes / ms / 1e6, stream_gbps = w.bytes / stream / 1e6;
    fmt::print("{} kiln_ms={:.3f} host_ms={:.3f} gbps={:.1f} of_copy={:.0f}% stream_ms={:.3f} stream_gbps={:.1f} "
               "stream_of_copy={:.0f}%\n",
               w.name, ms, host, gbps, 100 * gbps / copy, stream, stream_gbps, 100 * stream_gbps / copy);
  }
  // Matrix products: the tiled GEMM kernel, plain and with a transposed operand (read in
  // place); 64 elements of each result are checked against dot products in double on the host.
  const int64_t g = 4096;
  Array ga = random_uniform({g, g}, 5, DType::F32, -1, 1).eval(), gb = random_uniform({g, g}, 6, DType::F32, -1, 1).eval();
  struct P {
    const char* name;
    std::function<Array()> f;
  };
  const std::vector<float> ha = ga.to_vector<float>(), hb = gb.to_vector<float>();
  bool ok = true;
  for (const P& p : {P{"G1 a@b", [&] { return matmul(ga, gb); }}, P{"G2 a@b^T", [&] { return matmul(ga, transpose(gb)); }}}) {
    const double ms = streamed_ms(std::max(3, runs / 4), 3, [&] { p.f().eval(); });
    const bool transposed = p.name[1] == '2';
    const std::vector<float> c = p.f().to_vector<float>();
    double worst = 0;  // |error| / sum |a b| over 64 elements
    for (int64_t s = 0; s < 64; ++s) {
      const int64_t i = (s * 977) % g, j = (s * 613 + 5) % g;
      double dot = 0, mag = 0;
      for (int64_t q = 0; q < g; ++q) {
        const double x = ha[i * g + q], y = transposed ? hb[j * g + q] : hb[q * g + j];
        dot += x * y;
        mag += std::abs(x * y);
      }
      worst = std::max(worst, std::abs(c[i * g + j] - dot) / mag);
    }
    const bool good = worst < 1e-5;
    ok = ok && good;
    fmt::print("{} n={} kiln_ms={:.3f} gflops={:.0f} check={} max_rel_err={:.2g}\n", p.name, g, ms,
               2.0 * g * g * g / ms / 1e6, good ? "ok" : "FAIL", worst);
  }
  fflush(stdout);
  const bool disk = std::system(fmt::format("KILN_CACHE_DIR={} {} --disk-load", dir, argv[0]).c_str()) == 0;
  return disk && ok ? 0 : 1;
}
