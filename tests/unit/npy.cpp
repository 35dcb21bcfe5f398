// .npy files: round trips of every dtype and rank, files NumPy wrote (tests/data/npy, made
// by make_fixtures.py there), and malformed files that must be errors naming the problem.
#include <doctest/doctest.h>
#include <kiln/kiln.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

using namespace kiln;

namespace {

std::string fixture(const std::string& name) {
  const char* dir = std::getenv("KILN_TEST_DATA");
  REQUIRE(dir != nullptr);
  return std::string(dir) + "/npy/" + name;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("kiln-npy-" + std::to_string(::getpid()) + "-" + name)).string();
}

// An array of dtype t and the given shape whose elements differ from each other.
Array sample(DType t, const Shape& shape) {
  Array a = arange(0, static_cast<double>(numel(shape)), 1, f64).reshape(shape);
  return t == bool_ ? (a.astype(i64) % 3 == 0) : (a * 1.5 - 4).astype(t);
}

std::vector<uint8_t> bytes_of(const Array& a) {
  BufferPtr b = a.buffer();
  const auto* p = static_cast<const uint8_t*>(b->data());
  return std::vector<uint8_t>(p, p + static_cast<size_t>(a.size()) * dtype_size(a.dtype()));
}

void check_error(std::string_view bytes, const std::string& needle) {
  try {
    npy_from_bytes(bytes, "bad.npy");
    FAIL("no error for a file that should give: " << needle);
  } catch (const ValueError& e) {
    CHECK_MESSAGE(std::string(e.what()).find("bad.npy") != std::string::npos, e.what());
    CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos, e.what());
  }
}

// A version 1.0 file with the given header dict and data.
std::string npy_file(const std::string& dict, std::string_view data) {
  std::string h = dict + "\n";
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  return out + h + std::string(data);
}

}  // namespace

TEST_CASE("every dtype and rank 0 to 4 round-trips through a .npy file bit for bit") {
  const std::vector<Shape> shapes = {{}, {5}, {2, 3}, {2, 1, 3}, {2, 3, 1, 2}, {0, 3}};
  for (int d = 0; d < kNumDTypes; ++d) {
    for (const Shape& shape : shapes) {
      const DType t = static_cast<DType>(d);
      Array a = sample(t, shape);
      const std::string path = temp_path("roundtrip.npy");
      save_npy(path, a);
      Array b = load_npy(path);
      std::filesystem::remove(path);
      CHECK(b.dtype() == t);
      CHECK(b.shape() == shape);
      CHECK(bytes_of(b) == bytes_of(a));
      CHECK(npy_to_bytes(a).size() % 64 == bytes_of(a).size() % 64);  // header padded to 64 bytes
    }
  }
}

TEST_CASE("files written by NumPy load with their values, Fortran order and big-endian converted") {
  CHECK(load_npy(fixture("f32_2x3.npy")).to_vector<float>() == std::vector<float>{0, 0.25, 0.5, 0.75, 1, 1.25});
  Array f = load_npy(fixture("f64_fortran_3x4.npy"));
  CHECK(f.shape() == Shape{3, 4});
  std::vector<double> want;
  for (int i = 0; i < 12; ++i) want.push_back(i - 5.5);
  CHECK(f.to_vector<double>() == want);
  CHECK(load_npy(fixture("i32_big_endian_5.npy")).to_vector<int32_t>() == std::vector<int32_t>{-2000, -1000, 0, 1000, 2000});
  Array g = load_npy(fixture("i64_fortran_big_endian_2x3x2.npy"));
  CHECK(g.shape() == Shape{2, 3, 2});
  std::vector<int64_t> want_i;
  for (int64_t i = 0; i < 12; ++i) want_i.push_back(i * -(int64_t{1} << 40));
  CHECK(g.to_vector<int64_t>() == want_i);
  CHECK(load_npy(fixture("u32_4.npy")).to_vector<uint32_t>() == std::vector<uint32_t>{0, 1, 2147483648u, 4294967295u});
  Array h = load_npy(fixture("f16_2x2.npy"));
  CHECK(h.dtype() == f16);
  CHECK(h.to_vector<float>() == std::vector<float>{0.5f, -1.0f, 65504.0f, std::ldexp(1.0f, -24)});
  CHECK(load_npy(fixture("bool_2x3.npy")).to_vector<bool>() == std::vector<bool>{false, true, false, true, false, true});
  Array s = load_npy(fixture("f64_scalar.npy"));
  CHECK(s.shape().empty());
  CHECK(s.item<double>() == 3.25);
  CHECK(load_npy(fixture("f32_empty_0x3.npy")).shape() == Shape{0, 3});
}

