#include "protean/layers/dropout.hpp"

#include <gtest/gtest.h>

#include "layer_test_support.hpp"

namespace protean {
namespace {

using testing::random_matrix;

TEST(Dropout, InferenceIsIdentity) {
  Rng rng(1);
  Dropout layer(4, 0.5f);
  layer.initialize(rng);
  const Matrix x = random_matrix(5, 4, rng);
  const ConstMatrixView y = layer.forward(x, Mode::inference);
  EXPECT_EQ(y.data(), x.data());
  EXPECT_TRUE(bitwise_equal(y, x));
}

TEST(Dropout, TrainingPreservesMean) {
  Rng rng(2);
  Dropout layer(100, 0.3f);
  layer.initialize(rng);
  const Matrix ones = Matrix::filled(400, 100, 1.0f);
  const ConstMatrixView y = layer.forward(ones, Mode::training);
  double sum = 0.0;
  Index zeros = 0;
  for (Index r = 0; r < y.rows(); ++r) {
    for (Index c = 0; c < y.cols(); ++c) {
      sum += y(r, c);
      if (y(r, c) == 0.0f) {
        ++zeros;
      } else {
        EXPECT_FLOAT_EQ(y(r, c), 1.0f / 0.7f);
      }
    }
  }
  // 40,000 draws: the standard error of the zeroed share is about 0.0023.
  EXPECT_NEAR(static_cast<double>(zeros) / 40000.0, 0.3, 0.015);
  EXPECT_NEAR(sum / 40000.0, 1.0, 0.03);
}

// Every column, the draws of both halves of each generator output among them, drops its share,
// and a second training pass draws a new mask.
TEST(Dropout, EachColumnAndPassDrawsAnew) {
  Rng rng(5);
  Dropout layer(37, 0.3f);
  layer.initialize(rng);
  const Matrix ones = Matrix::filled(2000, 37, 1.0f);
  const Matrix first = Matrix::copy_of(layer.forward(ones, Mode::training));
  const ConstMatrixView second = layer.forward(ones, Mode::training);
  Index same = 0;
  for (Index c = 0; c < 37; ++c) {
    Index zeros = 0;
    for (Index r = 0; r < 2000; ++r) {
      if (first(r, c) == 0.0f) ++zeros;
      if (first(r, c) == second(r, c)) ++same;
    }
    // 2000 draws per column: the standard error of the share is about 0.010.
    EXPECT_NEAR(static_cast<double>(zeros) / 2000.0, 0.3, 0.05) << "column " << c;
  }
  // Two independent masks agree where both keep or both drop: 0.7² + 0.3² = 58% of elements.
  EXPECT_NEAR(static_cast<double>(same) / (2000.0 * 37.0), 0.58, 0.02);
}

TEST(Dropout, SameSeedSameMask) {
  const Matrix ones = Matrix::filled(20, 10, 1.0f);
  Dropout a(10, 0.5f), b(10, 0.5f), c(10, 0.5f);
  Rng seed_a(7), seed_b(7), seed_c(8);
  a.initialize(seed_a);
  b.initialize(seed_b);
  c.initialize(seed_c);
  const Matrix ya = Matrix::copy_of(a.forward(ones, Mode::training));
  EXPECT_TRUE(bitwise_equal(b.forward(ones, Mode::training), ya));
  EXPECT_FALSE(bitwise_equal(c.forward(ones, Mode::training), ya));
}

TEST(Dropout, GradientsMatchFiniteDifferences) {
  Rng rng(3);
  Dropout layer(6, 0.4f);
  const Matrix x = random_matrix(5, 6, rng);
  // Reseed before every forward so that each one draws the same mask.
  testing::expect_layer_gradients("dropout training", layer, x, Mode::training, 1e-2, 2e-3, [&] {
    Rng seed(11);
    layer.initialize(seed);
  });
  testing::expect_layer_gradients("dropout inference", layer, x, Mode::inference);
}

TEST(Dropout, ZeroRateIsIdentityInTraining) {
  Rng rng(4);
  Dropout layer(3, 0.0f);
  const Matrix x = random_matrix(4, 3, rng);
  EXPECT_TRUE(bitwise_equal(layer.forward(x, Mode::training), x));
}

}  // namespace
}  // namespace protean
