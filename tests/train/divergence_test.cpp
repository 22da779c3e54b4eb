#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "protean/fit.hpp"
#include "protean/losses/mse.hpp"
#include "protean/optimizers/optimizer.hpp"
#include "protean/optimizers/sgd.hpp"
#include "protean/train/trainer.hpp"

namespace protean {
namespace {

struct Problem {
  Matrix inputs = Matrix::zeros(64, 2);
  Matrix targets = Matrix::zeros(64, 1);

  Problem() {
    for (Index i = 0; i < 64; ++i) {
      inputs(i, 0) = static_cast<float>(i) / 32.0f - 1.0f;
      inputs(i, 1) = std::cos(static_cast<float>(i));
      targets(i, 0) = inputs(i, 0) - inputs(i, 1);
    }
  }
};

Network small_network() {
  Network network(2);
  network.add_dense(6, Activation::tanh).add_dense(1);
  network.initialize(3);
  return network;
}

TrainOptions options_for(int epochs) {
  TrainOptions options;
  options.epochs = epochs;
  options.batch_size = 16;
  options.seed = 5;
  return options;
}

// Writes a NaN into the first weight at (epoch, batch), as an overflowing update would.
class PoisonAt final : public TrainingObserver {
 public:
  PoisonAt(Network& network, int epoch, Index batch) : network_(network), epoch_(epoch), batch_(batch) {}
  void on_batch_end(int epoch, Index batch, double /*loss*/) override {
    if (epoch == epoch_ && batch == batch_) network_.parameters().front().value(0, 0) = std::numeric_limits<float>::quiet_NaN();
  }

 private:
  Network& network_;
  int epoch_;
  Index batch_;
};

bool all_finite(ConstMatrixView m) {
  for (Index r = 0; r < m.rows(); ++r) {
    for (Index c = 0; c < m.cols(); ++c) {
      if (!std::isfinite(m(r, c))) return false;
    }
  }
  return true;
}

TEST(Divergence, RestoresLastFiniteEpoch) {
  const Problem problem;
  const MeanSquaredError loss;

  // Reference: exactly two epochs.
  Network reference = small_network();
  Sgd reference_optimizer(0.05f);
  train(reference, loss, reference_optimizer, problem.inputs, problem.targets, options_for(2));

  // The same run poisoned in epoch 3 must stop there and hold the weights of epoch 2.
  Network network = small_network();
  Sgd optimizer(0.05f);
  PoisonAt poison(network, 3, 2);
  const TrainResult result = train(network, loss, optimizer, problem.inputs, problem.targets, options_for(6), nullptr, &poison);
  ASSERT_TRUE(result.divergence.has_value());
  EXPECT_EQ(result.divergence->epoch, 3);
  EXPECT_EQ(result.divergence->batch, 3);
  EXPECT_EQ(result.divergence->quantity, "loss");
  EXPECT_EQ(result.best_epoch, 2);
  EXPECT_EQ(result.history.size(), 2u);
  const std::vector<Parameter> expected = reference.parameters();
  const std::vector<Parameter> actual = network.parameters();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(bitwise_equal(expected[i].value, actual[i].value)) << actual[i].name;
  }
}

TEST(Divergence, FirstEpochRestoresInitialWeights) {
  const Problem problem;
  const MeanSquaredError loss;
  Network network = small_network();
  const Network initial = network;
  Sgd optimizer(0.05f);
  PoisonAt poison(network, 1, 1);
  const TrainResult result = train(network, loss, optimizer, problem.inputs, problem.targets, options_for(4), nullptr, &poison);
  ASSERT_TRUE(result.divergence.has_value());
  EXPECT_EQ(result.divergence->epoch, 1);
  EXPECT_EQ(result.best_epoch, 0);
  Network initial_copy = initial;
  const std::vector<Parameter> expected = initial_copy.parameters();
  const std::vector<Parameter> actual = network.parameters();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(bitwise_equal(expected[i].value, actual[i].value)) << actual[i].name;
  }
}

