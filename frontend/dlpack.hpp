// DLPack interchange (dlpack.h, Debian libdlpack-dev): the C++ side of torch.from_dlpack /
// np.from_dlpack. Built only when dlpack.h is found at configure time (KILN_HAVE_DLPACK);
// include <kiln/dlpack.hpp> explicitly, kiln.hpp does not.
//
// Export shares memory: the DLManagedTensor points at the evaluated array's buffer and holds
// a reference to it, so the array may be dropped before the consumer is done; the consumer
// calls the deleter once (it frees the reference and the tensor). kiln arrays are immutable:
// the consumer must not write to the data. Strides are given explicitly (row-major).
//
// Import takes ownership of the tensor. A CPU tensor that is row-major and compact (strides
// null, or those of row-major order, where the stride of a size-1 dim does not matter) and
// whose data is aligned to its element size is wrapped without copying: the deleter runs
// when kiln no longer uses the memory, which the producer must keep unchanged until then.
// Any other layout (transposed, sliced, negative strides, misaligned) is copied into a new
// row-major buffer and the deleter runs before from_dlpack returns. On an error (a dtype kiln
// lacks, lanes != 1, a device kiln cannot use, bool bytes other than 0/1) from_dlpack throws
// (ValueError, or DeviceError for a CUDA device that is not there) and leaves the tensor to
// the caller (the deleter is not called).
//
// Devices: kDLCPU and kDLCUDAHost (pinned host memory) import as CPU arrays; kDLCUDA and
// kDLCUDAManaged as arrays on cuda:<device_id>. A GPU array exports as kDLCUDA. Streams: the
// C exchange has no stream argument, so export waits for kiln's work on the device (the data
// is complete for any stream), and import expects the producer to have finished writing.
// An imported device tensor is wrapped in place when compact (else copied through the host);
// when kiln lets go of it, it first waits for its own work on the device, then calls the
// deleter.
// dlpack.h 0.6 (Debian 12) has no DLManagedTensorVersioned; bool travels as DLPack's
// later kDLBool code (6), 8 bits, as NumPy and PyTorch write it.
#pragma once

#include <dlpack/dlpack.h>

#include "frontend/array.hpp"

namespace kiln {

// Evaluates `a` if needed and exports it. Never returns null.
DLManagedTensor* to_dlpack(const Array& a);

// Imports `t` (see above). Throws ValueError for a null tensor or one kiln cannot hold.
Array from_dlpack(DLManagedTensor* t);

}  // namespace kiln
