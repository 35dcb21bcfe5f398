// The CUDA device runtime on a GPU: properties, the caching allocator (reuse, out-of-memory
// retry and the error after it), transfers both ways (small, and large through pinned
// staging), computations on the device against the cpu, and host-access rules. Every test
// case skips with a message when no CUDA device is present (tests/gpu/run.sh runs them on
// a machine with one).
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <kiln/kiln.hpp>
#include <string>
#include <vector>

using namespace kiln;

namespace {

bool have_gpu() {
  std::string why;
  if (cuda_available(&why)) return true;
  // Printed once per test case, also without doctest's -s: a skip must be visible.
  std::fprintf(stderr, "skipped: no CUDA device (%s)\n", why.c_str());
  MESSAGE("skipped: no CUDA device (" << why << ")");
  return false;
}

}  // namespace

TEST_CASE("a CUDA device reports its name, compute capability and memory") {
  if (!have_gpu()) return;
  CHECK(cuda_device_count() >= 1);
  CudaDeviceProperties p = cuda_device_properties(0);
  MESSAGE("cuda:0 is " << p.name << ", sm_" << p.arch() << ", " << p.multiprocessors << " SMs, "
                       << p.total_memory / (1 << 20) << " MiB");
  CHECK(!p.name.empty());
  CHECK(p.major >= 5);
  CHECK(p.total_memory > 0);
  const int64_t free = cuda_free_memory(0);
  CHECK(free > 0);
  CHECK(free <= p.total_memory);
  CHECK_THROWS_AS(cuda_device_properties(cuda_device_count()), DeviceError);
}

TEST_CASE("freed device blocks are reused by size class") {
  if (!have_gpu()) return;
  void* first = nullptr;
  {
    BufferPtr a = cuda_allocate(0, 1000);
    CHECK(a->device() == Device::cuda(0));
    first = a->address();
  }
  const size_t cached = cuda_cache_free_bytes(0);
  CHECK(cached >= cuda_block_size(1000));
  BufferPtr b = cuda_allocate(0, 900);  // the same class (1 KiB)
  CHECK(b->address() == first);
  CHECK(cuda_cache_free_bytes(0) == cached - cuda_block_size(900));
  cuda_allocator_trim(0);
  CHECK(cuda_cache_free_bytes(0) == 0);
}

TEST_CASE("out of device memory: the cache is released and the allocation retried, then a clear error") {
  if (!have_gpu()) return;
  cuda_allocator_trim(0);
  const int64_t free0 = cuda_free_memory(0);
  const size_t quarter = static_cast<size_t>(free0 / 4) / (size_t{2} << 20) * (size_t{2} << 20);
  {
    BufferPtr hold = cuda_allocate(0, quarter);  // freed into the cache below
  }
  CHECK(cuda_cache_free_bytes(0) >= quarter);
  // More than is free now, less than free + cached: only the retry after release can serve it.
  const size_t big = static_cast<size_t>(cuda_free_memory(0)) + quarter / 2;
  BufferPtr b = cuda_allocate(0, big);
  CHECK(b->bytes() == big);
  CHECK(cuda_cache_free_bytes(0) == 0);
  b.reset();
  cuda_allocator_trim(0);
  const size_t huge = static_cast<size_t>(cuda_device_properties(0).total_memory) * 2;
  try {
    cuda_allocate(0, huge);
    FAIL("no error");
  } catch (const DeviceError& e) {
    const std::string m = e.what();
    CHECK(m.find("out of memory") != std::string::npos);
    CHECK(m.find(std::to_string(huge)) != std::string::npos);
    CHECK(m.find("free") != std::string::npos);
  }
}

TEST_CASE("transfers round trip, small and large (pinned staging)") {
  if (!have_gpu()) return;
  for (size_t n : {size_t{1}, size_t{1000}, (size_t{40} << 20) / 4 + 123}) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i % 100003) * 0.5f;
    Array host = from_vector(v);
    Array dev = host.to(Device::cuda(0));
    CHECK(dev.device() == Device::cuda(0));
    CHECK(dev.to_vector<float>() == v);  // implicit copy back
    Array back = dev.to(Device::cpu());
    CHECK(back.device() == Device::cpu());
    CHECK(std::vector<float>(back.data<float>(), back.data<float>() + n) == v);
    DeviceScope gpu(Device::cuda(0));
    CHECK(from_vector(v).to_vector<float>() == v);
  }
}

TEST_CASE("a lazy program runs on the device and matches the cpu") {
  if (!have_gpu()) return;
  auto program = [] {
    Array x = arange(0.0, 1 << 20, 1.0) / 1024.0;
    Array y = sin(x) * exp(-x * 0.001f) + 1;
    Array m = matmul(reshape(y, {1024, 1024}), reshape(cos(y), {1024, 1024}));
    return std::vector<Array>{sum(y), max(y), mean(m, 1)};
  };
  std::vector<Array> cpu, gpu;
  {
    DeviceScope s(Device::cpu());
    cpu = program();
  }
  {
    DeviceScope s(Device::cuda(0));
    gpu = program();
  }
  for (const Array& a : gpu) CHECK(a.device() == Device::cuda(0));
  eval(gpu);
  CHECK(gpu[0].item<float>() == doctest::Approx(cpu[0].item<float>()).epsilon(1e-5));
  CHECK(gpu[1].item<float>() == cpu[1].item<float>());
  std::vector<float> mg = gpu[2].to_vector<float>(), mc = cpu[2].to_vector<float>();
  REQUIRE(mg.size() == mc.size());
  for (size_t i = 0; i < mg.size(); ++i) CHECK(mg[i] == doctest::Approx(mc[i]).epsilon(1e-4));
}

TEST_CASE("host pointers of a device array are refused; mixing devices is refused") {
  if (!have_gpu()) return;
  Array g = from_vector<float>({1, 2, 3}).to(Device::cuda(0));
  CHECK_THROWS_AS(g.data<float>(), DeviceError);
  CHECK_THROWS_AS(g + from_vector<float>({1, 2, 3}), DeviceError);
  CHECK((g * 2).to_vector<float>() == std::vector<float>{2, 4, 6});
}
