// Fourier features let a small network fit fine detail that the same network without them misses.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "protean/fit.hpp"

namespace protean {
namespace {

// A sum of sines up to frequency 50 on [0, 1]; its range is about 3.6.
float sum_of_sines(double x) {
  const double two_pi = 2.0 * std::numbers::pi;
  return static_cast<float>(std::sin(two_pi * 3.0 * x) + 0.5 * std::sin(two_pi * 17.0 * x + 1.0) +
                            0.3 * std::sin(two_pi * 50.0 * x + 2.0));
}

// RMSE over the whole grid, as a fraction of the target's range.
double relative_rmse(const std::string& architecture) {
  Dataset data;
  const Index n = 1000;
  data.inputs = Matrix::zeros(n, 1);
  data.targets = Matrix::zeros(n, 1);
  data.input_names = {"x"};
  data.target_names = {"y"};
  for (Index i = 0; i < n; ++i) {
    data.inputs(i, 0) = static_cast<float>(i) / static_cast<float>(n - 1);
    data.targets(i, 0) = sum_of_sines(data.inputs(i, 0));
  }
  FitOptions options;
  options.architecture = architecture;
  options.epochs = 300;
  options.learning_rate = 3e-3f;
  FitResult result = fit(data, options);
  const Matrix predicted = result.model.predict(data.inputs);
  double squares = 0.0;
  float low = data.targets(0, 0), high = low;
  for (Index i = 0; i < n; ++i) {
    const double error = predicted(i, 0) - data.targets(i, 0);
    squares += error * error;
    low = std::min(low, data.targets(i, 0));
    high = std::max(high, data.targets(i, 0));
  }
  return std::sqrt(squares / static_cast<double>(n)) / (high - low);
}

TEST(FourierFit, SumOfSinesWithinOnePercent) {
  EXPECT_LE(relative_rmse("fourier:8, 64 relu, 64 relu"), 0.01);
}

TEST(FourierFit, SameNetworkWithoutFeaturesFails) {
  EXPECT_GE(relative_rmse("64 relu, 64 relu"), 0.05);
}

}  // namespace
}  // namespace protean
