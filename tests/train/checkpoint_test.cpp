#include "protean/train/checkpoint.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "protean/error.hpp"
#include "protean/fit.hpp"
#include "protean/io/model_file.hpp"

namespace protean {
namespace {

Dataset regression_data() {
  Dataset data;
  data.task = Task::regression;
  data.inputs = Matrix::zeros(90, 2);
  data.targets = Matrix::zeros(90, 1);
  for (Index i = 0; i < 90; ++i) {
    data.inputs(i, 0) = static_cast<float>(i) / 30.0f - 1.5f;
    data.inputs(i, 1) = std::sin(static_cast<float>(i));
    data.targets(i, 0) = data.inputs(i, 0) * data.inputs(i, 0) - 0.5f * data.inputs(i, 1);
  }
  data.input_names = {"a", "b"};
  data.target_names = {"y"};
  data.source = "memory";
  return data;
}

Dataset classification_data() {
  Dataset data;
  data.task = Task::classification;
  data.inputs = Matrix::zeros(75, 2);
  data.targets = Matrix::zeros(75, 1);
  for (Index i = 0; i < 75; ++i) {
    data.inputs(i, 0) = std::cos(static_cast<float>(i));
    data.inputs(i, 1) = std::sin(static_cast<float>(3 * i));
    data.targets(i, 0) = static_cast<float>(i % 3);
  }
  data.input_names = {"u", "v"};
  data.target_names = {"label"};
  data.class_names = {"a", "b", "c"};
  data.source = "memory";
  return data;
}

FitOptions small_recipe(const std::string& optimizer) {
  FitOptions options;
  options.hidden = {7, 5};
  options.activation = Activation::tanh;
  options.optimizer = optimizer;
  options.epochs = 9;
  options.batch_size = 16;
  options.seed = 11;
  return options;
}

// Sets the stop flag once training reaches (epoch, batch), as a Ctrl-C would.
class StopAt final : public TrainingObserver {
 public:
  StopAt(std::atomic<bool>& flag, int epoch, Index batch) : flag_(flag), epoch_(epoch), batch_(batch) {}
  void on_batch_end(int epoch, Index batch, double /*loss*/) override {
    if (epoch == epoch_ && batch == batch_) flag_.store(true);
  }

