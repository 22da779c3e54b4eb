// The training loop: mini-batch gradient descent over shuffled data.
//
// Each step is the whole protocol:
//   output = network.forward(batch_x, Mode::training)
//   loss   = loss.forward_backward(output, batch_y, d_output)
//   network.backward(d_output)           // fills every parameter's grad
//   optimizer.step(network.parameters())
// Rows are shuffled every epoch from a seeded stream, and a last partial batch is trained on
// unless drop_last is set. The same seed and data give bitwise the same weights for any thread count.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "protean/losses/loss.hpp"
#include "protean/network.hpp"
#include "protean/optimizers/optimizer.hpp"
#include "protean/random.hpp"
#include "protean/train/diagnostics.hpp"
#include "protean/train/metrics.hpp"
#include "protean/train/schedule.hpp"

namespace protean {


struct TrainState;

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
  // Record ActivationStatistics of every layer after each epoch (EpochStats::activation_statistics),
  // from a forward pass over the first `activation_sample_rows` training rows.
  bool record_activation_statistics = false;
  Index activation_sample_rows = 512;
  // Gradient clipping: when the L2 norm of all gradients together exceeds this, scale them all
  // down to it before the optimizer step. 0: off. Recorded gradient norms are taken before.
  double clip_norm = 0.0;
  // Early stopping: stop once this many epochs in a row have not lowered the validation loss
  // (the training loss without validation data) below its best. 0: off. With restore_best the
  // network then holds the best epoch's weights.
  int patience = 0;
  // Stop with TrainResult::divergence as soon as the loss, a gradient or a weight is NaN or
  // infinite, and put back the weights of the last epoch that ended finite. Costs one pass over
  // the weights per step, or none with Adam, which checks the weights as it writes them.
  bool check_finite = true;
  // Polled between batches. Once it reads true, train() returns with TrainResult::interrupted
  // and the position reached in TrainResult::state, ready for a checkpoint.
  const std::atomic<bool>* stop_requested = nullptr;
  // Every `checkpoint_every` epochs (0: never), `on_checkpoint` receives the state at the end of
  // the epoch, after the observer's on_epoch_end. The network and optimizer hold the matching
  // weights and optimizer state during the call.
  int checkpoint_every = 0;
  std::function<void(const TrainState&)> on_checkpoint;
  // Continues a run from a saved state instead of starting it. The network and the optimizer must
  // contain the weights and optimizer state saved with it. `epochs`, `batch_size`, `seed` and the
  // data must be those of the original run, and then the result is bitwise that of a run never stopped.
  const TrainState* resume = nullptr;
  // Data-parallel steps: each batch is cut into this many shards of consecutive rows, which run
  // forward and backward through replicas of the network side by side, one per thread, and their
  // gradients are then added in shard order. The cut depends on this number alone, never on the
  // thread count, so every thread count trains the same bits. 0 (or less) picks it from the network and the
  // batch size (training_shards()); 1 turns it off, and every operation is then shared among the
  // threads instead. Networks with a layer that offers no replica (Layer::replica()) use 1.
  int shards = 0;
};

// Returns the shard count that TrainOptions::shards = 0 gives: one per 128 rows of the batch, at
// most 4. It is 1 for a network with a layer that offers no replica, and for one of more than
// 128 Ki parameters, whose gradients would take longer to add than the shards save.
int training_shards(Network& network, Index batch_size);

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
  // With TrainOptions::record_activation_statistics: one entry per layer, after the epoch.
  std::vector<ActivationStatistics> activation_statistics;
};

// Receives progress. The library never prints; the CLI's progress bar is one of these.
class TrainingObserver {
 public:
  virtual ~TrainingObserver() = default;
  virtual void on_train_begin(int /*epochs*/, Index /*batches_per_epoch*/) {}
  // Called by train_full_batch() in place of on_train_begin(): each "epoch" the observer then
  // receives is one L-BFGS iteration over all rows, which a display should call an iteration.
  virtual void on_full_batch_begin(int iterations) { on_train_begin(iterations, 1); }
  virtual void on_batch_end(int /*epoch*/, Index /*batch*/, double /*loss*/) {}
  // Returns false to stop training after this epoch.
  virtual bool on_epoch_end(const EpochStats& /*stats*/) { return true; }
};

