// DLPack: export and import share memory (same data pointer), strided tensors are copied,
// and the exporter's array may die before the consumer calls the deleter.
#include <doctest/doctest.h>
#include <kiln/dlpack.hpp>
#include <kiln/kiln.hpp>

#include "runtime/cuda_device.hpp"

using namespace kiln;

namespace {

// A tensor over caller memory whose deleter counts its calls.
struct Borrowed {
  DLManagedTensor m{};
  std::vector<int64_t> shape, strides;
  int* deleted;
};

DLManagedTensor* borrowed(void* data, DLDataType type, std::vector<int64_t> shape, std::vector<int64_t> strides,
                          int* deleted, uint64_t byte_offset = 0) {
  auto* b = new Borrowed{{}, std::move(shape), std::move(strides), deleted};
  b->m.dl_tensor.data = data;
  b->m.dl_tensor.device = {kDLCPU, 0};
  b->m.dl_tensor.ndim = static_cast<int>(b->shape.size());
  b->m.dl_tensor.dtype = type;
  b->m.dl_tensor.shape = b->shape.data();
  b->m.dl_tensor.strides = b->strides.empty() ? nullptr : b->strides.data();
  b->m.dl_tensor.byte_offset = byte_offset;
  b->m.manager_ctx = b;
  b->m.deleter = [](DLManagedTensor* t) {
    auto* self = static_cast<Borrowed*>(t->manager_ctx);
    ++*self->deleted;
    delete self;
  };
  return &b->m;
}

}  // namespace

TEST_CASE("export then import shares the buffer: same data pointer, values and type") {
  Array a = (arange(0, 6, 1, f32) * 2).reshape({2, 3});
  const float* p = a.data<float>();
  DLManagedTensor* t = to_dlpack(a);
  CHECK(t->dl_tensor.data == p);
  CHECK(t->dl_tensor.ndim == 2);
  CHECK(t->dl_tensor.strides[0] == 3);
  CHECK(t->dl_tensor.strides[1] == 1);
  CHECK(t->dl_tensor.dtype.code == kDLFloat);
  CHECK(t->dl_tensor.dtype.bits == 32);
  Array b = from_dlpack(t);
  CHECK(b.data<float>() == p);
  CHECK(b.shape() == Shape{2, 3});
  CHECK(b.to_vector<float>() == std::vector<float>{0, 2, 4, 6, 8, 10});
  CHECK((b + 1).to_vector<float>() == std::vector<float>{1, 3, 5, 7, 9, 11});
}

TEST_CASE("every dtype exports and imports to itself") {
  for (int d = 0; d < kNumDTypes; ++d) {
    const DType t = static_cast<DType>(d);
    Array a = t == bool_ ? arange(4) % 2 == 0 : arange(4).astype(t);
    Array b = from_dlpack(to_dlpack(a));
    CHECK(b.dtype() == t);
    CHECK(b.to_vector<double>() == a.to_vector<double>());
  }
}

TEST_CASE("the exporter may drop its array before the consumer reads and deletes") {
  DLManagedTensor* t = nullptr;
  {
    Array a = arange(0, 1000, 1, f64);
    t = to_dlpack(a);
  }
  const double* d = static_cast<const double*>(t->dl_tensor.data);
  CHECK(d[999] == 999.0);
  t->deleter(t);
}

TEST_CASE("an imported tensor's deleter runs once, when kiln no longer uses its memory") {
  float data[4] = {1, 2, 3, 4};
  int deleted = 0;
  {
    Array a = from_dlpack(borrowed(data, {kDLFloat, 32, 1}, {4}, {}, &deleted));
    CHECK(a.data<float>() == data);
    Array s = sum(a);
    CHECK(s.item<float>() == 10.0f);
    CHECK(deleted == 0);
  }
  CHECK(deleted == 1);
}

TEST_CASE("row-major strides (any stride on a size-1 dim) import without a copy") {
  int32_t data[6] = {0, 1, 2, 3, 4, 5};
  int deleted = 0;
  {
    Array a = from_dlpack(borrowed(data, {kDLInt, 32, 1}, {2, 1, 3}, {3, 99, 1}, &deleted));
    CHECK(a.data<int32_t>() == data);
  }
  CHECK(deleted == 1);
}

TEST_CASE("strided tensors are copied into row-major order and released at once") {
  float data[6] = {0, 1, 2, 3, 4, 5};  // a 2x3 matrix
  int deleted = 0;
  Array t = from_dlpack(borrowed(data, {kDLFloat, 32, 1}, {3, 2}, {1, 3}, &deleted));  // its transpose
  CHECK(deleted == 1);
  CHECK(t.data<float>() != data);
  CHECK(t.to_vector<float>() == std::vector<float>{0, 3, 1, 4, 2, 5});
  Array r = from_dlpack(borrowed(data + 5, {kDLFloat, 32, 1}, {3}, {-2}, &deleted));  // reversed, every other
  CHECK(r.to_vector<float>() == std::vector<float>{5, 3, 1});
  Array o = from_dlpack(borrowed(data, {kDLFloat, 32, 1}, {2}, {}, &deleted, 2));  // misaligned by 2 bytes
  CHECK(o.data<float>() != reinterpret_cast<float*>(reinterpret_cast<char*>(data) + 2));
  CHECK(o.size() == 2);
  CHECK(deleted == 3);
}