 private:
  std::atomic<bool>& flag_;
  int epoch_;
  Index batch_;
};

void expect_same_weights(Model& expected, Model& actual) {
  const std::vector<Parameter> a = expected.network.parameters();
  const std::vector<Parameter> b = actual.network.parameters();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(bitwise_equal(a[i].value, b[i].value)) << "parameter " << a[i].name << " differs";
  }
  const std::vector<Buffer> expected_buffers = expected.network.buffers();
  const std::vector<Buffer> actual_buffers = actual.network.buffers();
  ASSERT_EQ(expected_buffers.size(), actual_buffers.size());
  for (std::size_t i = 0; i < expected_buffers.size(); ++i) {
    EXPECT_TRUE(bitwise_equal(expected_buffers[i].value, actual_buffers[i].value))
        << "buffer " << expected_buffers[i].name << " differs";
  }
}

// Interrupts a run at (epoch, batch), saves and reloads the checkpoint through its bytes, resumes
// it, and compares with a run that was never stopped.
void check_interrupt_and_resume(const Dataset& data, const FitOptions& recipe, int epoch, Index batch) {
  FitResult straight = fit(data, recipe);

  std::atomic<bool> stop{false};
  StopAt observer(stop, epoch, batch);
  std::optional<std::string> saved;
  FitOptions interrupted_options = recipe;
  interrupted_options.stop_requested = &stop;
  interrupted_options.on_checkpoint = [&](const Checkpoint& checkpoint) { saved = serialize_checkpoint(checkpoint); };
  const FitResult interrupted = fit(data, interrupted_options, &observer);
  ASSERT_TRUE(interrupted.training.interrupted);
  ASSERT_TRUE(saved.has_value());

  const Checkpoint checkpoint = deserialize_checkpoint(*saved, "memory.ckpt");
  FitOptions resumed_options;
  resumed_options.resume = &checkpoint;
  FitResult resumed = fit(data, resumed_options);
  EXPECT_FALSE(resumed.training.interrupted);
  expect_same_weights(straight.model, resumed.model);
  ASSERT_EQ(resumed.training.history.size(), straight.training.history.size());
  for (std::size_t i = 0; i < straight.training.history.size(); ++i) {
    EXPECT_EQ(resumed.training.history[i].train_loss, straight.training.history[i].train_loss) << "epoch " << i + 1;
  }
  EXPECT_EQ(resumed.training.best_epoch, straight.training.best_epoch);
  EXPECT_EQ(resumed.recipe, straight.recipe);
}

TEST(Checkpoint, AdamResumeMidEpochIsBitwiseSame) {
  check_interrupt_and_resume(regression_data(), small_recipe("adam"), 4, 2);
}

TEST(Checkpoint, AdamResumeAtEpochEndIsBitwiseSame) {
  // The last batch of an epoch: the stop is seen before the next epoch's shuffle.
  check_interrupt_and_resume(regression_data(), small_recipe("adam"), 3, 6);
}

TEST(Checkpoint, SgdClassificationResumeIsBitwiseSame) {
  check_interrupt_and_resume(classification_data(), small_recipe("sgd"), 2, 3);
}

TEST(Checkpoint, BatchNormResumeIsBitwiseSame) {
  // The best epoch's running statistics travel with its weights through the checkpoint.
  FitOptions recipe = small_recipe("adam");
  recipe.architecture = "7 tanh, bn, 5 tanh";
  recipe.learning_rate = 0.3f;  // high, so that the best epoch comes before the last
  check_interrupt_and_resume(regression_data(), recipe, 6, 2);
}

TEST(Checkpoint, DropoutResumeIsBitwiseSame) {
  // The dropout layers' generators travel in the checkpoint, so the resumed run draws the masks
  // the uninterrupted one drew.
  FitOptions recipe = small_recipe("adam");
  recipe.architecture = "7 tanh, dropout:0.3, 5 tanh, dropout:0.2";
  check_interrupt_and_resume(regression_data(), recipe, 4, 2);
}

TEST(Checkpoint, ResumeInFirstBatchIsBitwiseSame) {
  check_interrupt_and_resume(regression_data(), small_recipe("adam"), 1, 1);
}

TEST(Checkpoint, PeriodicCheckpointResumes) {
  const Dataset data = regression_data();
  FitOptions recipe = small_recipe("adam");
  recipe.checkpoint_every = 2;
  std::vector<std::string> saved;
  std::vector<int> epochs;
  recipe.on_checkpoint = [&](const Checkpoint& checkpoint) {
    saved.push_back(serialize_checkpoint(checkpoint));
    epochs.push_back(checkpoint.state.epoch);
  };
  FitResult straight = fit(data, recipe);
  EXPECT_EQ(epochs, (std::vector<int>{2, 4, 6, 8}));

  const Checkpoint checkpoint = deserialize_checkpoint(saved.at(1), "epoch4.ckpt");
  EXPECT_EQ(checkpoint.state.epoch, 4);
  EXPECT_EQ(checkpoint.state.batch, 0);
  FitOptions resumed_options;
  resumed_options.resume = &checkpoint;
  FitResult resumed = fit(data, resumed_options);
  expect_same_weights(straight.model, resumed.model);
}

TEST(Checkpoint, AutomaticChoicesAreStoredResolved) {
  const Dataset data = regression_data();
  FitOptions recipe;
  recipe.hidden = {4};
  recipe.epochs = 3;
  recipe.checkpoint_every = 3;
  std::optional<Checkpoint> saved;
  recipe.on_checkpoint = [&](const Checkpoint& checkpoint) { saved = checkpoint; };
  fit(data, recipe);
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(saved->options.learning_rate, 1e-3f);
  EXPECT_EQ(saved->options.batch_size, 32);
  EXPECT_EQ(saved->options.loss, "mse");
  EXPECT_EQ(saved->optimizer, "adam");
}

TEST(Checkpoint, SerializeRoundTripIsStable) {
  const Dataset data = regression_data();
  std::atomic<bool> stop{false};
  StopAt observer(stop, 2, 3);
  FitOptions recipe = small_recipe("adam");
  recipe.stop_requested = &stop;
  std::optional<std::string> saved;
  recipe.on_checkpoint = [&](const Checkpoint& checkpoint) { saved = serialize_checkpoint(checkpoint); };
  fit(data, recipe, &observer);
  ASSERT_TRUE(saved.has_value());

  const Checkpoint checkpoint = deserialize_checkpoint(*saved, "memory.ckpt");
  EXPECT_EQ(serialize_checkpoint(checkpoint), *saved);
  EXPECT_EQ(checkpoint.state.epoch, 1);
  EXPECT_EQ(checkpoint.state.batch, 3);
  EXPECT_EQ(checkpoint.state.history.size(), 1u);
  EXPECT_FALSE(checkpoint.state.last_good_weights.empty());
  EXPECT_EQ(checkpoint.data, fingerprint_of(data));
}

TEST(Checkpoint, OtherDataIsRejected) {
  const Dataset data = regression_data();
  FitOptions recipe = small_recipe("adam");
  recipe.checkpoint_every = 1;
  std::optional<std::string> saved;
  recipe.on_checkpoint = [&](const Checkpoint& checkpoint) {
    if (!saved) saved = serialize_checkpoint(checkpoint);
  };
  fit(data, recipe);
  const Checkpoint checkpoint = deserialize_checkpoint(*saved, "memory.ckpt");

  Dataset changed = data;
  changed.inputs(5, 1) += 1.0f;
  FitOptions resumed_options;
  resumed_options.resume = &checkpoint;
  try {
    fit(changed, resumed_options);
    FAIL() << "a checkpoint resumed on other data";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("differ from the data the checkpoint was trained on"), std::string::npos) << e.what();
    // Row and input counts match, so the message must not read as if they differed.
    EXPECT_NE(std::string(e.what()).find("the data's values differ"), std::string::npos) << e.what();
  }
}

