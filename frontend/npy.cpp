// .npy reading and writing (npy.hpp).
//
// The header is a Python dict literal, `{'descr': '<f4', 'fortran_order': False, 'shape':
// (2, 3), }`, read here by a small scanner that accepts exactly the literals NumPy writes
// (quoted strings, True/False, tuples of integers). The data is read straight into the
// array's buffer once the file's size is known to match the header, then byte-swapped,
// normalised (bool) or transposed (Fortran order) in memory.
#include "frontend/npy.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>

#include "frontend/build.hpp"
#include "runtime/atomic_file.hpp"

namespace kiln {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kPrelude = 12;  // magic, version, and a 4-byte header length (2.0 and 3.0)

[[noreturn]] void bad(std::string_view name, const std::string& what) {
  throw ValueError(std::string(name) + ": not a valid .npy file: " + what);
}

struct Header {
  DType dtype = DType::F32;
  bool swap = false;  // big-endian data
  bool fortran = false;
  Shape shape;
  size_t data_offset = 0;
};

// The total size of the magic, version, length and header dict, from the first bytes.
size_t header_size(std::string_view head, std::string_view name) {
  if (head.size() < 10 || head.substr(0, kMagicLen) != std::string_view(kMagic, kMagicLen))
    bad(name, "it does not start with the .npy magic \\x93NUMPY");
  const auto major = static_cast<unsigned char>(head[6]), minor = static_cast<unsigned char>(head[7]);
  if (minor != 0 || major < 1 || major > 3)
    bad(name, "format version " + std::to_string(major) + "." + std::to_string(minor) + " (known: 1.0, 2.0, 3.0)");
  auto byte = [&](size_t i) { return static_cast<size_t>(static_cast<unsigned char>(head[i])); };
  if (major == 1) return 10 + (byte(8) | byte(9) << 8);
  if (head.size() < kPrelude) bad(name, "the file ends inside the header length");
  return kPrelude + (byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24);
}

// A scanner over the header dict.
class DictScanner {
 public:
  DictScanner(std::string_view text, std::string_view name) : s_(text), name_(name) {}
  void space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool take(char c) {
    space();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  void expect(char c) {
    if (!take(c)) fail(std::string("expected '") + c + "'");
  }
  std::string string() {
    space();
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) fail("expected a quoted string");
    const char q = s_[i_++];
    size_t end = s_.find(q, i_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string out(s_.substr(i_, end - i_));
    i_ = end + 1;
    return out;
  }
  bool boolean() {
    space();
    for (auto [word, v] : {std::pair{"True", true}, std::pair{"False", false}})
      if (s_.substr(i_, std::strlen(word)) == word) return i_ += std::strlen(word), v;
    fail("expected True or False");
  }
  Shape tuple() {
    expect('(');
    Shape shape;
    while (!take(')')) {
      if (!shape.empty()) expect(',');
      if (take(')')) break;  // (3,)
      space();
      int64_t v = 0;
      size_t start = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
        if (v > (INT64_MAX - 9) / 10) fail("a dimension out of range");
        v = v * 10 + (s_[i_++] - '0');
      }
      if (i_ == start) fail("expected a non-negative integer dimension");
      if (i_ < s_.size() && s_[i_] == 'L') ++i_;  // written by Python 2
      if (shape.size() == static_cast<size_t>(kMaxRank)) fail("more than " + std::to_string(kMaxRank) + " dimensions");
      shape.push_back(v);
    }
    return shape;
  }
  bool at(char c) {
    space();
    return i_ < s_.size() && s_[i_] == c;
  }
  bool done() {
    space();
    return i_ == s_.size();
  }
  [[noreturn]] void fail(const std::string& what) const {
    bad(name_, "header at byte " + std::to_string(i_) + ": " + what);
  }