TEST_CASE("what kiln writes is what NumPy writes for the same array") {
  std::ifstream in(fixture("f32_2x3.npy"), std::ios::binary);
  std::string numpy((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Array a = from_vector<float>({0, 0.25, 0.5, 0.75, 1, 1.25}, {2, 3});
  CHECK(npy_to_bytes(a) == numpy);
}

TEST_CASE("bf16 is written as descr 'bfloat16'; '<V2' reads as bf16 only when asked") {
  Array a = from_vector<float>({1.0f, -2.5f}).astype(bf16);
  std::string bytes = npy_to_bytes(a);
  CHECK(bytes.find("'descr': 'bfloat16'") != std::string::npos);
  CHECK(npy_from_bytes(bytes).dtype() == bf16);
  std::string v2 = npy_file("{'descr': '<V2', 'fortran_order': False, 'shape': (2,), }", std::string("\x80\x3f\x20\xc0", 4));
  check_error(v2, "void2_as");
  Array b = npy_from_bytes(v2, "v2.npy", NpyOptions{.void2_as = bf16});
  CHECK(b.to_vector<float>() == std::vector<float>{1.0f, -2.5f});
}

TEST_CASE("malformed and truncated .npy files are errors that say what is wrong") {
  const std::string ok = npy_to_bytes(from_vector<float>({1, 2, 3}));
  check_error("", "magic");
  check_error("\x93NUMPX\x01", "magic");
  check_error(ok.substr(0, 9), "magic");
  check_error(std::string("\x93NUMPY\x04\x00\x10\x00", 10), "version 4.0");
  check_error(ok.substr(0, 40), "ends inside the header");
  check_error(ok.substr(0, ok.size() - 1), "the data is 11 bytes, the header says 12");
  check_error(ok + "x", "the data is 13 bytes");
  check_error(npy_file("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", std::string(8, 0)), "'<c8'");
  check_error(npy_file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "abcd"), "structured");
  check_error(npy_file("{'descr': '<f4', 'fortran_order': False}", "abcd"), "lacks");
  check_error(npy_file("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", "abcd"), "True or False");
  check_error(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "abcd"), "non-negative");
  check_error(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (1,)}", "abcd"), "repeated");
  check_error(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x", "abcd"), "after the dict");
  check_error(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", "abcd"),
              "shape");
  check_error(npy_file("{'descr': '<f4", ""), "unterminated");
}

TEST_CASE("every truncation of a valid file is an error, never a crash or an over-read") {
  const std::string ok = npy_to_bytes(from_vector<int64_t>({1, 2, 3}, {3, 1}));
  for (size_t n = 0; n < ok.size(); ++n) CHECK_THROWS_AS(npy_from_bytes(std::string_view(ok).substr(0, n)), ValueError);
}

TEST_CASE("load_npy names the file it cannot open and save_npy leaves nothing half written") {
  CHECK_THROWS_WITH_AS(load_npy(temp_path("does-not-exist.npy")), doctest::Contains("does-not-exist.npy"), RuntimeError);
  CHECK_THROWS_AS(save_npy("/nonexistent-dir/x.npy", ones({2})), RuntimeError);
  CHECK(!std::filesystem::exists("/nonexistent-dir/x.npy"));
}

TEST_CASE("bool bytes other than 0 and 1 read as true") {
  std::string f = npy_file("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", std::string("\x00\x07\x01", 3));
  CHECK(npy_from_bytes(f).to_vector<bool>() == std::vector<bool>{false, true, true});
  CHECK(bytes_of(npy_from_bytes(f)) == std::vector<uint8_t>{0, 1, 1});
}