std::string saved_checkpoint() {
  std::atomic<bool> stop{false};
  StopAt observer(stop, 2, 2);
  FitOptions recipe = small_recipe("adam");
  recipe.hidden = {3};
  recipe.stop_requested = &stop;
  std::string saved;
  recipe.on_checkpoint = [&](const Checkpoint& checkpoint) { saved = serialize_checkpoint(checkpoint); };
  fit(regression_data(), recipe, &observer);
  return saved;
}

TEST(Checkpoint, EveryTruncationIsAnError) {
  const std::string bytes = saved_checkpoint();
  ASSERT_FALSE(bytes.empty());
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    try {
      deserialize_checkpoint(std::string_view(bytes).substr(0, size), "cut.ckpt");
      ADD_FAILURE() << "a checkpoint cut to " << size << " bytes loaded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("cut.ckpt"), std::string::npos) << e.what();
    }
  }
}

TEST(Checkpoint, FlippedHeaderBytesNeverCrash) {
  const std::string bytes = saved_checkpoint();
  std::uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  Index errors = 0;
  for (std::size_t i = 0; i < 8 + header_length; ++i) {
    for (const unsigned char mask : {0x01, 0x5a, 0x80}) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ mask);
      try {
        const Checkpoint checkpoint = deserialize_checkpoint(damaged, "flipped.ckpt");
        // A flip inside a name or a number can leave a valid checkpoint; resuming it must then
        // either work or fail with an Error.
        FitOptions resumed_options;
        resumed_options.resume = &checkpoint;
        fit(regression_data(), resumed_options);
      } catch (const Error&) {
        ++errors;
      }
    }
  }
  EXPECT_GT(errors, 0);
}

TEST(Checkpoint, ModelFileIsNotACheckpoint) {
  FitOptions recipe = small_recipe("adam");
  recipe.epochs = 1;
  const std::string model_bytes = serialize_model(fit(regression_data(), recipe).model);
  try {
    deserialize_checkpoint(model_bytes, "model.safetensors");
    FAIL() << "a model file loaded as a checkpoint";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no 'checkpoint' metadata"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace protean
