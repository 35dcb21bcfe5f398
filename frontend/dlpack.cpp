// DLPack export and import (dlpack.hpp).
#include "frontend/dlpack.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "runtime/cuda_device.hpp"
#include "runtime/log.hpp"

namespace kiln {
namespace {

constexpr uint8_t kDLBoolCode = 6;  // kDLBool of DLPack 0.8+; dlpack.h 0.6 lacks the name

// What an exported tensor owns: the buffer reference and the arrays its DLTensor points to.
struct ExportContext {
  DLManagedTensor tensor{};
  BufferPtr buffer;
  std::vector<int64_t> shape, strides;
};

void delete_export(DLManagedTensor* t) { delete static_cast<ExportContext*>(t->manager_ctx); }

DLDataType dl_type(DType t) {
  switch (t) {
    case DType::Bool: return {kDLBoolCode, 8, 1};
    case DType::I32: return {kDLInt, 32, 1};
    case DType::I64: return {kDLInt, 64, 1};
    case DType::U32: return {kDLUInt, 32, 1};
    case DType::F16: return {kDLFloat, 16, 1};
    case DType::BF16: return {kDLBfloat, 16, 1};
    case DType::F32: return {kDLFloat, 32, 1};
    case DType::F64: return {kDLFloat, 64, 1};
  }
  KILN_CHECK(false) << "no DLPack type for dtype " << static_cast<int>(t);
  return {};
}

DType kiln_type(DLDataType t) {
  const std::string what = "from_dlpack: dtype (code " + std::to_string(t.code) + ", " + std::to_string(t.bits) +
                           " bits, " + std::to_string(t.lanes) + " lanes)";
  if (t.lanes != 1) throw ValueError(what + ": vector types are not supported");
  for (int i = 0; i < kNumDTypes; ++i) {
    DLDataType d = dl_type(static_cast<DType>(i));
    if (d.code == t.code && d.bits == t.bits) return static_cast<DType>(i);
  }
  throw ValueError(what + " is not one of kiln's (bool, i32, i64, u32, f16, bf16, f32, f64)");
}

bool compact_row_major(const DLTensor& t) {
  if (!t.strides) return true;
  int64_t expected = 1;
  for (int d = t.ndim - 1; d >= 0; --d) {
    if (t.shape[d] != 1 && t.strides[d] != expected) return false;
    expected *= t.shape[d];
  }
  return true;
}

// The elements of a strided tensor gathered in row-major order into `out`.
void gather(const DLTensor& t, const Shape& shape, size_t size, char* out) {
  const char* base = static_cast<const char*>(t.data) + t.byte_offset;
  const int64_t n = numel(shape);
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t offset = 0;
    for (size_t d = 0; d < shape.size(); ++d) offset += index[d] * t.strides[d];
    std::memcpy(out + static_cast<size_t>(i) * size, base + offset * static_cast<int64_t>(size), size);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

// The device a tensor's memory is on, as kiln names it; throws for one kiln cannot use.
Device device_of(const DLDevice& d) {
  switch (d.device_type) {
    case kDLCPU:
    case kDLCUDAHost: return Device::cpu();
    case kDLCUDA:
    case kDLCUDAManaged: {
      const int count = cuda_device_count();
      if (d.device_id < 0 || d.device_id >= count)
        throw DeviceError(fmt::format("from_dlpack: a tensor on CUDA device {}, but {} CUDA device{} present",
                                      d.device_id, count, count == 1 ? " is" : "s are"));
      return Device::cuda(d.device_id);
    }
    default: break;
  }
  throw ValueError(fmt::format("from_dlpack: device type {} (kiln takes kDLCPU, kDLCUDAHost, kDLCUDA, kDLCUDAManaged)",
                               static_cast<int>(d.device_type)));
}

// The elements of a strided device tensor, copied through the host into a new row-major
// device buffer: the span its strides reach is downloaded, gathered, and uploaded.
BufferPtr gather_device(const DLTensor& t, const Shape& shape, size_t size, int index) {
  int64_t lo = 0, hi = 0;  // element offsets reached, relative to data + byte_offset
  for (size_t d = 0; d < shape.size(); ++d) {
    const int64_t reach = (shape[d] - 1) * t.strides[d];
    (reach < 0 ? lo : hi) += reach;
  }
  const size_t span = static_cast<size_t>(hi - lo + 1) * size;
  const char* first = static_cast<const char*>(t.data) + t.byte_offset + lo * static_cast<int64_t>(size);
  std::vector<char> staged(span), packed(static_cast<size_t>(numel(shape)) * size);
  cuda_download(*Buffer::wrap_device(const_cast<char*>(first), span, Device::cuda(index), nullptr), staged.data(), span);
  DLTensor host = t;
  host.data = staged.data();
  host.byte_offset = static_cast<uint64_t>(-lo * static_cast<int64_t>(size));
  gather(host, shape, size, packed.data());
  return cuda_upload(index, packed.data(), packed.size());
}

void check_bools(const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] > 1) throw ValueError("from_dlpack: a bool byte other than 0 or 1");
}

// Imports a device tensor (see dlpack.hpp); the checks of from_dlpack are done.
BufferPtr import_device(DLManagedTensor* m, const Shape& shape, DType dtype, int index) {
  const DLTensor& t = m->dl_tensor;
  const size_t size = static_cast<size_t>(dtype_size(dtype)), bytes = static_cast<size_t>(numel(shape)) * size;
  char* data = static_cast<char*>(t.data) + t.byte_offset;
  const bool in_place = bytes == 0 || (compact_row_major(t) && reinterpret_cast<uintptr_t>(data) % size == 0);
  BufferPtr elements;  // the row-major elements: the tensor's memory, or a copy
  if (in_place) {
    elements = Buffer::wrap_device(bytes ? data : nullptr, bytes, Device::cuda(index), nullptr);
  } else if (t.strides) {
    elements = gather_device(t, shape, size, index);
  } else {  // compact but misaligned: the bytes as they are
    std::vector<char> staged(bytes);
    cuda_download(*Buffer::wrap_device(data, bytes, Device::cuda(index), nullptr), staged.data(), bytes);
    elements = cuda_upload(index, staged.data(), bytes);
  }
  if (dtype == DType::Bool && bytes > 0) {  // before the tensor is kiln's: an error leaves it to the caller
    std::vector<unsigned char> check(bytes);
    cuda_download(*elements, check.data(), bytes);
    check_bools(check.data(), bytes);
  }
  if (!in_place) {
    if (m->deleter) m->deleter(m);
    return elements;
  }
  return Buffer::wrap_device(bytes ? data : nullptr, bytes, Device::cuda(index), [m, index](void*) {
    try {
      cuda_synchronize(index);  // kiln's launches reading the memory are done
    } catch (const Error& e) {
      log(LogLevel::Warn, "from_dlpack: waiting for cuda:{} before releasing an imported tensor: {}", index, e.what());
    }
    if (m->deleter) m->deleter(m);
  });
}

}  // namespace

