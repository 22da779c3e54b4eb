#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_support.hpp"
#include "protean/layers/batch_norm.hpp"
#include "protean/layers/layer_norm.hpp"

namespace protean {
namespace {

using testing::random_matrix;

// Moves γ and β away from 1 and 0 so that their gradients are not special cases.
void perturb_affine(Layer& layer, Rng& rng) {
  for (const auto& parameter : layer.parameters()) {
    for (Index c = 0; c < parameter.value.cols(); ++c) parameter.value(0, c) += 0.3f * rng.normal();
  }
}

TEST(BatchNorm, TrainingGradientsMatchFiniteDifferences) {
  Rng rng(31);
  BatchNorm layer(4);
  perturb_affine(layer, rng);
  testing::expect_layer_gradients("batch_norm training", layer, random_matrix(6, 4, rng, 2.0f), Mode::training);
}

TEST(BatchNorm, InferenceGradientsMatchFiniteDifferences) {
  Rng rng(32);
  BatchNorm layer(3);
  perturb_affine(layer, rng);
  for (Index c = 0; c < 3; ++c) {
    layer.running_mean()(0, c) = 0.5f * rng.normal();
    layer.running_var()(0, c) = 0.5f + rng.uniform();
  }
  testing::expect_layer_gradients("batch_norm inference", layer, random_matrix(5, 3, rng), Mode::inference);
}

TEST(BatchNorm, TrainingNormalizesBatch) {
  Rng rng(33);
  BatchNorm layer(3);
  const Matrix x = random_matrix(200, 3, rng, 5.0f);
  const ConstMatrixView y = layer.forward(x, Mode::training);
  for (Index c = 0; c < 3; ++c) {
    double mean = 0.0, square = 0.0;
    for (Index r = 0; r < 200; ++r) {
      mean += y(r, c);
      square += static_cast<double>(y(r, c)) * y(r, c);
    }
    EXPECT_NEAR(mean / 200.0, 0.0, 1e-5);
    EXPECT_NEAR(square / 200.0, 1.0, 1e-3);
  }
}

TEST(BatchNorm, RunningStatisticsFollowMomentum) {
  BatchNorm layer(1, /*momentum=*/0.25f);
  Matrix x = Matrix::zeros(4, 1);
  const float values[] = {1.0f, 2.0f, 3.0f, 6.0f};  // mean 3, unbiased variance 14/3
  for (Index r = 0; r < 4; ++r) x(r, 0) = values[r];
  layer.forward(x, Mode::training);
  EXPECT_FLOAT_EQ(layer.running_mean()(0, 0), 0.75f * 0.0f + 0.25f * 3.0f);
  EXPECT_FLOAT_EQ(layer.running_var()(0, 0), 0.75f * 1.0f + 0.25f * (14.0f / 3.0f));
  // Inference leaves them alone.
  layer.forward(x, Mode::inference);
  EXPECT_FLOAT_EQ(layer.running_mean()(0, 0), 0.75f);
}

TEST(BatchNorm, InferenceUsesRunningStatistics) {
  BatchNorm layer(2);
  layer.running_mean()(0, 0) = 1.0f;
  layer.running_mean()(0, 1) = -2.0f;
  layer.running_var()(0, 0) = 4.0f;
  layer.running_var()(0, 1) = 0.25f;
  Matrix x = Matrix::zeros(3, 2);
  x(0, 0) = 5.0f;
  x(0, 1) = -1.0f;
  const Matrix y = Matrix::copy_of(layer.forward(x, Mode::inference));
  EXPECT_NEAR(y(0, 0), (5.0f - 1.0f) / std::sqrt(4.0f + BatchNorm::kEpsilon), 1e-6f);
  EXPECT_NEAR(y(0, 1), (-1.0f + 2.0f) / std::sqrt(0.25f + BatchNorm::kEpsilon), 1e-5f);
  // Each row is normalized on its own: the same row alone gives the same output.
  const Matrix alone = Matrix::copy_of(x.middle_rows(0, 1));
  const ConstMatrixView y_alone = layer.forward(alone, Mode::inference);
  EXPECT_EQ(y_alone(0, 0), y(0, 0));
  EXPECT_EQ(y_alone(0, 1), y(0, 1));
}

TEST(BatchNorm, SingleRowBatchStaysFinite) {
  BatchNorm layer(2);
  Matrix x = Matrix::filled(1, 2, 3.0f);
  const ConstMatrixView y = layer.forward(x, Mode::training);
  EXPECT_EQ(y(0, 0), 0.0f);  // β
  EXPECT_EQ(layer.running_var()(0, 0), 1.0f);
  Matrix dy = Matrix::filled(1, 2, 1.0f);
  const ConstMatrixView dx = layer.backward(dy, true);
  EXPECT_TRUE(std::isfinite(dx(0, 0)));
}

TEST(LayerNorm, GradientsMatchFiniteDifferences) {
  Rng rng(41);
  LayerNorm layer(5);
  perturb_affine(layer, rng);
  testing::expect_layer_gradients("layer_norm", layer, random_matrix(4, 5, rng, 2.0f), Mode::training);
}

TEST(LayerNorm, NormalizesEachRowInBothModes) {
  Rng rng(42);
  LayerNorm layer(6);
  const Matrix x = random_matrix(3, 6, rng, 4.0f);
  const Matrix training = Matrix::copy_of(layer.forward(x, Mode::training));
  EXPECT_TRUE(bitwise_equal(layer.forward(x, Mode::inference), training));
  for (Index r = 0; r < 3; ++r) {
    double mean = 0.0, square = 0.0;
    for (Index c = 0; c < 6; ++c) {
      mean += training(r, c);
      square += static_cast<double>(training(r, c)) * training(r, c);
    }
    EXPECT_NEAR(mean / 6.0, 0.0, 1e-5);
    EXPECT_NEAR(square / 6.0, 1.0, 1e-3);
  }
}

}  // namespace
}  // namespace protean
