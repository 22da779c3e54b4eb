#include "protean/train/diagnostics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "protean/losses/mse.hpp"
#include "protean/optimizers/adam.hpp"
#include "protean/optimizers/sgd.hpp"
#include "protean/train/trainer.hpp"

namespace protean {
namespace {

bool mentions(const std::vector<std::string>& warnings, const std::string& text) {
  return std::any_of(warnings.begin(), warnings.end(), [&](const std::string& w) { return w.find(text) != std::string::npos; });
}

struct Curve {
  Matrix x;
  Matrix y;
  explicit Curve(Index n) : x(Matrix::zeros(n, 1)), y(Matrix::zeros(n, 1)) {
    for (Index i = 0; i < n; ++i) {
      x(i, 0) = -2.0f + 4.0f * static_cast<float>(i) / static_cast<float>(n - 1);
      y(i, 0) = std::sin(2.0f * x(i, 0));
    }
  }
};

TrainOptions diagnostic_options(int epochs) {
  TrainOptions options;
  options.epochs = epochs;
  options.batch_size = 16;
  options.record_gradient_norms = true;
  options.record_activation_statistics = true;
  return options;
}

TEST(ActivationStatistics, MeanDeviationAndDeadUnits) {
  Network network(1);
  network.add_dense(3, Activation::relu).add_dense(1);
  network.initialize(1);
  auto& first = dynamic_cast<Dense&>(network.layer(0));
  // Unit 0 copies x, unit 1 is always 0 (dead), unit 2 is x + 1.
  first.weight()(0, 0) = 1.0f;
  first.weight()(0, 1) = -1.0f;
  first.weight()(0, 2) = 1.0f;
  first.bias()(0, 0) = 0.0f;
  first.bias()(0, 1) = -10.0f;
  first.bias()(0, 2) = 1.0f;
  Matrix sample = Matrix::zeros(2, 1);
  sample(0, 0) = 1.0f;
  sample(1, 0) = 3.0f;
  const auto statistics = activation_statistics(network, sample);
  ASSERT_EQ(statistics.size(), 2u);
  EXPECT_EQ(statistics[0].layer, "0 dense relu");
  // Outputs: {1, 0, 2} and {3, 0, 4}: mean 10/6.
  EXPECT_NEAR(statistics[0].mean, 10.0 / 6.0, 1e-9);
  const double mean_square = (1.0 + 4.0 + 9.0 + 16.0) / 6.0;
  EXPECT_NEAR(statistics[0].standard_deviation, std::sqrt(mean_square - (10.0 / 6.0) * (10.0 / 6.0)), 1e-9);
  EXPECT_NEAR(statistics[0].dead_fraction, 1.0 / 3.0, 1e-12);
  EXPECT_EQ(statistics[1].layer, "1 dense identity");
}

TEST(Diagnose, HealthyRunIsQuiet) {
  Curve data(128);
  Network network(1);
  network.add_dense(16, Activation::tanh).add_dense(16, Activation::tanh).add_dense(1);
  network.initialize(2);
  Adam adam(0.01f);
  TrainOptions options = diagnostic_options(40);
  options.schedule = Schedule::cosine;
  const TrainResult result = train(network, MeanSquaredError(), adam, data.x, data.y, options);
  ASSERT_EQ(result.history.back().activation_statistics.size(), 3u);
  const auto warnings = diagnose_training(result);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
}

TEST(Diagnose, VanishingGradientsInDeepSigmoidStack) {
  // Ten sigmoid layers: each one multiplies the backward signal by at most 1/4.
  Curve data(64);
  Network network(1);
  for (int i = 0; i < 10; ++i) network.add_dense(8, Activation::sigmoid);
  network.add_dense(1);
  network.initialize(3);
  Sgd sgd(0.01f);
  const TrainResult result = train(network, MeanSquaredError(), sgd, data.x, data.y, diagnostic_options(5));
  const auto warnings = diagnose_training(result);
  EXPECT_TRUE(mentions(warnings, "vanishing gradients")) << (warnings.empty() ? "no warnings" : warnings.front());
}

TEST(Diagnose, ExplodingGradientsWithHugeLearningRate) {
  Curve data(64);
  Network network(1);
  network.add_dense(16, Activation::relu).add_dense(16, Activation::relu).add_dense(1);
  network.initialize(4);
  Sgd sgd(0.5f, 0.9f);
  TrainOptions options = diagnostic_options(6);
  options.check_finite = false;
  const TrainResult result = train(network, MeanSquaredError(), sgd, data.x, data.y, options);
  const auto warnings = diagnose_training(result);
  EXPECT_TRUE(mentions(warnings, "exploding gradients")) << (warnings.empty() ? "no warnings" : warnings.front());
}

TEST(Diagnose, DeadReluUnits) {
  Curve data(64);
  Network network(1);
  network.add_dense(8, Activation::relu).add_dense(1);
  network.initialize(5);
  // Large negative biases switch every hidden unit off on every row.
  network.parameters()[1].value.fill(-100.0f);
  Sgd sgd(0.01f);
  const TrainResult result = train(network, MeanSquaredError(), sgd, data.x, data.y, diagnostic_options(3));
  const auto warnings = diagnose_training(result);
  EXPECT_TRUE(mentions(warnings, "dead units: 100% of the units of layer 0 dense relu"))
      << (warnings.empty() ? "no warnings" : warnings.front());
}

TEST(Diagnose, LossThatNeverImproves) {
  Curve data(64);
  Network network(1);
  network.add_dense(4, Activation::tanh).add_dense(1);
  network.initialize(6);
  Sgd sgd(1e-9f, 0.0f);
  const TrainResult result = train(network, MeanSquaredError(), sgd, data.x, data.y, diagnostic_options(12));
  const auto warnings = diagnose_training(result);
  EXPECT_TRUE(mentions(warnings, "the training loss did not improve")) << (warnings.empty() ? "no warnings" : warnings.front());
}

TEST(Diagnose, LossThatStopsImprovingEarly) {
  TrainResult result;
  for (int e = 1; e <= 40; ++e) {
    EpochStats stats;
    stats.epoch = e;
    stats.train_loss = e <= 5 ? 1.0 / e : 0.2 + 0.001 * e;  // best at epoch 5, then worse
    result.history.push_back(stats);
  }
  const auto warnings = diagnose_training(result);
  EXPECT_TRUE(mentions(warnings, "stopped improving: its lowest value, 0.2, was in epoch 5 of 40"))
      << (warnings.empty() ? "no warnings" : warnings.front());
}

TEST(Diagnose, ExactFitIsNoStall) {
  // Three rows of y = 2x fit to rounding noise: the loss falls to 1e-18 by epoch 30, then
  // jitters above it. Neither stall warning applies, nor does a loss that is 0 from the start.
  TrainResult exact;
  for (int e = 1; e <= 100; ++e) {
    EpochStats stats;
    stats.epoch = e;
    stats.train_loss = e < 30 ? std::pow(10.0, -0.6 * e) : (e == 30 ? 1e-18 : 1e-16);
    exact.history.push_back(stats);
  }
  EXPECT_FALSE(mentions(diagnose_training(exact), "the training loss"));
  TrainResult zero = exact;
  for (EpochStats& stats : zero.history) stats.train_loss = 0.0;
  EXPECT_FALSE(mentions(diagnose_training(zero), "the training loss"));
  // The same shape of curve stopping at a loss 1e-6 of its first one is still reported.
  TrainResult coarse = exact;
  for (EpochStats& stats : coarse.history) stats.train_loss = std::max(stats.train_loss, 1e-6);
  coarse.history[29].train_loss = 0.9e-6;
  EXPECT_TRUE(mentions(diagnose_training(coarse), "stopped improving: its lowest value, 9e-07, was in epoch 30 of 100"));
}

// Epochs whose training loss falls steadily, with the given validation r² at every epoch.
TrainResult run_with_validation_r2(double r2, int best_epoch) {
  TrainResult result;
  for (int e = 1; e <= 10; ++e) {
    EpochStats stats;
    stats.epoch = e;
    stats.train_loss = 1.0 / e;
    stats.validation_metrics.r2 = e == best_epoch ? r2 : 0.9;
    result.history.push_back(stats);
  }
  result.best_epoch = best_epoch;
  return result;
}

TEST(Diagnose, FitWorseThanTheMean) {
  const auto warnings = diagnose_training(run_with_validation_r2(-3.5, 7));
  EXPECT_TRUE(mentions(warnings, "the kept epoch 7 predicts the validation rows worse than their mean does (r2 -3.5)"))
      << (warnings.empty() ? "no warnings" : warnings.front());
  EXPECT_FALSE(mentions(diagnose_training(run_with_validation_r2(0.2, 7)), "worse than their mean"));
  // Only the kept epoch counts: a poor early epoch that was not kept says nothing.
  TrainResult early = run_with_validation_r2(0.8, 10);
  early.history.front().validation_metrics.r2 = -1.0;
  EXPECT_FALSE(mentions(diagnose_training(early), "worse than their mean"));
}

TEST(Diagnose, FullBatchRunCountsIterations) {
  TrainResult result = run_with_validation_r2(-3.5, 7);
  result.full_batch = true;
  for (EpochStats& stats : result.history) stats.train_loss = 1.0;
  const auto warnings = diagnose_training(result);
  EXPECT_TRUE(mentions(warnings, "the kept iteration 7 predicts the validation rows worse"))
      << (warnings.empty() ? "no warnings" : warnings.front());
  EXPECT_TRUE(mentions(warnings, "1 in iteration 1, and never 1% lower in 10 iterations"))
      << (warnings.empty() ? "no warnings" : warnings.front());
  for (const std::string& warning : warnings) {
    EXPECT_EQ(warning.find("epoch"), std::string::npos) << warning;
    EXPECT_EQ(warning.find("learning rate"), std::string::npos) << warning;
  }
}

TEST(Diagnose, FlatLossUnderOutlierLossIsExpected) {
  TrainResult result;
  for (int e = 1; e <= 40; ++e) {
    EpochStats stats;
    stats.epoch = e;
    stats.train_loss = 1000.0 + 1.0 / e;  // a few outliers' errors dominate the mean
    result.history.push_back(stats);
  }
  EXPECT_TRUE(mentions(diagnose_training(result), "the training loss did not improve"));
  DiagnosticThresholds thresholds;
  thresholds.outlier_loss = true;
  EXPECT_FALSE(mentions(diagnose_training(result, thresholds), "the training loss"));
}

TEST(Diagnose, RisingLossUnderWeightDecayIsExpected) {
  TrainResult result;
  for (int e = 1; e <= 40; ++e) {
    EpochStats stats;
    stats.epoch = e;
    stats.train_loss = e <= 5 ? 1.0 / e : 0.2 + 0.001 * e;  // the same curve as above
    result.history.push_back(stats);
  }
  DiagnosticThresholds thresholds;
  thresholds.weight_decay = true;
  EXPECT_FALSE(mentions(diagnose_training(result, thresholds), "stopped improving"));
}

TEST(Train, ClipNormBoundsTheStep) {
  // One weight, MSE on x = 1, y = 100: the gradient is about −200, clipped to norm 1, so plain
  // SGD with rate 0.1 moves the weight and bias by 0.1 in total length.
  Matrix x = Matrix::filled(1, 1, 1.0f);
  Matrix y = Matrix::filled(1, 1, 100.0f);
  Network network(1);
  network.add_dense(1);
  network.initialize(1);
  network.parameters()[0].value.fill(0.0f);
  Sgd sgd(0.1f, 0.0f);
  TrainOptions options;
  options.epochs = 1;
  options.batch_size = 1;
  options.clip_norm = 1.0;
  train(network, MeanSquaredError(), sgd, x, y, options);
  const double w = network.parameters()[0].value(0, 0);
  const double b = network.parameters()[1].value(0, 0);
  EXPECT_NEAR(std::hypot(w, b), 0.1, 1e-6);
  EXPECT_NEAR(w, b, 1e-6);  // both gradients are equal, so the direction is kept
}

TEST(Train, PatienceStopsAndRestoresBest) {
  Curve data(32);
  Curve held_out(16);
  for (Index i = 0; i < 16; ++i) held_out.y(i, 0) += 5.0f;  // validation that training makes worse
  Network network(1);
  network.add_dense(8, Activation::tanh).add_dense(1);
  network.initialize(7);
  Adam adam(0.01f);
  TrainOptions options;
  options.epochs = 200;
  options.batch_size = 8;
  options.patience = 5;
  options.restore_best = true;
  Validation validation;
  validation.inputs = held_out.x;
  validation.targets = held_out.y;
  const TrainResult result = train(network, MeanSquaredError(), adam, data.x, data.y, options, &validation);
  EXPECT_TRUE(result.stopped_early);
  ASSERT_LT(result.history.size(), 200u);
  EXPECT_EQ(static_cast<int>(result.history.size()), result.best_epoch + 5);
  EXPECT_NEAR(evaluate_loss(network, MeanSquaredError(), held_out.x, held_out.y),
              result.history[static_cast<std::size_t>(result.best_epoch - 1)].validation_loss, 1e-6);
}

}  // namespace
}  // namespace protean
