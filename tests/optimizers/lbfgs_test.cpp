#include "protean/optimizers/lbfgs.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>

#include "protean/losses/mse.hpp"
#include "protean/train/full_batch.hpp"

namespace protean {
namespace {

// f(x, y) = (1 − x)² + 100·(y − x²)², minimum 0 at (1, 1).
double rosenbrock(const Eigen::VectorXd& x, Eigen::VectorXd& gradient) {
  const double a = 1.0 - x(0);
  const double b = x(1) - x(0) * x(0);
  gradient.resize(2);
  gradient(0) = -2.0 * a - 400.0 * x(0) * b;
  gradient(1) = 200.0 * b;
  return a * a + 100.0 * b * b;
}

TEST(Lbfgs, MinimizesRosenbrock) {
  Lbfgs lbfgs;
  Eigen::VectorXd x(2);
  x << -1.2, 1.0;
  LbfgsStatus status = LbfgsStatus::running;
  int iterations = 0;
  while (iterations < 200 && status == LbfgsStatus::running) {
    status = lbfgs.iterate(rosenbrock, x);
    ++iterations;
  }
  EXPECT_EQ(status, LbfgsStatus::converged) << "after " << iterations << " iterations";
  EXPECT_NEAR(x(0), 1.0, 1e-9);
  EXPECT_NEAR(x(1), 1.0, 1e-9);
  EXPECT_LT(lbfgs.value(), 1e-20);
}

TEST(Lbfgs, EveryStepDecreasesTheValue) {
  Lbfgs lbfgs;
  Eigen::VectorXd x(2);
  x << -1.2, 1.0;
  Eigen::VectorXd gradient;
  double previous = rosenbrock(x, gradient);
  for (int i = 0; i < 30 && lbfgs.iterate(rosenbrock, x) == LbfgsStatus::running; ++i) {
    EXPECT_LT(lbfgs.value(), previous) << "iteration " << i + 1;
    previous = lbfgs.value();
  }
}

TEST(Lbfgs, StateRoundTripContinuesIdentically) {
  Lbfgs first;
  Eigen::VectorXd a(2);
  a << -1.2, 1.0;
  for (int i = 0; i < 5; ++i) first.iterate(rosenbrock, a);
  Lbfgs second;
  second.set_state(first.state());
  Eigen::VectorXd b = a;
  // `first` holds its gradient at a; `second` evaluates it again on its first call.
  first.iterate(rosenbrock, a);
  second.iterate(rosenbrock, b);
  EXPECT_NEAR(a(0), b(0), 1e-12);
  EXPECT_NEAR(a(1), b(1), 1e-12);
  EXPECT_EQ(first.state().size(), 2u * 6u);
}

// Regression on y = 3x₁ − 2x₂ + 0.5 + noise with a linear network: L-BFGS reaches the least
// squares solution to the precision of the float32 network.
TEST(Lbfgs, FitsLinearRegressionToLeastSquares) {
  const Index n = 200;
  Matrix x = Matrix::zeros(n, 2);
  Matrix y = Matrix::zeros(n, 1);
  Eigen::MatrixXd design(n, 3);
  Eigen::VectorXd observed(n);
  for (Index i = 0; i < n; ++i) {
    x(i, 0) = std::sin(0.37f * static_cast<float>(i));
    x(i, 1) = std::cos(0.11f * static_cast<float>(i) + 0.5f);
    y(i, 0) = 3.0f * x(i, 0) - 2.0f * x(i, 1) + 0.5f + 0.1f * std::sin(1.7f * static_cast<float>(i * i));
    design(i, 0) = x(i, 0);
    design(i, 1) = x(i, 1);
    design(i, 2) = 1.0;
    observed(i) = y(i, 0);
  }
  const Eigen::VectorXd exact = design.colPivHouseholderQr().solve(observed);
  const double exact_mse = (design * exact - observed).squaredNorm() / static_cast<double>(n);

  Network network(2);
  network.add_dense(1);
  network.initialize(3);
  Lbfgs lbfgs;
  TrainOptions options;
  options.epochs = 100;
  const TrainResult result = train_full_batch(network, MeanSquaredError(), lbfgs, x, y, options);
  ASSERT_FALSE(result.history.empty());
  const MatrixView weight = network.parameters()[0].value;
  const MatrixView bias = network.parameters()[1].value;
  EXPECT_NEAR(weight(0, 0), exact(0), 1e-5);
  EXPECT_NEAR(weight(1, 0), exact(1), 1e-5);
  EXPECT_NEAR(bias(0, 0), exact(2), 1e-5);
  EXPECT_NEAR(result.history.back().train_loss, exact_mse, 1e-6 * exact_mse + 1e-9);
}

// A small non-linear fit: sin(2x) on [-2, 2] with one tanh hidden layer. Full-batch L-BFGS
// drives the training loss more than three orders of magnitude below its start (0.42) and stops
// on its own when float32 gradients no longer give a descent direction (after about 800
// iterations). Where it stops depends on rounding: the loss ended at 1.04e-4 in a build without
// AVX-512 on an Intel Xeon, and below 1e-4 elsewhere.
TEST(TrainFullBatch, FitsSmallNonlinearRegression) {
  const Index n = 64;
  Matrix x = Matrix::zeros(n, 1);
  Matrix y = Matrix::zeros(n, 1);
  for (Index i = 0; i < n; ++i) {
    x(i, 0) = -2.0f + 4.0f * static_cast<float>(i) / static_cast<float>(n - 1);
    y(i, 0) = std::sin(2.0f * x(i, 0));
  }
  Network network(1);
  network.add_dense(16, Activation::tanh).add_dense(1);
  network.initialize(5);
  Lbfgs lbfgs;
  TrainOptions options;
  options.epochs = 2000;
  const TrainResult result = train_full_batch(network, MeanSquaredError(), lbfgs, x, y, options);
  EXPECT_TRUE(result.stopped_early);
  EXPECT_LT(result.history.back().train_loss, 2e-4);
  const double direct = evaluate_loss(network, MeanSquaredError(), x, y);
  EXPECT_NEAR(direct, result.history.back().train_loss, 1e-7);
}

TEST(NetworkObjective, GradientMatchesFiniteDifferences) {
  Matrix x = Matrix::zeros(5, 2);
  Matrix y = Matrix::zeros(5, 1);
  for (Index i = 0; i < 10; ++i) x.data()[i] = std::sin(static_cast<float>(i));
  for (Index i = 0; i < 5; ++i) y(i, 0) = std::cos(static_cast<float>(i));
  Network network(2);
  network.add_dense(3, Activation::tanh).add_dense(1);
  network.initialize(1);
  const MeanSquaredError loss;
  // Two-row blocks exercise the weighting of a last partial block.
  const Lbfgs::Objective objective = network_objective(network, loss, x, y, /*weight_decay=*/0.3, /*block_rows=*/2);
  Eigen::VectorXd theta = flatten_parameters(network);
  Eigen::VectorXd gradient, ignored;
  objective(theta, gradient);
  for (Index i = 0; i < theta.size(); ++i) {
    const double h = 1e-3;
    Eigen::VectorXd up = theta, down = theta;
    up(i) += h;
    down(i) -= h;
    const double numeric = (objective(up, ignored) - objective(down, ignored)) / (2.0 * h);
    EXPECT_NEAR(gradient(i), numeric, 2e-3 * std::max(1.0, std::abs(numeric))) << "parameter " << i;
  }
}

}  // namespace
}  // namespace protean
