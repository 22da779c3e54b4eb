#include "protean/layers/fourier_features.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "layer_test_support.hpp"

namespace protean {
namespace {

using testing::random_matrix;

TEST(FourierFeatures, BandsAtKnownPoint) {
  FourierFeatures layer(2, 3);  // frequencies 1/8, 1/4, 1/2 per input
  ASSERT_EQ(layer.output_width(), 2 * 2 * 3);
  EXPECT_EQ(layer.parameter_count(), 0);
  Matrix x = Matrix::zeros(1, 2);
  x(0, 0) = 0.125f;
  x(0, 1) = -0.25f;
  const ConstMatrixView y = layer.forward(x, Mode::inference);
  const double pi = std::numbers::pi;
  const double inputs[] = {0.125, -0.25};
  for (Index i = 0; i < 2; ++i) {
    for (Index k = 0; k < 3; ++k) {
      const double angle = 2.0 * pi * std::ldexp(0.125, static_cast<int>(k)) * inputs[i];
      EXPECT_NEAR(y(0, i * 3 + k), std::sin(angle), 1e-6) << "sin, input " << i << ", band " << k;
      EXPECT_NEAR(y(0, 6 + i * 3 + k), std::cos(angle), 1e-6) << "cos, input " << i << ", band " << k;
    }
  }
}

TEST(FourierFeatures, HighBandKeepsPrecision) {
  // 2^20 cycles per unit (band 23) at x = 1/3: the phase is reduced before sin is taken.
  FourierFeatures layer(1, 24);
  Matrix x = Matrix::filled(1, 1, 1.0f / 3.0f);
  const ConstMatrixView y = layer.forward(x, Mode::inference);
  const double cycles = std::ldexp(1.0, 20) * static_cast<double>(1.0f / 3.0f);
  const double expected = std::sin(2.0 * std::numbers::pi * (cycles - std::nearbyint(cycles)));
  EXPECT_NEAR(y(0, 23), expected, 1e-5);
}

TEST(FourierFeatures, GradientsMatchFiniteDifferences) {
  for (Backend* backend : {&reference_backend(), &cpu_backend()}) {
    Rng rng(5);
    FourierFeatures bands(2, 3);
    bands.set_backend(*backend);
    testing::expect_layer_gradients("fourier bands", bands, random_matrix(4, 2, rng, 0.5f), Mode::training, 1e-3);
    FourierFeatures gaussian(3, 2, FourierScheme::gaussian, 1.0f);
    gaussian.set_backend(*backend);
    gaussian.initialize(rng);
    testing::expect_layer_gradients("fourier gaussian", gaussian, random_matrix(4, 3, rng, 0.5f), Mode::training, 1e-3);
  }
}

TEST(FourierFeatures, GaussianDrawsFromSeed) {
  FourierFeatures a(2, 4, FourierScheme::gaussian, 10.0f), b(2, 4, FourierScheme::gaussian, 10.0f);
  Rng seed_a(3), seed_b(3);
  a.initialize(seed_a);
  b.initialize(seed_b);
  EXPECT_TRUE(bitwise_equal(a.frequencies(), b.frequencies()));
  ASSERT_EQ(a.frequencies().rows(), 2);
  ASSERT_EQ(a.frequencies().cols(), 8);
  double square = 0.0;
  for (Index i = 0; i < a.frequencies().size(); ++i) square += a.frequencies().data()[i] * a.frequencies().data()[i];
  EXPECT_GT(square / 16.0, 10.0);  // spread of order σ² = 100, far from 1
}

TEST(FourierFeatures, ModesGiveSameOutput) {
  Rng rng(6);
  FourierFeatures layer(1, 5);
  const Matrix x = random_matrix(9, 1, rng);
  const Matrix training = Matrix::copy_of(layer.forward(x, Mode::training));
  EXPECT_TRUE(bitwise_equal(layer.forward(x, Mode::inference), training));
}

}  // namespace
}  // namespace protean
