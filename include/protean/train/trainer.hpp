// The training loop: mini-batch gradient descent over shuffled data.
//
// Each step is the whole protocol:
//   output = network.forward(batch_x, Mode::training)
//   loss   = loss.forward_backward(output, batch_y, d_output)
//   network.backward(d_output)           // fills every parameter's grad
//   optimizer.step(network.parameters())
// Rows are shuffled every epoch from a seeded stream, and a last partial batch is trained on
// unless drop_last is set. The same seed, data and thread count give bitwise the same weights.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "protean/losses/loss.hpp"
#include "protean/network.hpp"
#include "protean/optimizers/optimizer.hpp"
#include "protean/train/metrics.hpp"

namespace protean {

enum class Schedule {
  constant,  // the optimizer's learning rate throughout
  cosine,    // cosine decay from the learning rate to 1% of it over all epochs
};

struct TrainOptions {
  int epochs = 10;
  Index batch_size = 32;
  std::uint64_t seed = 0;
  bool drop_last = false;
  Schedule schedule = Schedule::constant;
  // At the end, put back the weights of the epoch with the lowest validation loss (the lowest
  // training loss when there is no validation data).
  bool restore_best = false;
  // Record the L2 norm of every layer's weight gradient, averaged over each epoch's batches
  // (EpochStats::gradient_norms). Costs one pass over the gradients per step.
  bool record_gradient_norms = false;
};

// Held-out rows scored after every epoch. `metrics` turns the network's outputs on these rows
// into user-facing metrics (for example in the targets' original units); it may be empty.
struct Validation {
  ConstMatrixView inputs;
  ConstMatrixView targets;
  std::function<Metrics(ConstMatrixView outputs)> metrics;
};

struct EpochStats {
  int epoch = 0;  // 1-based
  double train_loss = 0.0;  // mean over the epoch's batches, weighted by batch rows
  double validation_loss = std::numeric_limits<double>::quiet_NaN();
  Metrics validation_metrics;
  double learning_rate = 0.0;
  double seconds = 0.0;  // wall time of this epoch's training steps, validation excluded
  double samples_per_second = 0.0;
  // With TrainOptions::record_gradient_norms: one entry per weight parameter, in the order of
  // TrainResult::gradient_norm_names. Norms that shrink towards the first layer show vanishing
  // gradients; norms that grow by orders of magnitude show exploding ones.
  std::vector<double> gradient_norms;
};

// Receives progress. The library never prints; the CLI's progress bar is one of these.
class TrainingObserver {
 public:
  virtual ~TrainingObserver() = default;
  virtual void on_train_begin(int /*epochs*/, Index /*batches_per_epoch*/) {}
  virtual void on_batch_end(int /*epoch*/, Index /*batch*/, double /*loss*/) {}
  // Returns false to stop training after this epoch.
  virtual bool on_epoch_end(const EpochStats& /*stats*/) { return true; }
};

struct TrainResult {
  std::vector<EpochStats> history;
  int best_epoch = 0;  // epoch whose weights the network holds at the end (the last one without validation)
  bool stopped_early = false;
  double seconds = 0.0;
  std::vector<std::string> gradient_norm_names;  // e.g. "0.weight", one per EpochStats::gradient_norms entry
};

TrainResult train(Network& network, const Loss& loss, Optimizer& optimizer, ConstMatrixView inputs,
                  ConstMatrixView targets, const TrainOptions& options, const Validation* validation = nullptr,
                  TrainingObserver* observer = nullptr);

// Mean loss of the network over all rows, evaluated in blocks in inference mode.
double evaluate_loss(Network& network, const Loss& loss, ConstMatrixView inputs, ConstMatrixView targets,
                     Index batch_size = 1024);

}  // namespace protean
