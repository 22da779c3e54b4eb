#include "protean/train/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace protean {
namespace {

TEST(RegressionMetrics, KnownValues) {
  Matrix predictions = Matrix::zeros(4, 1);
  Matrix targets = Matrix::zeros(4, 1);
  const float p[] = {1, 2, 3, 5};
  const float t[] = {1, 2, 4, 4};
  for (Index i = 0; i < 4; ++i) {
    predictions(i, 0) = p[i];
    targets(i, 0) = t[i];
  }
  const Metrics m = regression_metrics(predictions, targets);
  EXPECT_DOUBLE_EQ(*m.rmse, std::sqrt(2.0 / 4.0));
  EXPECT_DOUBLE_EQ(*m.mae, 2.0 / 4.0);
  // mean 2.75; SS_tot = 3.0625 + 0.5625 + 1.5625 + 1.5625 = 6.75
  EXPECT_DOUBLE_EQ(*m.r2, 1.0 - 2.0 / 6.75);
  EXPECT_FALSE(m.accuracy.has_value());
}

TEST(RegressionMetrics, EachTargetAndTheirMean) {
  // Column 0 is predicted exactly. Column 1, at 100 times the scale, is off by 10 in every row.
  Matrix predictions = Matrix::zeros(4, 2);
  Matrix targets = Matrix::zeros(4, 2);
  for (Index i = 0; i < 4; ++i) {
    targets(i, 0) = static_cast<float>(i);
    predictions(i, 0) = static_cast<float>(i);
    targets(i, 1) = 100.0f * static_cast<float>(i);
    predictions(i, 1) = 100.0f * static_cast<float>(i) + 10.0f;
  }
  const Metrics m = regression_metrics(predictions, targets);
  ASSERT_EQ(m.targets.size(), 2u);
  EXPECT_DOUBLE_EQ(m.targets[0].rmse, 0.0);
  EXPECT_DOUBLE_EQ(m.targets[0].r2, 1.0);
  EXPECT_DOUBLE_EQ(m.targets[1].rmse, 10.0);
  EXPECT_DOUBLE_EQ(m.targets[1].mae, 10.0);
  // mean 150; SS_tot = 22500 + 2500 + 2500 + 22500 = 50000, SS_res = 400
  EXPECT_DOUBLE_EQ(m.targets[1].r2, 1.0 - 400.0 / 50000.0);
  EXPECT_DOUBLE_EQ(*m.rmse, 5.0);
  EXPECT_DOUBLE_EQ(*m.r2, 0.5 * (1.0 + 1.0 - 400.0 / 50000.0));
  EXPECT_EQ(m.targets[1].to_string(), "rmse 10  mae 10  r2 0.992");
}

TEST(ClassificationMetrics, Accuracy) {
  Matrix scores = Matrix::zeros(3, 2);
  scores(0, 1) = 1.0f;  // predicts 1
  scores(1, 0) = 1.0f;  // predicts 0
  scores(2, 1) = 1.0f;  // predicts 1
  Matrix labels = Matrix::zeros(3, 1);
  labels(0, 0) = 1.0f;
  labels(2, 0) = 0.0f;
  const Metrics m = classification_metrics(scores, labels);
  EXPECT_DOUBLE_EQ(*m.accuracy, 2.0 / 3.0);
  EXPECT_EQ(m.to_string(), "accuracy 0.666667");
}

}  // namespace
}  // namespace protean
