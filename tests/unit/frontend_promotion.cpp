// Type promotion between arrays (the full table) and with weak C++ scalars.
#include <doctest/doctest.h>
#include <kiln/kiln.hpp>

using namespace kiln;

TEST_CASE("promote_types gives the documented table") {
  // Rows and columns in the order of kDTypes.
  const DType kDTypes[] = {bool_, i32, i64, u32, f16, bf16, f32, f64};
  const DType kTable[8][8] = {
      //          bool   i32   i64   u32   f16   bf16  f32   f64
      /* bool */ {bool_, i32, i64, u32, f16, bf16, f32, f64},
      /* i32  */ {i32, i32, i64, i64, f16, bf16, f32, f64},
      /* i64  */ {i64, i64, i64, i64, f16, bf16, f32, f64},
      /* u32  */ {u32, i64, i64, u32, f16, bf16, f32, f64},
      /* f16  */ {f16, f16, f16, f16, f16, f32, f32, f64},
      /* bf16 */ {bf16, bf16, bf16, bf16, f32, bf16, f32, f64},
      /* f32  */ {f32, f32, f32, f32, f32, f32, f32, f64},
      /* f64  */ {f64, f64, f64, f64, f64, f64, f64, f64},
  };
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) {
      CAPTURE(dtype_name(kDTypes[i]));
      CAPTURE(dtype_name(kDTypes[j]));
      CHECK(promote_types(kDTypes[i], kDTypes[j]) == kTable[i][j]);
      // An op on two arrays of these dtypes has the promoted dtype.
      if (kTable[i][j] != bool_)
        CHECK(add(zeros({2}, kDTypes[i]), zeros({2}, kDTypes[j])).dtype() == kTable[i][j]);
      CHECK(equal(zeros({2}, kDTypes[i]), zeros({2}, kDTypes[j])).dtype() == bool_);
    }
}

TEST_CASE("C++ numbers are weak: they take the array's dtype when their kind fits") {
  Array x32 = zeros({2}, f32), x16 = zeros({2}, f16), xb16 = zeros({2}, bf16), x64 = zeros({2}, f64);
  Array i = zeros({2}, i32), u = zeros({2}, u32), l = zeros({2}, i64), b = zeros({2}, bool_);
  CHECK((x32 * 2.0).dtype() == f32);
  CHECK((x32 * 2).dtype() == f32);
  CHECK((x16 + 1.5).dtype() == f16);
  CHECK((xb16 + 1.5f).dtype() == bf16);
  CHECK((x64 * 2.0f).dtype() == f64);
  CHECK((i + 1).dtype() == i32);
  CHECK((i + (int64_t{1} << 40)).dtype() == i32);  // weak even when the value is large: it wraps
  CHECK((i + (int64_t{1} << 40) + 3).to_vector<int32_t>() == std::vector<int32_t>{3, 3});
  CHECK((u * 3).dtype() == u32);
  CHECK((l - 1).dtype() == i64);
  CHECK((i * 2.5).dtype() == f32);
  CHECK((u + 0.5f).dtype() == f32);
  CHECK((b + 1).dtype() == i32);
  CHECK((b * 1.0).dtype() == f32);
  CHECK((b & true).dtype() == bool_);
  CHECK((i | true).dtype() == i32);
  CHECK((2.0 * x16).dtype() == f16);
  CHECK(where(b, i, 1.5).dtype() == f32);
  CHECK(where(b, x16, 1).dtype() == f16);
  CHECK(clamp(i, 0, 10).dtype() == i32);
  CHECK(clamp(i, 0.0, 1.0).dtype() == f32);
}

TEST_CASE("weak scalars are converted with the dtype's rules") {
  CHECK((zeros({1}, i32) + 2.75).item<float>() == 2.75f);  // float scalar: promotes to f32
  CHECK((ones({1}, u32) * -1).item<int64_t>() == 4294967295);  // -1 wraps to u32
  CHECK((zeros({1}, f16) + 0.1).item<float>() == 0.0999755859375f);  // rounded to f16
}

TEST_CASE("functions that need floats give f32 for integer inputs, and keep float dtypes") {
  CHECK((zeros({2}, i64) / 2).dtype() == f32);
  CHECK((zeros({2}, f64) / 2).dtype() == f64);
  CHECK((zeros({2}, f16) / zeros({2}, bf16)).dtype() == f32);
  CHECK(sqrt(zeros({2}, u32)).dtype() == f32);
  CHECK(sin(zeros({2}, f16)).dtype() == f16);
  CHECK(mean(zeros({2}, i64)).dtype() == f32);
  CHECK(sum(zeros({2}, u32)).dtype() == i64);
  CHECK(sum(zeros({2}, f16)).dtype() == f16);
  CHECK(argmax(zeros({2}, f16)).dtype() == i64);
}