// Position and progress of a run between two batches. With the network's weights and the
// optimizer's state it is everything train() needs to continue (TrainOptions::resume).
struct TrainState {
  int epoch = 0;    // 0-based epoch in progress; equals TrainOptions::epochs when the run is over
  Index batch = 0;  // batches of `epoch` already trained; 0 at an epoch boundary
  Rng::State shuffle_rng{};  // the row-shuffling stream
  // Row order of the current epoch, which the next shuffle permutes further; empty before the
  // first shuffle (the rows in their stored order).
  std::vector<Index> order;
  // Sums over the finished batches of the current epoch, for its EpochStats.
  double loss_sum = 0.0;
  Index rows_seen = 0;
  std::vector<double> gradient_norm_sums;
  std::vector<EpochStats> history;  // finished epochs
  // TrainOptions::restore_best: the lowest loss so far, its epoch and that epoch's weights
  // (one matrix per Network::parameters() entry, then one per Network::buffers() entry; empty
  // before the first epoch ends).
  double best_loss = std::numeric_limits<double>::infinity();
  int best_epoch = 0;
  std::vector<Matrix> best_weights;
  // Weights and buffers, as in best_weights, at the end of the last epoch that ended finite (at
  // the start for epoch 0), which a divergence puts back. Empty at an epoch boundary, where they are the current weights.
  std::vector<Matrix> last_good_weights;
};

// Location of the first NaN or infinity: the epoch, the batch and the quantity that held it.
struct Divergence {
  int epoch = 0;   // 1-based
  Index batch = 0; // 1-based; 0 when the validation loss of a finished epoch was not finite
  std::string quantity;  // "loss", "validation loss", "gradient of 0.weight" or "parameter 0.weight"
};

struct TrainResult {
  std::vector<EpochStats> history;
  int best_epoch = 0;  // epoch whose weights the network contains at the end (the last one without validation)
  bool stopped_early = false;
  double seconds = 0.0;
  std::vector<std::string> gradient_norm_names;  // e.g. "0.weight", one per EpochStats::gradient_norms entry
  // TrainOptions::stop_requested was seen: training stopped at `state`, which resumes it. The
  // network keeps its current weights (no best-epoch restore).
  bool interrupted = false;
  TrainState state;
  // TrainOptions::check_finite found a NaN or infinity. The network then holds the weights of
  // the last epoch that ended finite (best_epoch), or its initial weights.
  std::optional<Divergence> divergence;
  // Set by train_full_batch(): each history entry is one L-BFGS iteration, not one epoch.
  bool full_batch = false;
};

// Returns the word for one entry of `result.history` in messages: "iteration" for a
// train_full_batch() run, else "epoch".
inline const char* history_unit(const TrainResult& result) { return result.full_batch ? "iteration" : "epoch"; }

// Errors: no training rows, targets with another row count than the inputs, inputs whose column
// count is not the network's input width, and validation data with the same faults.
// While it runs, float results below 2^-126 in magnitude are flushed to zero and such operands
// read as zero (src/kernels/float_mode.hpp), on the calling thread, in the observer's calls too,
// and on the backend's worker threads. The calling thread's previous mode is restored on return.
TrainResult train(Network& network, const Loss& loss, Optimizer& optimizer, ConstMatrixView inputs,
                  ConstMatrixView targets, const TrainOptions& options, const Validation* validation = nullptr,
                  TrainingObserver* observer = nullptr);

// Mean loss of the network over all rows, evaluated in blocks in inference mode.
double evaluate_loss(Network& network, const Loss& loss, ConstMatrixView inputs, ConstMatrixView targets,
                     Index batch_size = 1024);

}  // namespace protean
