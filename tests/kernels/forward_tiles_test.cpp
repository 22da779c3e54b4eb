// The register-tile forward pass: every output equals, bit for bit, the bias plus the products
// added in order with one rounding each (std::fma), put through the scalar activation. The
// inputs include values that make z NaN, infinite, −0 and +0, where a vector activation could
// part from the scalar one.
#include "kernels/forward_tiles.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "protean/random.hpp"

namespace protean::detail {
namespace {

struct TileShape {
  Index n, inputs, outputs;
};

Matrix random_matrix(Index rows, Index cols, Index pad, Rng& rng) {
  Matrix m = Matrix::zeros(rows, cols + pad);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = rng.uniform(-1.0f, 1.0f);
  return m;
}

TEST(ForwardTiles, MatchesOrderedFmaSumBitwise) {
  if (!has_fused_forward(Activation::relu)) GTEST_SKIP() << "built without AVX-512";
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  Rng rng(21);
  // Row tiles of 6 with tails of 1 to 5, column blocks of 64 with partial vectors, strides.
  const std::vector<TileShape> shapes = {{1, 1, 1},   {6, 64, 64},  {7, 3, 17},   {13, 5, 80},
                                         {64, 64, 64}, {11, 33, 129}, {5, 256, 10}, {20, 2, 48}};
  for (const Activation activation : all_activations()) {
    if (!has_fused_forward(activation)) continue;
    with_activation(activation, [&](auto act) {
      using Act = decltype(act);
      for (const TileShape& s : shapes) {
        SCOPED_TRACE(std::string(to_string(activation)) + " N=" + std::to_string(s.n) +
                     " I=" + std::to_string(s.inputs) + " O=" + std::to_string(s.outputs));
        Matrix x_storage = random_matrix(s.n, s.inputs, 2, rng);
        Matrix w_storage = random_matrix(s.inputs, s.outputs, 3, rng);
        Matrix b_storage = random_matrix(1, s.outputs, 0, rng);
        Matrix y_storage = random_matrix(s.n, s.outputs, 1, rng);
        const ConstMatrixView x(x_storage.data(), s.n, s.inputs, s.inputs + 2);
        const ConstMatrixView w(w_storage.data(), s.inputs, s.outputs, s.outputs + 3);
        const MatrixView y(y_storage.data(), s.n, s.outputs, s.outputs + 1);
        // Column c of the bias picks a special case: z is NaN, ±infinity, −0 or +0.
        const float specials[] = {nan, inf, -inf, -0.0f, 0.0f};
        for (Index c = 0; c < s.outputs && c < 5; ++c) {
          b_storage(0, c) = specials[c];
          if (specials[c] == 0.0f) {
            for (Index i = 0; i < s.inputs; ++i) w_storage(i, c) = 0.0f;
          }
        }
        fused_dense_forward(activation, x, w, b_storage, y);
        for (Index r = 0; r < s.n; ++r) {
          for (Index c = 0; c < s.outputs; ++c) {
            float z = b_storage(0, c);
            for (Index i = 0; i < s.inputs; ++i) z = std::fma(x(r, i), w(i, c), z);
            const float expected = Act::value(z);
            ASSERT_EQ(std::bit_cast<std::uint32_t>(y(r, c)), std::bit_cast<std::uint32_t>(expected))
                << "row " << r << " column " << c << ": " << y(r, c) << " against " << expected;
          }
        }
      }
    });
  }
}

TEST(ForwardTiles, KeepsRowPadding) {
  if (!has_fused_forward(Activation::relu)) GTEST_SKIP() << "built without AVX-512";
  Rng rng(22);
  const Index n = 9, inputs = 7, outputs = 21, pad = 11;
  Matrix x = random_matrix(n, inputs, 0, rng), w = random_matrix(inputs, outputs, 0, rng);
  Matrix b = random_matrix(1, outputs, 0, rng);
  Matrix y_storage = random_matrix(n, outputs, pad, rng);
  const Matrix before = y_storage;
  fused_dense_forward(Activation::relu, x, w, b, MatrixView(y_storage.data(), n, outputs, outputs + pad));
  for (Index r = 0; r < n; ++r) {
    for (Index c = outputs; c < outputs + pad; ++c) {
      EXPECT_EQ(y_storage(r, c), before(r, c)) << "row " << r << " column " << c;
    }
  }
}

}  // namespace
}  // namespace protean::detail