// Plain SGD that writes `poison` into the last parameter's last entry at step `at`, as an update
// that overflows would.
class PoisoningSgd final : public Optimizer {
 public:
  PoisoningSgd(float poison, int at) : Optimizer(0.01f), poison_(poison), at_(at) {}
  std::string name() const override { return "poisoning sgd"; }
  void step(const std::vector<Parameter>& parameters) override {
    inner_.step(parameters);
    if (++steps_ == at_) {
      const MatrixView last = parameters.back().value;
      last(last.rows() - 1, last.cols() - 1) = poison_;
    }
  }
  std::vector<Matrix> state() const override { return {}; }
  void set_state(std::vector<Matrix>) override {}

 private:
  Sgd inner_{0.01f};
  float poison_;
  int at_;
  int steps_ = 0;
};

TEST(Divergence, InfiniteAndNanWeightsFoundInAnyPosition) {
  const Problem problem;
  const float infinity = std::numeric_limits<float>::infinity();
  for (const float poison : {infinity, -infinity, std::numeric_limits<float>::quiet_NaN()}) {
    Network network = small_network();
    PoisoningSgd optimizer(poison, 6);
    const TrainResult result =
        train(network, MeanSquaredError(), optimizer, problem.inputs, problem.targets, options_for(3));
    ASSERT_TRUE(result.divergence.has_value()) << poison;
    EXPECT_EQ(result.divergence->epoch, 2) << poison;  // 4 batches per epoch, so step 6 is batch 2 of epoch 2
    EXPECT_EQ(result.divergence->batch, 2) << poison;
    EXPECT_EQ(result.divergence->quantity, "parameter 1.bias") << poison;
  }
}

TEST(Divergence, LargeFiniteWeightsAreNotDivergence) {
  const Problem problem;
  Network network = small_network();
  PoisoningSgd optimizer(std::numeric_limits<float>::max(), 2);
  const TrainResult result = train(network, MeanSquaredError(), optimizer, problem.inputs, problem.targets, options_for(1));
  // The largest float is finite, so the weight check passes it at batch 2. The gradients it
  // causes overflow, and the gradient check stops the run at batch 3.
  ASSERT_TRUE(result.divergence.has_value());
  EXPECT_EQ(result.divergence->batch, 3);
  EXPECT_EQ(result.divergence->quantity.rfind("gradient of ", 0), 0u) << result.divergence->quantity;
}

TEST(Divergence, CheckCanBeTurnedOff) {
  const Problem problem;
  const MeanSquaredError loss;
  Network network = small_network();
  Sgd optimizer(0.05f);
  PoisonAt poison(network, 1, 1);
  TrainOptions options = options_for(2);
  options.check_finite = false;
  const TrainResult result = train(network, loss, optimizer, problem.inputs, problem.targets, options, nullptr, &poison);
  EXPECT_FALSE(result.divergence.has_value());
  EXPECT_EQ(result.history.size(), 2u);
}

TEST(Divergence, FitWithHugeLearningRateKeepsUsableModel) {
  Dataset data;
  data.task = Task::regression;
  data.inputs = Matrix::zeros(120, 2);
  data.targets = Matrix::zeros(120, 1);
  for (Index i = 0; i < 120; ++i) {
    data.inputs(i, 0) = static_cast<float>(i) / 12.0f;
    data.inputs(i, 1) = std::sin(static_cast<float>(i));
    data.targets(i, 0) = 3.0f * data.inputs(i, 0) - data.inputs(i, 1);
  }
  data.input_names = {"a", "b"};
  data.target_names = {"y"};
  data.source = "memory";

  FitOptions options;
  options.optimizer = "sgd";
  options.learning_rate = 100.0f;
  options.epochs = 20;
  FitResult result = fit(data, options);
  ASSERT_TRUE(result.training.divergence.has_value());
  EXPECT_FALSE(result.training.divergence->quantity.empty());
  EXPECT_EQ(result.learning_rate, 100.0f);
  EXPECT_TRUE(all_finite(result.model.predict(data.inputs)));
}

}  // namespace
}  // namespace protean
