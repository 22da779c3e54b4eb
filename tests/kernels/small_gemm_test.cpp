// The libxsmm path of the CPU backend: which products it takes, and the transpose it relies on
// for a transposed B. Its products are checked against the reference backend in
// cpu_backend_test.cpp.
#include "kernels/small_gemm.hpp"

#include <gtest/gtest.h>

#include <string>

namespace protean::detail {
namespace {

TEST(SmallGemm, TakesOnlyWhatItsKernelsCover) {
  EXPECT_TRUE(fits_small_gemm(Transpose::no, Transpose::no, 64, 64, 64, 1.0f, 0.0f));
  EXPECT_TRUE(fits_small_gemm(Transpose::yes, Transpose::no, 784, 256, 128, 1.0f, 1.0f));
  EXPECT_TRUE(fits_small_gemm(Transpose::no, Transpose::yes, 64, 64, 64, 1.0f, 0.0f));
  EXPECT_FALSE(fits_small_gemm(Transpose::no, Transpose::no, 64, 64, 64, 0.5f, 0.0f)) << "alpha other than 1";
  EXPECT_FALSE(fits_small_gemm(Transpose::no, Transpose::no, 64, 64, 64, 1.0f, 0.5f)) << "beta other than 0 or 1";
  EXPECT_FALSE(fits_small_gemm(Transpose::yes, Transpose::yes, 64, 64, 64, 1.0f, 0.0f)) << "both transposed";
  EXPECT_FALSE(fits_small_gemm(Transpose::no, Transpose::no, 64, kMinSmallColumns - 1, 64, 1.0f, 0.0f));
  EXPECT_FALSE(fits_small_gemm(Transpose::no, Transpose::no, 1024, 2048, 1024, 1.0f, 0.0f)) << "large";
  EXPECT_FALSE(fits_small_gemm(Transpose::no, Transpose::yes, 64, kMaxTransposedB, 2, 1.0f, 0.0f))
      << "transposed B above the copy limit";
}

// Sizes on both sides of the 16×16 register tiles, with strides wider than the rows.
TEST(SmallGemm, TransposeMatchesElementByElement) {
  for (const auto& [rows, cols] : {std::pair<Index, Index>{1, 1}, {16, 16}, {17, 33}, {64, 64}, {128, 10}, {5, 130}}) {
    SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols));
    Matrix source = Matrix::zeros(rows, cols + 3);
    for (Index i = 0; i < source.size(); ++i) source.data()[i] = static_cast<float>(i) * 0.5f - 7.0f;
    const ConstMatrixView m(source.data(), rows, cols, cols + 3);
    Matrix target = Matrix::zeros(cols, rows + 2);
    const MatrixView out(target.data(), cols, rows, rows + 2);
    transpose_into(m, out);
    for (Index r = 0; r < rows; ++r) {
      for (Index c = 0; c < cols; ++c) ASSERT_EQ(out(c, r), m(r, c)) << r << "," << c;
    }
    for (Index c = 0; c < cols; ++c) {
      EXPECT_EQ(target(c, rows), 0.0f) << "wrote past the row";
      EXPECT_EQ(target(c, rows + 1), 0.0f) << "wrote past the row";
    }
  }
}

}  // namespace
}  // namespace protean::detail