 private:
  std::string_view s_;
  std::string_view name_;
  size_t i_ = 0;
};

// The dtype of descr `d`; sets `swap` for big-endian data.
DType dtype_of_descr(const std::string& d, bool& swap, std::string_view name, const NpyOptions& options) {
  if (d == "bfloat16") return DType::BF16;
  if (d.size() == 3 && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=')) {
    swap = d[0] == '>';
    const std::string code = d.substr(1);
    if (code == "b1") return DType::Bool;
    if (code == "i4") return DType::I32;
    if (code == "i8") return DType::I64;
    if (code == "u4") return DType::U32;
    if (code == "f2") return DType::F16;
    if (code == "f4") return DType::F32;
    if (code == "f8") return DType::F64;
    if (code == "V2" && options.void2_as) return *options.void2_as;
    if (code == "V2")
      bad(name, "dtype '" + d + "' is anonymous 2-byte data (ml_dtypes writes bfloat16 so): read it with "
                "NpyOptions{.void2_as = bf16}");
  }
  bad(name, "dtype '" + d + "' is not one of kiln's (|b1, i4, i8, u4, f2, f4, f8 in either byte order, bfloat16)");
}

Header parse_header(std::string_view bytes, std::string_view name, const NpyOptions& options) {
  Header h;
  h.data_offset = bytes.size();
  const size_t start = bytes.size() >= kPrelude && static_cast<unsigned char>(bytes[6]) >= 2 ? kPrelude : 10;
  DictScanner sc(bytes.substr(start), name);
  bool have_descr = false, have_order = false, have_shape = false;
  sc.expect('{');
  while (!sc.take('}')) {
    if (have_descr || have_order || have_shape) {
      sc.expect(',');
      if (sc.take('}')) break;
    }
    std::string key = sc.string();
    sc.expect(':');
    if (key == "descr" && !have_descr) {
      if (sc.at('[')) sc.fail("a structured dtype (a list of fields), which kiln does not read");
      h.dtype = dtype_of_descr(sc.string(), h.swap, name, options);
      have_descr = true;
    } else if (key == "fortran_order" && !have_order) {
      h.fortran = sc.boolean();
      have_order = true;
    } else if (key == "shape" && !have_shape) {
      h.shape = sc.tuple();
      have_shape = true;
    } else {
      sc.fail("key '" + key + "' is unknown or repeated");
    }
  }
  if (!sc.done()) sc.fail("text after the dict");
  if (!have_descr || !have_order || !have_shape) sc.fail("the dict lacks 'descr', 'fortran_order' or 'shape'");
  try {
    checked_numel(h.shape, "shape");
  } catch (const ValueError& e) {
    bad(name, e.what());
  }
  if (dtype_size(h.dtype) == 1) h.swap = false;
  return h;
}

size_t data_bytes(const Header& h, std::string_view name) {
  const int64_t n = numel(h.shape), size = dtype_size(h.dtype);
  if (n > INT64_MAX / size) bad(name, "the shape holds more bytes than any file");
  return static_cast<size_t>(n * size);
}

// Byte order, bool bytes and Fortran order of freshly read data, in place or into a new buffer.
BufferPtr normalise(BufferPtr data, const Header& h) {
  const size_t size = static_cast<size_t>(dtype_size(h.dtype)), n = static_cast<size_t>(numel(h.shape));
  auto* p = static_cast<unsigned char*>(data->data());
  if (h.swap)
    for (size_t i = 0; i < n; ++i) std::reverse(p + i * size, p + (i + 1) * size);
  if (h.dtype == DType::Bool)
    for (size_t i = 0; i < n; ++i) p[i] = p[i] != 0;
  if (!h.fortran || h.shape.size() < 2) return data;
  BufferPtr out = Buffer::allocate(data->bytes());
  auto* q = static_cast<unsigned char*>(out->data());
  const size_t rank = h.shape.size();
  std::vector<int64_t> index(rank, 0);
  for (size_t i = 0; i < n; ++i) {  // i: row-major position; index: its coordinates
    size_t f = 0, stride = 1;
    for (size_t d = 0; d < rank; ++d) {
      f += static_cast<size_t>(index[d]) * stride;
      stride *= static_cast<size_t>(h.shape[d]);
    }
    std::memcpy(q + i * size, p + f * size, size);
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < h.shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

Array make_array(const Header& h, BufferPtr data) {
  return Array(make_param({h.dtype, h.shape}, "", normalise(std::move(data), h)));
}

std::string descr_of(DType t) {
  switch (t) {
    case DType::Bool: return "|b1";
    case DType::I32: return "<i4";
    case DType::I64: return "<i8";
    case DType::U32: return "<u4";
    case DType::F16: return "<f2";
    case DType::BF16: return "bfloat16";
    case DType::F32: return "<f4";
    case DType::F64: return "<f8";
  }
  KILN_CHECK(false) << "no .npy descr for dtype " << static_cast<int>(t);
  return "";
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

Array npy_from_bytes(std::string_view bytes, std::string_view name, const NpyOptions& options) {
  const size_t total = header_size(bytes, name);
  if (total > bytes.size()) bad(name, "the file ends inside the header (" + std::to_string(total) + " bytes)");
  Header h = parse_header(bytes.substr(0, total), name, options);
  const size_t need = data_bytes(h, name), have = bytes.size() - total;
  if (have != need)
    bad(name, "the data is " + std::to_string(have) + " bytes, the header says " + std::to_string(need));
  BufferPtr data = Buffer::allocate(need);
  if (need) std::memcpy(data->data(), bytes.data() + total, need);
  return make_array(h, std::move(data));
}

Array load_npy(const std::string& path, const NpyOptions& options) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  struct stat st {};
  if (!f || ::fstat(fileno(f.get()), &st) != 0)
    throw RuntimeError("load_npy: cannot open '" + path + "': " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw ValueError("load_npy: '" + path + "' is not a regular file");
  const auto file_size = static_cast<size_t>(st.st_size);
  std::string head(std::min(file_size, kPrelude), '\0');
  if (std::fread(head.data(), 1, head.size(), f.get()) != head.size()) bad(path, "cannot read its first bytes");
  const size_t total = header_size(head, path);
  if (total > file_size) bad(path, "the file ends inside the header (" + std::to_string(total) + " bytes)");
  head.resize(total);
  const size_t rest = total - std::min(total, kPrelude);
  if (std::fread(head.data() + (total - rest), 1, rest, f.get()) != rest) bad(path, "cannot read its header");
  Header h = parse_header(head, path, options);
  const size_t need = data_bytes(h, path), have = file_size - total;
  if (have != need) bad(path, "the data is " + std::to_string(have) + " bytes, the header says " + std::to_string(need));
  BufferPtr data = Buffer::allocate(need);
  if (std::fread(data->data(), 1, need, f.get()) != need) bad(path, "cannot read " + std::to_string(need) + " bytes of data");
  return make_array(h, std::move(data));
}

std::string npy_to_bytes(const Array& a) {
  BufferPtr data = a.buffer();
  std::string shape = "(";
  for (size_t i = 0; i < a.shape().size(); ++i) shape += (i ? ", " : "") + std::to_string(a.shape()[i]);
  shape += a.shape().size() == 1 ? ",)" : ")";
  std::string dict = "{'descr': '" + descr_of(a.dtype()) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic, version, length, dict, padding spaces and '\n': a multiple of 64 bytes.
  const bool v2 = dict.size() + 1 + 10 > 65535;
  const size_t prefix = v2 ? kPrelude : 10;
  dict.append((64 - (prefix + dict.size() + 1) % 64) % 64, ' ');
  dict += '\n';
  std::string out(kMagic, kMagicLen);
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  for (size_t i = 0; i < (v2 ? 4u : 2u); ++i) out += static_cast<char>((dict.size() >> (8 * i)) & 0xff);
  out += dict;
  out.append(static_cast<const char*>(data->data()), static_cast<size_t>(a.size()) * dtype_size(a.dtype()));
  return out;
}

void save_npy(const std::string& path, const Array& a) {
  std::string error = detail::write_file_atomically(path, npy_to_bytes(a));
  if (!error.empty()) throw RuntimeError("save_npy: " + error);
}

}  // namespace kiln
