// Checkpoints of a fit with several targets keep each target's validation metrics.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <optional>
#include <string>

#include "protean/fit.hpp"
#include "protean/train/checkpoint.hpp"

namespace protean {
namespace {

// Sets the stop flag once training reaches (epoch, batch), as a Ctrl-C would.
class StopAtBatch final : public TrainingObserver {
 public:
  StopAtBatch(std::atomic<bool>& flag, int epoch, Index batch) : flag_(flag), epoch_(epoch), batch_(batch) {}
  void on_batch_end(int epoch, Index batch, double /*loss*/) override {
    if (epoch == epoch_ && batch == batch_) flag_.store(true);
  }

 private:
  std::atomic<bool>& flag_;
  int epoch_;
  Index batch_;
};

TEST(CheckpointTargets, HistoryKeepsEachTargetsMetrics) {
  Dataset data;
  data.task = Task::regression;
  data.inputs = Matrix::zeros(90, 1);
  data.targets = Matrix::zeros(90, 2);
  for (Index i = 0; i < 90; ++i) {
    data.inputs(i, 0) = static_cast<float>(i) / 30.0f - 1.5f;
    data.targets(i, 0) = std::sin(data.inputs(i, 0));
    data.targets(i, 1) = 1000.0f * data.inputs(i, 0);
  }
  data.input_names = {"x"};
  data.target_names = {"small", "large"};
  data.source = "memory";

  FitOptions recipe;
  recipe.hidden = {7};
  recipe.optimizer = "adam";
  recipe.epochs = 5;
  recipe.batch_size = 16;
  std::atomic<bool> stop{false};
  StopAtBatch observer(stop, 3, 2);
  recipe.stop_requested = &stop;
  std::optional<std::string> saved;
  recipe.on_checkpoint = [&](const Checkpoint& checkpoint) { saved = serialize_checkpoint(checkpoint); };
  const FitResult interrupted = fit(data, recipe, &observer);
  ASSERT_TRUE(saved.has_value());
  ASSERT_EQ(interrupted.training.history.size(), 2u);

  const Checkpoint checkpoint = deserialize_checkpoint(*saved, "memory.ckpt");
  EXPECT_EQ(serialize_checkpoint(checkpoint), *saved);
  ASSERT_EQ(checkpoint.state.history.size(), 2u);
  for (std::size_t epoch = 0; epoch < 2; ++epoch) {
    const Metrics& expected = interrupted.training.history[epoch].validation_metrics;
    const Metrics& restored = checkpoint.state.history[epoch].validation_metrics;
    ASSERT_EQ(expected.targets.size(), 2u);
    ASSERT_EQ(restored.targets.size(), 2u) << "epoch " << epoch + 1;
    for (std::size_t t = 0; t < 2; ++t) {
      EXPECT_EQ(restored.targets[t].rmse, expected.targets[t].rmse) << "epoch " << epoch + 1 << ", target " << t;
      EXPECT_EQ(restored.targets[t].mae, expected.targets[t].mae) << "epoch " << epoch + 1 << ", target " << t;
      EXPECT_EQ(restored.targets[t].r2, expected.targets[t].r2) << "epoch " << epoch + 1 << ", target " << t;
    }
  }
}

}  // namespace
}  // namespace protean
