#include <gtest/gtest.h>

#include <cmath>

#include "gradient_check.hpp"
#include "protean/losses/mse.hpp"
#include "protean/losses/softmax_cross_entropy.hpp"

namespace protean {
namespace {

TEST(MeanSquaredError, ValueAndGradient) {
  Matrix output = Matrix::zeros(2, 2);
  Matrix target = Matrix::zeros(2, 2);
  output(0, 0) = 1.0f;
  output(1, 1) = -2.0f;
  target(0, 1) = 3.0f;
  Matrix d_output = Matrix::zeros(2, 2);
  const double value = MeanSquaredError().forward_backward(output, target, d_output);
  EXPECT_DOUBLE_EQ(value, (1.0 + 9.0 + 4.0) / 4.0);
  EXPECT_FLOAT_EQ(d_output(0, 0), 2.0f * 1.0f / 4.0f);
  EXPECT_FLOAT_EQ(d_output(0, 1), 2.0f * -3.0f / 4.0f);
  EXPECT_FLOAT_EQ(d_output(1, 1), 2.0f * -2.0f / 4.0f);
  EXPECT_DOUBLE_EQ(MeanSquaredError().value(output, target), value);
}

TEST(MeanSquaredError, GradientMatchesFiniteDifferences) {
  Matrix output = Matrix::zeros(3, 2);
  Matrix target = Matrix::zeros(3, 2);
  for (Index i = 0; i < 6; ++i) {
    output.data()[i] = 0.3f * static_cast<float>(i) - 0.7f;
    target.data()[i] = std::sin(static_cast<float>(i));
  }
  Matrix grad = Matrix::zeros(3, 2);
  const MeanSquaredError loss;
  loss.forward_backward(output, target, grad);
  testing::expect_gradient_matches("mse", output, grad, [&] { return loss.value(output, target); });
}

TEST(SoftmaxCrossEntropy, ValueOfUniformLogits) {
  const Matrix logits = Matrix::zeros(2, 4);
  Matrix labels = Matrix::zeros(2, 1);
  labels(1, 0) = 3.0f;
  EXPECT_NEAR(SoftmaxCrossEntropy().value(logits, labels), std::log(4.0), 1e-6);
}

TEST(SoftmaxCrossEntropy, GradientMatchesFiniteDifferences) {
  Matrix logits = Matrix::zeros(3, 4);
  for (Index i = 0; i < logits.size(); ++i) logits.data()[i] = std::cos(1.7f * static_cast<float>(i));
  Matrix labels = Matrix::zeros(3, 1);
  labels(0, 0) = 2.0f;
  labels(1, 0) = 0.0f;
  labels(2, 0) = 3.0f;
  Matrix grad = Matrix::zeros(3, 4);
  const SoftmaxCrossEntropy loss;
  loss.forward_backward(logits, labels, grad);
  testing::expect_gradient_matches("cross entropy", logits, grad, [&] { return loss.value(logits, labels); });
}

TEST(SoftmaxCrossEntropy, StableForHugeLogits) {
  Matrix logits = Matrix::zeros(1, 3);
  logits(0, 0) = 1000.0f;
  logits(0, 1) = -1000.0f;
  logits(0, 2) = 0.0f;
  Matrix label = Matrix::zeros(1, 1);
  Matrix grad = Matrix::zeros(1, 3);
  const double right = SoftmaxCrossEntropy().forward_backward(logits, label, grad);
  EXPECT_NEAR(right, 0.0, 1e-6);
  label(0, 0) = 1.0f;
  const double wrong = SoftmaxCrossEntropy().forward_backward(logits, label, grad);
  EXPECT_NEAR(wrong, 2000.0, 1e-3);
  for (Index c = 0; c < 3; ++c) EXPECT_TRUE(std::isfinite(grad(0, c)));
  EXPECT_NEAR(grad(0, 0), 1.0f, 1e-6);
  EXPECT_NEAR(grad(0, 1), -1.0f, 1e-6);
}

TEST(SoftmaxRows, SumToOne) {
  Matrix logits = Matrix::zeros(2, 5);
  for (Index i = 0; i < logits.size(); ++i) logits.data()[i] = 100.0f * std::sin(static_cast<float>(i));
  Matrix probabilities = Matrix::zeros(2, 5);
  softmax_rows(logits, probabilities);
  for (Index r = 0; r < 2; ++r) {
    double sum = 0.0;
    for (Index c = 0; c < 5; ++c) sum += probabilities(r, c);
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
}

TEST(MakeLoss, KnownAndUnknownNames) {
  EXPECT_EQ(make_loss("mse")->name(), "mse");
  EXPECT_EQ(make_loss("cross_entropy")->name(), "cross_entropy");
  EXPECT_EQ(make_loss("hinge"), nullptr);
}

}  // namespace
}  // namespace protean