DLManagedTensor* to_dlpack(const Array& a) {
  auto ctx = std::make_unique<ExportContext>();
  ctx->buffer = a.device_buffer();
  const Device device = ctx->buffer->device();
  if (device.is_cuda()) cuda_synchronize(device.index);  // the data complete for any stream
  ctx->shape = a.shape();
  ctx->strides.assign(ctx->shape.size(), 1);
  for (size_t d = ctx->shape.size(); d-- > 1;) ctx->strides[d - 1] = ctx->strides[d] * ctx->shape[d];
  DLTensor& t = ctx->tensor.dl_tensor;
  t.data = ctx->buffer->address();
  t.device = device.is_cuda() ? DLDevice{kDLCUDA, device.index} : DLDevice{kDLCPU, 0};
  t.ndim = static_cast<int>(ctx->shape.size());
  t.dtype = dl_type(a.dtype());
  t.shape = ctx->shape.data();
  t.strides = ctx->strides.data();
  t.byte_offset = 0;
  ctx->tensor.manager_ctx = ctx.get();
  ctx->tensor.deleter = delete_export;
  return &ctx.release()->tensor;
}

Array from_dlpack(DLManagedTensor* m) {
  if (!m) throw ValueError("from_dlpack: null tensor");
  const DLTensor& t = m->dl_tensor;
  const DType dtype = kiln_type(t.dtype);
  if (t.ndim < 0 || t.ndim > kMaxRank || (t.ndim > 0 && !t.shape))
    throw ValueError("from_dlpack: rank " + std::to_string(t.ndim) + " without a valid shape");
  Shape shape(t.shape, t.shape + t.ndim);
  for (int64_t d : shape)
    if (d < 0) throw ValueError("from_dlpack: negative dim in shape " + shape_str(shape));
  checked_numel(shape, "from_dlpack shape");
  const size_t size = static_cast<size_t>(dtype_size(dtype)), bytes = static_cast<size_t>(numel(shape)) * size;
  if (bytes && !t.data) throw ValueError("from_dlpack: null data for shape " + shape_str(shape));
  const Device device = device_of(t.device);
  if (device.is_cuda()) {
    BufferPtr buffer = import_device(m, shape, dtype, device.index);
    return Array(make_param({dtype, std::move(shape)}, "", std::move(buffer)));
  }
  char* data = static_cast<char*>(t.data) + t.byte_offset;
  const bool aligned = reinterpret_cast<uintptr_t>(data) % size == 0;
  const bool in_place = bytes == 0 || (compact_row_major(t) && aligned);
  BufferPtr buffer;
  if (in_place) {
    if (dtype == DType::Bool)
      for (size_t i = 0; i < bytes; ++i)
        if (static_cast<unsigned char>(data[i]) > 1) throw ValueError("from_dlpack: a bool byte other than 0 or 1");
    buffer = Buffer::wrap(bytes ? data : nullptr, bytes, [m](void*) {
      if (m->deleter) m->deleter(m);
    });
  } else {
    buffer = Buffer::allocate(bytes);
    if (t.strides)
      gather(t, shape, size, static_cast<char*>(buffer->data()));
    else
      std::memcpy(buffer->data(), data, bytes);  // compact but misaligned
    if (dtype == DType::Bool)
      for (size_t i = 0; i < bytes; ++i)
        if (static_cast<unsigned char*>(buffer->data())[i] > 1) throw ValueError("from_dlpack: a bool byte other than 0 or 1");
    if (m->deleter) m->deleter(m);
  }
  return Array(make_param({dtype, std::move(shape)}, "", std::move(buffer)));
}

}  // namespace kiln