TEST_CASE("pinned host memory (kDLCUDAHost) imports as a CPU array without a copy") {
  float data[3] = {1, 2, 3};
  int deleted = 0;
  DLManagedTensor* t = borrowed(data, {kDLFloat, 32, 1}, {3}, {}, &deleted);
  t->dl_tensor.device = {kDLCUDAHost, 0};
  Array a = from_dlpack(t);
  CHECK(a.device() == Device::cpu());
  CHECK(a.data<float>() == data);
  CHECK(a.to_vector<float>() == std::vector<float>{1, 2, 3});
}

TEST_CASE("tensors kiln cannot hold are errors and stay the caller's") {
  float data[4] = {};
  int deleted = 0;
  DLManagedTensor* c8 = borrowed(data, {kDLInt, 8, 1}, {4}, {}, &deleted);
  CHECK_THROWS_WITH_AS(from_dlpack(c8), doctest::Contains("not one of kiln's"), ValueError);
  DLManagedTensor* lanes = borrowed(data, {kDLFloat, 32, 2}, {2}, {}, &deleted);
  CHECK_THROWS_WITH_AS(from_dlpack(lanes), doctest::Contains("vector types"), ValueError);
  // A CUDA device that is not there (device 99 on any machine; device 0 without a GPU).
  DLManagedTensor* gpu = borrowed(data, {kDLFloat, 32, 1}, {4}, {}, &deleted);
  gpu->dl_tensor.device = {kDLCUDA, 99};
  CHECK_THROWS_WITH_AS(from_dlpack(gpu), doctest::Contains("CUDA device 99"), DeviceError);
  if (cuda_device_count() == 0) {
    gpu->dl_tensor.device = {kDLCUDAManaged, 0};
    CHECK_THROWS_WITH_AS(from_dlpack(gpu), doctest::Contains("0 CUDA devices are present"), DeviceError);
  }
  DLManagedTensor* opencl = borrowed(data, {kDLFloat, 32, 1}, {4}, {}, &deleted);
  opencl->dl_tensor.device = {kDLOpenCL, 0};
  CHECK_THROWS_WITH_AS(from_dlpack(opencl), doctest::Contains("device type 4"), ValueError);
  uint8_t bools[2] = {1, 5};
  DLManagedTensor* b = borrowed(bools, {6, 8, 1}, {2}, {}, &deleted);
  CHECK_THROWS_WITH_AS(from_dlpack(b), doctest::Contains("bool byte"), ValueError);
  CHECK(deleted == 0);
  for (DLManagedTensor* t : {c8, lanes, gpu, opencl, b}) t->deleter(t);
  CHECK(deleted == 5);
  CHECK_THROWS_AS(from_dlpack(nullptr), ValueError);
}

TEST_CASE("GPU arrays export as kDLCUDA; CUDA tensors import in place, or copied when strided") {
  std::string why;
  if (!cuda_available(&why)) {
    MESSAGE("skipped: no CUDA device: ", why);
    return;
  }
  DeviceScope gpu(Device::cuda(0));
  Array a = arange(0, 12, 1, f32).reshape({3, 4}) * 2.0f;
  DLManagedTensor* t = to_dlpack(a);
  CHECK(t->dl_tensor.device.device_type == kDLCUDA);
  CHECK(t->dl_tensor.device.device_id == 0);
  void* address = a.device_buffer()->address();
  CHECK(t->dl_tensor.data == address);
  Array b = from_dlpack(t);  // compact: the same device memory
  CHECK(b.device() == Device::cuda(0));
  CHECK(b.device_buffer()->address() == address);
  std::vector<float> want(12);
  for (int i = 0; i < 12; ++i) want[static_cast<size_t>(i)] = 2.0f * static_cast<float>(i);
  CHECK(b.to_vector<float>() == want);
  CHECK((b + 1.0f).to_vector<float>()[11] == 23.0f);
  // The transposed view of the same memory through strides: copied into a new buffer.
  DLManagedTensor* u = to_dlpack(a);
  u->dl_tensor.shape[0] = 4;
  u->dl_tensor.shape[1] = 3;
  u->dl_tensor.strides[0] = 1;
  u->dl_tensor.strides[1] = 4;
  Array c = from_dlpack(u);
  CHECK(c.device() == Device::cuda(0));
  CHECK(c.device_buffer()->address() != address);
  CHECK(c.to_vector<float>() == transpose(a).to_vector<float>());
  // A negative stride (flipped rows) reaches below the data pointer; the copy handles it.
  DLManagedTensor* f = to_dlpack(a);
  f->dl_tensor.byte_offset = 8 * sizeof(float);  // row 2
  f->dl_tensor.strides[0] = -4;
  Array flipped = from_dlpack(f);
  CHECK(flipped.to_vector<float>() == flip(a, 0).to_vector<float>());
}
