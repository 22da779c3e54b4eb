// Mean absolute error, Huber loss and binary cross-entropy from logits.
#include <gtest/gtest.h>

#include <cmath>

#include "gradient_check.hpp"
#include "protean/error.hpp"
#include "protean/losses/binary_cross_entropy.hpp"
#include "protean/losses/huber.hpp"
#include "protean/losses/mean_absolute_error.hpp"

namespace protean {
namespace {

// 3×2 outputs and targets whose differences stay at least 0.1 away from 0 and from ±1, so that
// the finite differences never straddle the kink of |d| or Huber's switch at δ = 1.
struct Pair {
  Matrix output = Matrix::zeros(3, 2);
  Matrix target = Matrix::zeros(3, 2);
  Pair() {
    const float differences[] = {0.4f, -0.3f, 2.5f, -1.7f, 0.65f, -3.2f};
    for (Index i = 0; i < 6; ++i) {
      target.data()[i] = std::sin(static_cast<float>(i));
      output.data()[i] = target.data()[i] + differences[i];
    }
  }
};

TEST(MeanAbsoluteError, ValueAndGradient) {
  Pair p;
  Matrix grad = Matrix::zeros(3, 2);
  const double value = MeanAbsoluteError().forward_backward(p.output, p.target, grad);
  EXPECT_NEAR(value, (0.4 + 0.3 + 2.5 + 1.7 + 0.65 + 3.2) / 6.0, 1e-6);
  EXPECT_FLOAT_EQ(grad(0, 0), 1.0f / 6.0f);
  EXPECT_FLOAT_EQ(grad(0, 1), -1.0f / 6.0f);
  EXPECT_NEAR(MeanAbsoluteError().value(p.output, p.target), value, 1e-12);
}

TEST(MeanAbsoluteError, ZeroErrorHasZeroGradient) {
  const Matrix same = Matrix::filled(1, 2, 0.5f);
  Matrix grad = Matrix::filled(1, 2, 7.0f);
  EXPECT_EQ(MeanAbsoluteError().forward_backward(same, same, grad), 0.0);
  EXPECT_EQ(grad(0, 0), 0.0f);
  EXPECT_EQ(grad(0, 1), 0.0f);
}

TEST(MeanAbsoluteError, GradientMatchesFiniteDifferences) {
  Pair p;
  Matrix grad = Matrix::zeros(3, 2);
  const MeanAbsoluteError loss;
  loss.forward_backward(p.output, p.target, grad);
  testing::expect_gradient_matches("mae", p.output, grad, [&] { return loss.value(p.output, p.target); }, 1e-3);
}

TEST(HuberLoss, QuadraticInsideLinearOutside) {
  Matrix output = Matrix::zeros(1, 2);
  Matrix target = Matrix::zeros(1, 2);
  output(0, 0) = 0.5f;   // inside δ = 1: 0.5²/2 = 0.125
  output(0, 1) = -3.0f;  // outside: 1·(3 − 0.5) = 2.5
  Matrix grad = Matrix::zeros(1, 2);
  const double value = HuberLoss(1.0).forward_backward(output, target, grad);
  EXPECT_NEAR(value, (0.125 + 2.5) / 2.0, 1e-7);
  EXPECT_FLOAT_EQ(grad(0, 0), 0.5f / 2.0f);
  EXPECT_FLOAT_EQ(grad(0, 1), -1.0f / 2.0f);
}

TEST(HuberLoss, DeltaScalesTheLinearPart) {
  Matrix output = Matrix::filled(1, 1, 5.0f);
  const Matrix target = Matrix::zeros(1, 1);
  Matrix grad = Matrix::zeros(1, 1);
  EXPECT_NEAR(HuberLoss(2.0).forward_backward(output, target, grad), 2.0 * (5.0 - 1.0), 1e-9);
  EXPECT_FLOAT_EQ(grad(0, 0), 2.0f);
}

TEST(HuberLoss, GradientMatchesFiniteDifferences) {
  Pair p;
  Matrix grad = Matrix::zeros(3, 2);
  const HuberLoss loss(1.0);
  loss.forward_backward(p.output, p.target, grad);
  testing::expect_gradient_matches("huber", p.output, grad, [&] { return loss.value(p.output, p.target); }, 1e-3);
}

TEST(HuberLoss, RejectsInvalidDelta) {
  EXPECT_THROW(HuberLoss(0.0), Error);
  EXPECT_THROW(HuberLoss(-1.0), Error);
  EXPECT_THROW(HuberLoss(std::nan("")), Error);
}

TEST(BinaryCrossEntropy, ValueMatchesDefinition) {
  Matrix logits = Matrix::zeros(2, 2);
  Matrix targets = Matrix::zeros(2, 2);
  logits(0, 0) = 0.3f;
  logits(0, 1) = -1.2f;
  logits(1, 0) = 2.0f;
  logits(1, 1) = 0.0f;
  targets(0, 0) = 1.0f;
  targets(1, 1) = 1.0f;
  targets(1, 0) = 0.25f;  // soft labels are allowed
  double expected = 0.0;
  for (Index i = 0; i < 4; ++i) {
    const double z = logits.data()[i];
    const double t = targets.data()[i];
    const double p = 1.0 / (1.0 + std::exp(-z));
    expected += -t * std::log(p) - (1.0 - t) * std::log(1.0 - p);
  }
  EXPECT_NEAR(BinaryCrossEntropy().value(logits, targets), expected / 4.0, 1e-7);
}

TEST(BinaryCrossEntropy, GradientMatchesFiniteDifferences) {
  Matrix logits = Matrix::zeros(3, 2);
  Matrix targets = Matrix::zeros(3, 2);
  for (Index i = 0; i < 6; ++i) {
    logits.data()[i] = 2.5f * std::cos(1.3f * static_cast<float>(i));
    targets.data()[i] = static_cast<float>(i % 2);
  }
  Matrix grad = Matrix::zeros(3, 2);
  const BinaryCrossEntropy loss;
  loss.forward_backward(logits, targets, grad);
  testing::expect_gradient_matches("bce", logits, grad, [&] { return loss.value(logits, targets); });
}

TEST(BinaryCrossEntropy, StableForHugeLogits) {
  Matrix logits = Matrix::zeros(1, 4);
  Matrix targets = Matrix::zeros(1, 4);
  logits(0, 0) = 1000.0f;   // right and sure: loss 0
  targets(0, 0) = 1.0f;
  logits(0, 1) = -1000.0f;  // right and sure: loss 0
  logits(0, 2) = 1000.0f;   // wrong and sure: loss 1000
  logits(0, 3) = -1000.0f;  // wrong and sure: loss 1000
  targets(0, 3) = 1.0f;
  Matrix grad = Matrix::zeros(1, 4);
  const double value = BinaryCrossEntropy().forward_backward(logits, targets, grad);
  ASSERT_TRUE(std::isfinite(value));
  EXPECT_NEAR(value, 2000.0 / 4.0, 1e-9);
  for (Index c = 0; c < 4; ++c) EXPECT_TRUE(std::isfinite(grad(0, c))) << "column " << c;
  EXPECT_NEAR(grad(0, 0), 0.0f, 1e-12);
  EXPECT_NEAR(grad(0, 1), 0.0f, 1e-12);
  EXPECT_FLOAT_EQ(grad(0, 2), 0.25f);
  EXPECT_FLOAT_EQ(grad(0, 3), -0.25f);
}

TEST(StableSigmoid, ExtremesAndMiddle) {
  EXPECT_EQ(stable_sigmoid(0.0), 0.5);
  EXPECT_EQ(stable_sigmoid(1000.0), 1.0);
  EXPECT_EQ(stable_sigmoid(-1000.0), 0.0);
  EXPECT_NEAR(stable_sigmoid(-30.0), std::exp(-30.0), 1e-25);
}

TEST(MakeLoss, NewLossNames) {
  EXPECT_EQ(make_loss("mae")->name(), "mae");
  EXPECT_EQ(make_loss("huber")->name(), "huber");
  EXPECT_EQ(make_loss("bce")->name(), "bce");
}

}  // namespace
}  // namespace protean
