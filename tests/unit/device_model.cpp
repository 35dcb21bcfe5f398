// The device model without a GPU: devices and their names, the default device and
// DeviceScope, the device-mixing error, literals going with any device, gradients on the
// device of their arrays, host access rules (and the abort of a host read of device memory),
// clear errors when the CUDA driver is missing (KILN_LIBCUDA), and that nothing links libcuda.
#include <dlfcn.h>
#include <unistd.h>
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <kiln/kiln.hpp>
#include <string>

#include "compiler/ir/node.hpp"

using namespace kiln;

namespace {

// An array that claims to live on cuda:0 without any GPU: an iota node built for that device.
// Only its device is used (nothing evaluates it).
Array fake_cuda_array() {
  Attrs a;
  a.axis = 0;
  a.device = Device::cuda(0);
  TensorType t{DType::F32, {4}};
  return Array(make_node(Op::Iota, {}, a, &t));
}

std::string self_path() {
  char exe[4096] = {};
  REQUIRE(readlink("/proc/self/exe", exe, sizeof exe - 1) > 0);
  return exe;
}

std::string run_command(const std::string& cmd, int& status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  status = pclose(p);
  return out;
}

}  // namespace

TEST_CASE("devices have names that parse back") {
  CHECK(Device::cpu().str() == "cpu");
  CHECK(Device::cuda(2).str() == "cuda:2");
  CHECK(parse_device("cpu") == Device::cpu());
  CHECK(parse_device("cuda") == Device::cuda(0));
  CHECK(parse_device("cuda:3") == Device::cuda(3));
  CHECK(Device::cuda(1) != Device::cuda(0));
  for (const char* bad : {"gpu", "cuda:", "cuda:-1", "cuda:1x", "CPU", ""}) CHECK_THROWS_AS(parse_device(bad), ValueError);
}

TEST_CASE("arrays live on the default device; DeviceScope nests and restores it") {
  const char* env = std::getenv("KILN_DEVICE");
  const Device outer = env && *env ? parse_device(env) : Device::cpu();
  CHECK(default_device() == outer);
  {
    DeviceScope cpu(Device::cpu());
    CHECK(default_device() == Device::cpu());
    CHECK(zeros({3}).device() == Device::cpu());
    if (cuda_available()) {
      DeviceScope gpu(Device::cuda(0));
      CHECK(default_device() == Device::cuda(0));
      CHECK(arange(5).device() == Device::cuda(0));
      {
        DeviceScope inner(Device::cpu());
        CHECK(arange(5).device() == Device::cpu());
      }
      CHECK(default_device() == Device::cuda(0));
    } else {
      CHECK_THROWS_AS(DeviceScope(Device::cuda(0)), DeviceError);
      CHECK(default_device() == Device::cpu());  // a failed scope changes nothing
    }
    CHECK(default_device() == Device::cpu());
  }
  CHECK(default_device() == outer);
}

TEST_CASE("an op on arrays of two devices is an error naming both") {
  DeviceScope cpu(Device::cpu());
  Array x = from_vector<float>({1, 2, 3, 4});
  Array g = fake_cuda_array();
  CHECK(g.device() == Device::cuda(0));
  try {
    (void)(x + g);
    FAIL("no error");
  } catch (const DeviceError& e) {
    const std::string m = e.what();
    CHECK(m.find("add") != std::string::npos);
    CHECK(m.find("cpu") != std::string::npos);
    CHECK(m.find("cuda:0") != std::string::npos);
    CHECK(m.find("device_model.cpp") != std::string::npos);  // the user's line
  }
  CHECK_THROWS_AS(where(g > 1.0f, x, x), DeviceError);
}

TEST_CASE("C++ numbers and scalar() literals go with arrays of any device") {
  DeviceScope cpu(Device::cpu());
  Array g = fake_cuda_array();
  CHECK((g * 2.0f + 1).device() == Device::cuda(0));
  CHECK((g + scalar(3.0)).device() == Device::cuda(0));
  CHECK(sum(g).device() == Device::cuda(0));
  CHECK((scalar(1.0) * from_vector<float>({1, 2})).device() == Device::cpu());
}

TEST_CASE("gradients of GPU arrays live on that GPU and combine with its arrays") {
  DeviceScope cpu(Device::cpu());  // constants the rules make must not land on the default device
  Array x = fake_cuda_array(), w = fake_cuda_array() * 3.0f;
  Array loss = sum(sin(x) * w + square(x) * 0.5f);
  std::vector<Array> g = grad(loss, {x, w});
  for (const Array& gi : g) CHECK(gi.device() == Device::cuda(0));
  CHECK(grad(sum(x), x).device() == Device::cuda(0));  // only constants: ones broadcast
  Array step = x - g[0] * 0.1f;                          // an SGD step: no device-mixing error
  CHECK(step.device() == Device::cuda(0));
  std::vector<Array> t = jvp({loss}, {x}, {x});
  CHECK(t[0].device() == Device::cuda(0));
}

