// fit() and Model with several target columns: per-column scaling, predictions in each column's
// units, metrics per target, the model file round trip and the decomposition of each output.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <unistd.h>

#include "protean/error.hpp"
#include "protean/fit.hpp"
#include "protean/io/model_file.hpp"
#include "protean/report/decomposition.hpp"

namespace protean {
namespace {

// y1 = sin(x) and y2 = 1000·x + 5000 on x in [-2, 2]: two outputs at scales far apart.
Dataset two_targets(Index rows = 80) {
  Dataset data;
  data.task = Task::regression;
  data.inputs = Matrix::zeros(rows, 1);
  data.targets = Matrix::zeros(rows, 2);
  for (Index r = 0; r < rows; ++r) {
    const float x = -2.0f + 4.0f * static_cast<float>(r) / static_cast<float>(rows - 1);
    data.inputs(r, 0) = x;
    data.targets(r, 0) = std::sin(x);
    data.targets(r, 1) = 1000.0f * x + 5000.0f;
  }
  data.input_names = {"x"};
  data.target_names = {"y1", "y2"};
  data.source = "memory";
  return data;
}

FitOptions quick_options() {
  FitOptions options;
  options.hidden = {16};
  options.activation = Activation::tanh;
  options.epochs = 200;
  options.search = SearchMode::off;
  options.validation_fraction = 0.0;
  return options;
}

double column_mean(const Matrix& m, Index c) {
  double sum = 0.0;
  for (Index r = 0; r < m.rows(); ++r) sum += m(r, c);
  return sum / static_cast<double>(m.rows());
}

double column_median(const Matrix& m, Index c) {
  std::vector<double> values;
  for (Index r = 0; r < m.rows(); ++r) values.push_back(m(r, c));
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

TEST(FitMultiTarget, ScalesEachColumnOnItsOwn) {
  const Dataset data = two_targets();
  const FitResult result = fit(data, quick_options());
  const Standardizer& scaler = result.model.target_scaler;
  ASSERT_EQ(scaler.width(), 2);
  EXPECT_NEAR(scaler.mean()(0, 0), column_mean(data.targets, 0), 1e-4);
  EXPECT_NEAR(scaler.mean()(0, 1), column_mean(data.targets, 1), 1e-1);
  // The line's standard deviation is about 1000 × 4 / √12; the sine's is below 1.
  EXPECT_LT(scaler.scale()(0, 0), 1.0f);
  EXPECT_NEAR(scaler.scale()(0, 1), 1000.0 * 4.0 / std::sqrt(12.0), 20.0);
}

TEST(FitMultiTarget, RobustLossesUseEachMedian) {
  const Dataset data = two_targets();
  for (const char* loss : {"mae", "huber"}) {
    FitOptions options = quick_options();
    options.loss = loss;
    options.epochs = 2;
    const FitResult result = fit(data, options);
    const Standardizer& scaler = result.model.target_scaler;
    ASSERT_EQ(scaler.width(), 2) << loss;
    EXPECT_NEAR(scaler.mean()(0, 0), column_median(data.targets, 0), 1e-4) << loss;
    EXPECT_NEAR(scaler.mean()(0, 1), column_median(data.targets, 1), 1e-1) << loss;
  }
}

TEST(FitMultiTarget, PredictsEachColumnInItsUnits) {
  const Dataset data = two_targets();
  FitResult result = fit(data, quick_options());
  const Metrics metrics = result.model.evaluate(data);
  ASSERT_EQ(metrics.targets.size(), 2u);
  EXPECT_GT(metrics.targets[0].r2, 0.95);
  EXPECT_GT(metrics.targets[1].r2, 0.95);
  // rmse in each column's own units: far below the sine's amplitude, and a small part of the line's range.
  EXPECT_LT(metrics.targets[0].rmse, 0.25);
  EXPECT_LT(metrics.targets[1].rmse, 250.0);
  EXPECT_NEAR(*metrics.r2, 0.5 * (metrics.targets[0].r2 + metrics.targets[1].r2), 1e-12);
  EXPECT_NEAR(*metrics.rmse, 0.5 * (metrics.targets[0].rmse + metrics.targets[1].rmse), 1e-9);
}

TEST(FitMultiTarget, ModelFileRoundTrip) {
  const Dataset data = two_targets();
  Model model = fit(data, quick_options()).model;
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("protean_multi_target_" + std::to_string(::getpid()) + ".safetensors");
  save_model(model, path);
  Model loaded = load_model(path);
  std::filesystem::remove(path);

  EXPECT_EQ(loaded.target_names, model.target_names);
  ASSERT_EQ(loaded.target_scaler.width(), 2);
  EXPECT_TRUE(bitwise_equal(loaded.target_scaler.mean(), model.target_scaler.mean()));
  EXPECT_TRUE(bitwise_equal(loaded.target_scaler.scale(), model.target_scaler.scale()));
  EXPECT_TRUE(bitwise_equal(loaded.predict(data.inputs), model.predict(data.inputs)));
  const Metrics before = model.evaluate(data);
  const Metrics after = loaded.evaluate(data);
  ASSERT_EQ(after.targets.size(), 2u);
  EXPECT_EQ(after.targets[0].r2, before.targets[0].r2);
  EXPECT_EQ(after.targets[1].r2, before.targets[1].r2);
}

TEST(FitMultiTarget, DecomposesEachOutput) {
  const Dataset data = two_targets();
  FitOptions options = quick_options();
  options.activation = Activation::sigmoid;
  options.hidden = {6};
  options.epochs = 5;
  Model model = fit(data, options).model;
  ASSERT_FALSE(decomposition_unsupported_reason(model).has_value());
  const std::vector<float> xs = {-1.5f, 0.0f, 0.5f, 1.75f};
  Matrix inputs = Matrix::zeros(static_cast<Index>(xs.size()), 1);
  for (std::size_t k = 0; k < xs.size(); ++k) inputs(static_cast<Index>(k), 0) = xs[k];
  const Matrix predicted = model.predict(inputs);
  for (Index target = 0; target < 2; ++target) {
    const Decomposition parts = decompose(model, xs, target);
    EXPECT_EQ(parts.target, target);
    for (std::size_t k = 0; k < xs.size(); ++k) {
      const double expected = predicted(static_cast<Index>(k), target);
      EXPECT_NEAR(parts.total[k], expected, 1e-4 * (1.0 + std::abs(expected))) << "target " << target << ", x " << xs[k];
    }
  }
  EXPECT_THROW(decompose(model, xs, 2), Error);
}

}  // namespace
}  // namespace protean
