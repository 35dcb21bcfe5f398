// Arrays in NumPy's .npy format, for exchanging data with NumPy and PyTorch programs.
//
// Loading accepts format versions 1.0, 2.0 and 3.0, the dtypes kiln has (bool `|b1`, `i4`,
// `i8`, `u4`, `f2`, `f4`, `f8`, in either byte order, and `bfloat16`, see below), C or
// Fortran order: big-endian data is byte-swapped and Fortran-order data transposed into
// kiln's little-endian row-major storage; bool bytes other than 0 read as true. Anything
// else (another dtype, a structured dtype, a malformed or truncated header or data, bytes
// after the data) is a ValueError naming the file and what is wrong; the reader never reads
// past what the header and the file's size allow, and allocates only what the file holds.
//
// Saving writes version 1.0 (2.0 for a header over 64 KiB), C order, little-endian, the
// header padded to 64 bytes as NumPy does, atomically (a temporary file renamed over PATH).
//
// bf16: NumPy has no bfloat16. kiln writes descr 'bfloat16', which np.load reads once the
// ml_dtypes package is imported (and refuses otherwise: never silently as other data).
// ml_dtypes itself saves bfloat16 arrays as the anonymous '<V2'; kiln reads '<V2' only when
// asked to (NpyOptions::void2_as), since a '<V2' file may hold any 2-byte data.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "frontend/array.hpp"

namespace kiln {

struct NpyOptions {
  std::optional<DType> void2_as;  // read descr '<V2' / '|V2' as this 2-byte dtype (bf16 or f16)
};

// Reads a .npy file into a new evaluated array.
Array load_npy(const std::string& path, const NpyOptions& options = {});
// Writes `a` (evaluated if needed) to `path`.
void save_npy(const std::string& path, const Array& a);

// The same from and to memory; `name` stands for the file in error messages.
Array npy_from_bytes(std::string_view bytes, std::string_view name = "<memory>", const NpyOptions& options = {});
std::string npy_to_bytes(const Array& a);

}  // namespace kiln