TEST_CASE("host pointers of a GPU array are refused; cpu arrays read as before") {
  DeviceScope cpu(Device::cpu());
  Array g = fake_cuda_array();
  CHECK_THROWS_AS(g.data<float>(), DeviceError);
  CHECK_THROWS_AS(g.buffer(), DeviceError);
  Array x = from_vector<float>({1.5f, 2.5f});
  CHECK(x.to(Device::cpu()).node() == x.node());  // already there: the same array
  CHECK(x.data<float>()[1] == 2.5f);
  CHECK(x.to_vector<float>() == std::vector<float>{1.5f, 2.5f});
}

// A buffer that claims to hold 4 floats at a device address of cuda:0 (never dereferenced).
BufferPtr fake_device_buffer() {
  return Buffer::wrap_device(reinterpret_cast<void*>(uintptr_t{0x1000}), 4 * sizeof(float), Device::cuda(0), {});
}

TEST_CASE("device memory is never read on the host: such a read aborts with the reason") {
  if (const char* which = std::getenv("KILN_TEST_HOST_READ")) {  // the child: this aborts
    BufferPtr gpu = fake_device_buffer();
    if (std::string(which) == "buffer") {
      std::printf("%p\n", gpu->data());
    } else {
      // A node made for the cpu on an operand whose value is on cuda:0: a graph builder's bug.
      NodeRef x = make_param(TensorType{DType::F32, {4}}, "x", gpu);
      Array(make_node(Op::Neg, {x})).eval();
    }
    return;
  }
  CHECK(fake_device_buffer()->address() == reinterpret_cast<void*>(uintptr_t{0x1000}));
  for (const char* which : {"buffer", "evaluate"}) {
    int status = 0;
    std::string out = run_command(std::string("KILN_TEST_HOST_READ=") + which + " " + self_path() +
                                      " --test-case='device memory is never read*' 2>&1",
                                  status);
    INFO(which, ": ", out);
    CHECK(status != 0);
    CHECK(out.find("cuda:0") != std::string::npos);
  }
}

TEST_CASE("without a CUDA driver, CUDA calls raise a clear error and the cpu works") {
  const char* env = std::getenv("KILN_LIBCUDA");
  if (env == nullptr || std::string(env) != "/nonexistent/libcuda.so.1") {
    // The driver is loaded once per process: check in a fresh one with KILN_LIBCUDA set.
    int status = 0;
    std::string out = run_command(
        "KILN_LIBCUDA=/nonexistent/libcuda.so.1 KILN_DEVICE= " + self_path() + " "
        "--test-case='without a CUDA driver*' 2>&1",
        status);
    INFO(out);
    CHECK(status == 0);
    CHECK(out.find("1 passed") != std::string::npos);
    return;
  }
  std::string why;
  CHECK_FALSE(cuda_available(&why));
  CHECK(why.find("/nonexistent/libcuda.so.1") != std::string::npos);
  CHECK(cuda_device_count() == 0);
  try {
    cuda_device_properties(0);
    FAIL("no error");
  } catch (const DeviceError& e) {
    CHECK(std::string(e.what()).find("/nonexistent/libcuda.so.1") != std::string::npos);
  }
  CHECK_THROWS_AS(DeviceScope(Device::cuda(0)), DeviceError);
  Array x = from_vector<float>({1, 2, 3});
  CHECK_THROWS_AS(x.to(Device::cuda(0)), DeviceError);
  CHECK(sum(x * 2.0f).item<float>() == 12.0f);
}

TEST_CASE("neither libkiln nor this test links libcuda") {
  int status = 0;
  run_command("command -v ldd >/dev/null 2>&1", status);
  if (status != 0) {
    MESSAGE("skipped: no ldd on this machine");
    return;
  }
  Dl_info info{};
  REQUIRE(dladdr(reinterpret_cast<void*>(&cuda_device_count), &info) != 0);
  char exe[4096] = {};
  REQUIRE(readlink("/proc/self/exe", exe, sizeof exe - 1) > 0);
  for (std::string file : {std::string(exe), std::string(info.dli_fname)}) {
    std::string out = run_command("ldd " + file + " 2>&1", status);
    INFO(file << ":\n" << out);
    CHECK(status == 0);
    if (file == exe) CHECK(out.find("libkiln") != std::string::npos);
    CHECK(out.find("libcuda") == std::string::npos);
    CHECK(out.find("libnvrtc") == std::string::npos);
  }
}
