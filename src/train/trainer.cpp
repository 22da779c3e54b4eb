#include "protean/train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <fmt/format.h>
#include <numeric>
#include <optional>
#include <utility>

#include "kernels/float_mode.hpp"
#include "kernels/worker_pool.hpp"
#include "protean/error.hpp"
#include "protean/kernels/backend.hpp"
#include "protean/random.hpp"

namespace protean {

namespace {

using Clock = std::chrono::steady_clock;

double l2_norm(ConstMatrixView m);

// Asks the processor to start loading the given rows into the caches, so that the next
// gather_rows() copies them from the cache rather than from memory while this step computes.
// One prefetch per 512 bytes is enough to start the hardware's own stream prefetcher on a row.
// A prefetch for every 64-byte line stalled the core once its miss buffers were full. One
// fashion epoch on one thread ran at 206 k samples/s with a prefetch per line, 210 k with none
// and 218 k with one per 512 bytes (protean_bench fashion 1 1, medians of 5 runs).
void prefetch_rows(ConstMatrixView source, const Index* rows, Index count) {
  constexpr Index kStride = 512 / sizeof(float);
  for (Index i = 0; i < count; ++i) {
    const float* row = source.row(rows[i]);
    for (Index c = 0; c < source.cols(); c += kStride) __builtin_prefetch(row + c, /*rw=*/0, /*locality=*/2);
  }
}

// Copies the rows of a batch. For a data set larger than the caches each row is a trip to
// memory, 5% of a one-core fashion step, so the rows are shared among the backend's threads.
// With `next_rows`, the thread that copies rows [i, j) of this batch also prefetches rows [i, j)
// of the next one. The pool gives a thread the same parts every step, so each row lands in the
// cache of the thread that will copy it. Smaller data sets are prefetched too: perf showed the
// copy of surface's rows (768 KiB in all, read in random order) waiting on cache misses for 3%
// of a one-core step.
constexpr Index kNarrowRow = 8;
constexpr Index kCachedElements = 64 * 1024;  // 256 KiB of floats

void gather_rows(int threads, ConstMatrixView source, const Index* rows, Index count, MatrixView out,
                 const Index* next_rows = nullptr, Index next_count = 0) {
  const Index grain = std::max<Index>(1, 16384 / std::max<Index>(source.cols(), 1));
  const bool prefetch = source.rows() * source.cols() > kCachedElements;
  detail::run_in_blocks(threads, count, grain, [&](Index begin, Index end) {
    if (source.cols() <= kNarrowRow) {
      // Narrow rows are copied value by value rather than by a call to memcpy each.
      for (Index i = begin; i < end; ++i) {
        const float* from = source.row(rows[i]);
        float* to = out.row(i);
        for (Index c = 0; c < source.cols(); ++c) to[c] = from[c];
      }
    } else {
      for (Index i = begin; i < end; ++i) std::memcpy(out.row(i), source.row(rows[i]), sizeof(float) * source.cols());
    }
    // The next batch is at most as large as this one. Data of at most 256 KiB (curve's is 16
    // KiB) stays in the L2 cache, and prefetching it took 0.5% of a curve step for nothing.
    if (prefetch && begin < next_count) prefetch_rows(source, next_rows + begin, std::min(end, next_count) - begin);
  });
}

// Fisher-Yates with our own portable integer draws. In a function of its own, on a copy of the
// generator, the state stays in registers: inside train() it was spilled to the stack, and the
// shuffle took 3.3% of a curve step.
[[gnu::noinline]] void shuffle(std::vector<Index>& order, Rng& rng) {
  Rng local = rng;
  for (Index i = static_cast<Index>(order.size()) - 1; i > 0; --i) {
    std::swap(order[static_cast<std::size_t>(i)],
              order[static_cast<std::size_t>(local.uniform_index(static_cast<std::uint64_t>(i) + 1))]);
  }
  rng = local;
}

// The loss that restore_best, patience and the plateau schedule watch.
double tracked_loss_of(const EpochStats& stats) {
  return std::isnan(stats.validation_loss) ? stats.train_loss : stats.validation_loss;
}

// Epochs since the one with the lowest tracked loss, for early stopping.
int epochs_since_best(const std::vector<EpochStats>& history) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < history.size(); ++i) {
    if (tracked_loss_of(history[i]) < tracked_loss_of(history[best])) best = i;
  }
  return static_cast<int>(history.size() - 1 - best);
}

// Scales every gradient by max_norm / ‖g‖ when the global L2 norm ‖g‖ over all parameters
// exceeds max_norm, as PyTorch's clip_grad_norm_.
void clip_gradients(const std::vector<Parameter>& parameters, double max_norm) {
  double sum = 0.0;
  for (const Parameter& parameter : parameters) {
    const double norm = l2_norm(parameter.grad);
    sum += norm * norm;
  }
  const double norm = std::sqrt(sum);
  if (!(norm > max_norm)) return;
  const auto scale = static_cast<float>(max_norm / norm);
  for (const Parameter& parameter : parameters) {
    for (Index r = 0; r < parameter.grad.rows(); ++r) {
      float* row = parameter.grad.row(r);
      for (Index c = 0; c < parameter.grad.cols(); ++c) row[c] *= scale;
    }
  }
}

// Copies the weights into `values`, reusing the storage of a copy made before. Fresh matrices
// at every epoch end cost a new allocation, and the page faults of a fresh mapping, for every
// weight: 8000 faults an epoch for the 32 MB of the 1024-2048-2048-1024 network.
void copy_weights(const std::vector<MatrixView>& views, std::vector<Matrix>& values) {
  values.resize(views.size());
  for (std::size_t i = 0; i < views.size(); ++i) {
    values[i].resize(views[i].rows(), views[i].cols());
    values[i].view().copy_from(views[i]);
  }
}

void restore_weights(const std::vector<MatrixView>& views, const std::vector<Matrix>& values) {
  for (std::size_t i = 0; i < views.size(); ++i) views[i].copy_from(values[i]);
}

// Returns true when a row of floats contains a NaN or an infinity, the values whose exponent bits
// are all ones. An integer OR over the bits vectorizes, while a float sum must run in order. The
// sum this replaced took 30% of a curve-task training step (perf, 1-64-64-1, batch 64).
bool has_non_finite(const float* values, Index count) {
  std::uint32_t special = 0;
  for (Index i = 0; i < count; ++i) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, values + i, sizeof bits);
    special |= static_cast<std::uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
  }
  return special != 0;
}

// Index of the first parameter whose gradient (or value) contains a NaN or infinity.
std::optional<std::size_t> first_non_finite(const std::vector<Parameter>& parameters, bool gradients) {
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const ConstMatrixView m = gradients ? ConstMatrixView(parameters[i].grad) : ConstMatrixView(parameters[i].value);
    if (m.contiguous()) {
      if (has_non_finite(m.data(), m.size())) return i;
      continue;
    }
    for (Index r = 0; r < m.rows(); ++r) {
      if (has_non_finite(m.row(r), m.cols())) return i;
    }
  }
  return std::nullopt;
}

// Indices of the parameters whose gradient norms are recorded: every layer's weights.
std::vector<std::size_t> weight_parameters(const std::vector<Parameter>& parameters) {
  std::vector<std::size_t> indices;
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const std::string& name = parameters[i].name;
    if (name.size() >= 7 && name.compare(name.size() - 7, 7, ".weight") == 0) indices.push_back(i);
  }
  return indices;
}

double l2_norm(ConstMatrixView m) {
  double sum = 0.0;
  for (Index r = 0; r < m.rows(); ++r) {
    const float* row = m.row(r);
    for (Index c = 0; c < m.cols(); ++c) sum += static_cast<double>(row[c]) * row[c];
  }
  return std::sqrt(sum);
}

}  // namespace

double evaluate_loss(Network& network, const Loss& loss, ConstMatrixView inputs, ConstMatrixView targets,
                     Index batch_size) {
  double total = 0.0;
  for (Index begin = 0; begin < inputs.rows(); begin += batch_size) {
    const Index count = std::min(batch_size, inputs.rows() - begin);
    const ConstMatrixView output = network.forward(inputs.middle_rows(begin, count), Mode::inference);
    total += loss.value(output, targets.middle_rows(begin, count)) * static_cast<double>(count);
  }
  return inputs.rows() > 0 ? total / static_cast<double>(inputs.rows()) : 0.0;
}

namespace {

// The shapes a caller passes to train() are user input, so a mismatch is an Error, not an assert:
// in a release build a mismatch would read past the end of a matrix.
void check_training_shapes(const Network& network, ConstMatrixView inputs, ConstMatrixView targets,
                           const Validation* validation) {
  if (inputs.rows() == 0) throw Error("the training inputs have no rows", "give at least one training row");
  if (targets.rows() != inputs.rows()) {
    throw Error(fmt::format("the training inputs have {} rows but the targets have {}", inputs.rows(), targets.rows()),
                "give one target row per input row");
  }
  if (inputs.cols() != network.input_width()) {
    throw Error(fmt::format("the network takes {} inputs but the training inputs have {} columns", network.input_width(),
                            inputs.cols()),
                "give inputs with one column per network input");
  }
  if (validation == nullptr) return;
  if (validation->targets.rows() != validation->inputs.rows()) {
    throw Error(fmt::format("the validation inputs have {} rows but the targets have {}", validation->inputs.rows(),
                            validation->targets.rows()),
                "give one target row per input row");
  }
  if (validation->inputs.rows() > 0 && validation->inputs.cols() != inputs.cols()) {
    throw Error(fmt::format("the validation inputs have {} columns but the training inputs have {}",
                            validation->inputs.cols(), inputs.cols()),
                "give validation data with the training data's columns");
  }
}

// Data-parallel step: cuts a batch into shards of consecutive rows and runs each through its own
// replica of the network, side by side on the backend's threads. Then it adds the shards'
// gradients into the network's own, in shard order.
//
// Sharing every operation among the threads instead (TrainOptions::shards = 1), a surface step
// (2-128-128-128-1, 256 rows) hands work to the threads about 11 times. Each hand-over moves
// activations between the cores' caches. With shards it is 3: the shards, the sum of their
// gradients and the optimizer. On 2 threads surface ran at a median of 203 GFLOP/s with two
// shards against 137 without (protean_bench surface 2 3, 9 runs each in turn, Intel Xeon). With
// the process on one core it gave 140 against 144 GFLOP/s on 1 thread. Fashion (235 k
// parameters) lost 6% on 2 threads with shards, because adding its gradients costs more than the
// shards save. Hence the parameter limit in training_shards().
class ShardedStep {
 public:
  ShardedStep(Network& network, int shards) : network_(network), shards_(shards) {
    for (int k = 1; k < shards; ++k) replicas_.push_back(network.replica());
    parameters_.push_back(network.parameters());
    for (auto& replica : replicas_) parameters_.push_back(replica->parameters());
    x_.resize(static_cast<std::size_t>(shards));
    y_.resize(static_cast<std::size_t>(shards));
    d_.resize(static_cast<std::size_t>(shards));
    losses_.resize(static_cast<std::size_t>(shards));
    errors_.resize(static_cast<std::size_t>(shards));
    // The pieces match those of Adam's step (kAdamPiece values), so that the thread which adds a
    // piece's gradients is the one that updates it next.
    constexpr Index kPiece = 4096;
    const std::vector<Parameter>& own = parameters_.front();
    for (std::size_t i = 0; i < own.size(); ++i) {
      for (Index start = 0; start < own[i].grad.size(); start += kPiece) {
        pieces_.push_back({i, start, std::min(kPiece, own[i].grad.size() - start)});
      }
    }
  }

  // Returns the batch's mean loss; the network's gradients then hold the whole batch's.
  double run(const Loss& loss, ConstMatrixView inputs, ConstMatrixView targets, const Index* rows, Index count,
             const Index* next_rows, Index next_count) {
    const int threads = network_.backend().threads();
    const int shards = static_cast<int>(std::min<Index>(shards_, count));
    detail::worker_pool().run(threads, shards, [&](int k) {
      const auto slot = static_cast<std::size_t>(k);
      try {
        const Index begin = count * k / shards;
        const Index end = count * (k + 1) / shards;
        const Index next_begin = next_count * k / shards;
        const Index next_end = next_count * (k + 1) / shards;
        Matrix& x = x_[slot];
        Matrix& y = y_[slot];
        Matrix& d = d_[slot];
        x.resize(end - begin, inputs.cols());
        y.resize(end - begin, targets.cols());
        // Nested in this part, the copies and every backend call run on this thread alone.
        gather_rows(threads, inputs, rows + begin, end - begin, x, next_rows + next_begin, next_end - next_begin);
        gather_rows(threads, targets, rows + begin, end - begin, y, next_rows + next_begin, next_end - next_begin);
        Network& net = k == 0 ? network_ : *replicas_[slot - 1];
        const ConstMatrixView output = net.forward(x, Mode::training);
        d.resize(output.rows(), output.cols());
        losses_[slot] = loss.forward_backward(output, y, d);
        // The loss gives the gradient of this shard's mean. The batch's mean weighs it by the
        // shard's share of the rows, exactly 1/2 for two equal halves.
        if (shards > 1) {
          const float share = static_cast<float>(end - begin) / static_cast<float>(count);
          float* values = d.data();
          for (Index i = 0; i < d.size(); ++i) values[i] *= share;
        }
        net.backward(d);
      } catch (...) {
        errors_[slot] = std::current_exception();
      }
    });
    for (auto& error : errors_) {
      if (error) std::rethrow_exception(std::exchange(error, nullptr));
    }
    if (shards > 1) {
      detail::worker_pool().run(threads, static_cast<int>(pieces_.size()), [&](int p) {
        const Piece& piece = pieces_[static_cast<std::size_t>(p)];
        float* sum = parameters_[0][piece.parameter].grad.data() + piece.start;
        for (int k = 1; k < shards; ++k) {
          const float* part = parameters_[static_cast<std::size_t>(k)][piece.parameter].grad.data() + piece.start;
          for (Index i = 0; i < piece.length; ++i) sum[i] += part[i];
        }
      });
    }
    double total = 0.0;
    for (int k = 0; k < shards; ++k) {
      const Index rows_in_shard = count * (k + 1) / shards - count * k / shards;
      total += losses_[static_cast<std::size_t>(k)] * static_cast<double>(rows_in_shard);
    }
    return total / static_cast<double>(count);
  }

 private:
  struct Piece {
    std::size_t parameter;
    Index start;
    Index length;
  };
  Network& network_;
  int shards_;
  std::vector<std::unique_ptr<Network>> replicas_;  // shards 1 and up; shard 0 runs on network_
  std::vector<std::vector<Parameter>> parameters_;  // per shard, in the network's order
  std::vector<Piece> pieces_;
  std::vector<Matrix> x_, y_, d_;
  std::vector<double> losses_;
  std::vector<std::exception_ptr> errors_;
};

}  // namespace

namespace {

// Steps of fewer FLOP (about 6 per parameter and row) run on the calling thread alone. Such a
// step lasts some 10 µs, and handing its short passes to a second thread cost more than that
// thread gave. Curve (1-64-64-1, 64 rows, 1.7 MFLOP a step) ran at 76 GFLOP/s on 2 threads
// against 107 on 1 (bench/run.py, Intel Xeon).
// NOTE: only curve (1.7 MFLOP) and surface (50 MFLOP) were timed, so the bound is an estimate.
constexpr double kMinThreadedStepFlops = 8e6;

}  // namespace

int training_shards(Network& network, Index batch_size) {
  // NOTE: the limit lies between surface (33 k parameters, faster with shards) and fashion (235 k,
  // slower), the only two networks timed. Networks between them may gain or lose.
  constexpr Index kMaxParameters = Index{128} * 1024;
  constexpr Index kRowsPerShard = 128;
  constexpr Index kMaxShards = 4;
  if (network.parameter_count() > kMaxParameters) return 1;
  const auto shards = static_cast<int>(std::clamp<Index>(batch_size / kRowsPerShard, 1, kMaxShards));
  if (shards > 1 && network.replica() == nullptr) return 1;
  return shards;
}

TrainResult train(Network& network, const Loss& loss, Optimizer& optimizer, ConstMatrixView inputs,
                  ConstMatrixView targets, const TrainOptions& options, const Validation* validation,
                  TrainingObserver* observer) {
  check_training_shapes(network, inputs, targets, validation);
  // Subnormal results are flushed to zero while training (kernels/float_mode.hpp).
  const detail::ScopedFlushSubnormals flush_subnormals;
  const Index n = inputs.rows();
  const Index batch_size = std::clamp<Index>(options.batch_size, 1, std::max<Index>(n, 1));
  const Index batches = options.drop_last ? n / batch_size : (n + batch_size - 1) / batch_size;
  const float base_rate = optimizer.learning_rate();

  // Everything that changes from batch to batch lives in `state`, so that an interrupted run can
  // be saved and continued bitwise.
  TrainResult result;
  TrainState& state = result.state;
  Rng rng(options.seed ^ 0x5eed0f54a1e5eedULL);
  if (options.resume != nullptr) {
    state = *options.resume;
    rng.set_state(state.shuffle_rng);
  }
  std::vector<Index>& order = state.order;
  if (order.empty()) {
    order.resize(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), Index{0});
  }
  if (static_cast<Index>(order.size()) != n) {
    throw Error(fmt::format("cannot resume training: the saved row order has {} rows but the training data has {}",
                            order.size(), n),
                "resume with the same data and validation split as the interrupted run");
  }
  if (state.batch < 0 || state.batch > batches) {
    throw Error(fmt::format("cannot resume training at batch {}: an epoch has {} batches", state.batch, batches),
                "resume with the batch size of the interrupted run");
  }

  Matrix batch_x, batch_y, d_output;
  int shards = training_shards(network, batch_size);
  if (options.shards > 0) {
    shards = static_cast<int>(std::min<Index>(options.shards, batch_size));
    if (shards > 1 && network.replica() == nullptr) shards = 1;
  }
  std::optional<ShardedStep> sharded;
  if (shards > 1) sharded.emplace(network, shards);
  const double step_flops = 6.0 * static_cast<double>(network.parameter_count()) * static_cast<double>(batch_size);
  const bool serial_steps = step_flops < kMinThreadedStepFlops;
  const std::vector<Parameter> parameters = network.parameters();
  const std::vector<MatrixView> snapshot = network.state_views();

  const std::vector<std::size_t> tracked = options.record_gradient_norms ? weight_parameters(parameters) : std::vector<std::size_t>{};
  for (const std::size_t i : tracked) result.gradient_norm_names.push_back(parameters[i].name);
  state.gradient_norm_sums.resize(tracked.size());
  // Weights of the last epoch that ended finite. A mid-epoch checkpoint carries them; they leave
  // the state here so that later checkpoints at epoch ends do not carry stale copies.
  std::vector<Matrix> last_good = std::move(state.last_good_weights);
  state.last_good_weights.clear();
  if (options.check_finite && last_good.empty()) copy_weights(snapshot, last_good);
  if (observer) observer->on_train_begin(options.epochs, batches);
  // The schedule's plateau state is rebuilt from the finished epochs of a resumed run.
  LearningRateScheduler scheduler(options.schedule, base_rate, options.epochs);
  for (const EpochStats& done : state.history) scheduler.record(done.epoch - 1, tracked_loss_of(done));
  const ConstMatrixView activation_sample = inputs.middle_rows(0, std::min(n, std::max<Index>(1, options.activation_sample_rows)));
  const auto start = Clock::now();
  auto stop_requested = [&] { return options.stop_requested != nullptr && options.stop_requested->load(); };

  while (state.epoch < options.epochs && !result.interrupted && !result.divergence) {
    const int epoch = state.epoch;
    optimizer.set_learning_rate(scheduler.rate(epoch));
    if (state.batch == 0) {
      // Stop before this epoch's shuffle, which a resumed run then performs.
      if (stop_requested()) {
        result.interrupted = true;
        break;
      }
      shuffle(order, rng);
      state.loss_sum = 0.0;
      state.rows_seen = 0;
      std::fill(state.gradient_norm_sums.begin(), state.gradient_norm_sums.end(), 0.0);
    }

    const auto epoch_start = Clock::now();
    while (state.batch < batches) {
      if (state.batch > 0 && stop_requested()) {
        result.interrupted = true;
        break;
      }
      // A small step is not worth a hand-over to the other threads: see kMinThreadedStepFlops.
      std::optional<detail::SerialScope> serial;
      if (serial_steps) serial.emplace();
      const Index b = state.batch;
      const Index begin = b * batch_size;
      const Index count = std::min(batch_size, n - begin);
      const Index next_count = begin + count < n ? std::min(batch_size, n - begin - count) : 0;
      double batch_loss = 0.0;
      if (sharded) {
        batch_loss = sharded->run(loss, inputs, targets, order.data() + begin, count, order.data() + begin + count,
                                  next_count);
        if (options.check_finite && !std::isfinite(batch_loss)) {
          result.divergence = Divergence{epoch + 1, b + 1, "loss"};
          break;
        }
      } else {
        batch_x.resize(count, inputs.cols());
        batch_y.resize(count, targets.cols());
        gather_rows(network.backend().threads(), inputs, order.data() + begin, count, batch_x,
                    order.data() + begin + count, next_count);
        gather_rows(network.backend().threads(), targets, order.data() + begin, count, batch_y,
                    order.data() + begin + count, next_count);

        const ConstMatrixView output = network.forward(batch_x, Mode::training);
        d_output.resize(output.rows(), output.cols());
        batch_loss = loss.forward_backward(output, batch_y, d_output);
        if (options.check_finite && !std::isfinite(batch_loss)) {
          result.divergence = Divergence{epoch + 1, b + 1, "loss"};
          break;
        }
        network.backward(d_output);
      }
      for (std::size_t k = 0; k < tracked.size(); ++k) state.gradient_norm_sums[k] += l2_norm(parameters[tracked[k]].grad);
      if (options.clip_norm > 0.0) {
        // Clipping would spread one NaN gradient to all of them through the norm, so the
        // gradients are checked first here, while the culprit can still be named.
        if (options.check_finite) {
          if (const auto bad = first_non_finite(parameters, /*gradients=*/true)) {
            result.divergence = Divergence{epoch + 1, b + 1, "gradient of " + parameters[*bad].name};
            break;
          }
        }
        clip_gradients(parameters, options.clip_norm);
      }
      optimizer.step(parameters);
      // A NaN or infinite gradient always reaches the weights through the update, so one check
      // of the weights after the step catches both. Adam checks what it writes on the way, which
      // spares a pass over every weight. After other optimizers the weights are read here. The gradients,
      // still in place, then tell which it was. The weights are put back below, so the step
      // taken does no harm.
      if (options.check_finite && !optimizer.last_step_finite().value_or(false)) {
        if (const auto bad = first_non_finite(parameters, /*gradients=*/false)) {
          const auto bad_gradient = first_non_finite(parameters, /*gradients=*/true);
          result.divergence = bad_gradient ? Divergence{epoch + 1, b + 1, "gradient of " + parameters[*bad_gradient].name}
                                           : Divergence{epoch + 1, b + 1, "parameter " + parameters[*bad].name};
          break;
        }
      }

      state.loss_sum += batch_loss * static_cast<double>(count);
      state.rows_seen += count;
      ++state.batch;
      if (observer) observer->on_batch_end(epoch + 1, b + 1, batch_loss);
    }
    if (result.interrupted || result.divergence) break;

    EpochStats stats;
    stats.epoch = epoch + 1;
    stats.seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    const Index seen = state.rows_seen;
    stats.train_loss = seen > 0 ? state.loss_sum / static_cast<double>(seen) : 0.0;
    stats.samples_per_second = stats.seconds > 0.0 ? static_cast<double>(seen) / stats.seconds : 0.0;
    stats.learning_rate = optimizer.learning_rate();
    for (const double sum : state.gradient_norm_sums) stats.gradient_norms.push_back(batches > 0 ? sum / static_cast<double>(batches) : 0.0);
    double tracked_loss = stats.train_loss;
    if (validation != nullptr && validation->inputs.rows() > 0) {
      stats.validation_loss = evaluate_loss(network, loss, validation->inputs, validation->targets);
      tracked_loss = stats.validation_loss;
      if (options.check_finite && !std::isfinite(stats.validation_loss)) {
        result.divergence = Divergence{epoch + 1, 0, "validation loss"};
        break;
      }
      if (validation->metrics) {
        stats.validation_metrics = validation->metrics(network.predict(validation->inputs));
      }
    }
    if (options.restore_best && tracked_loss < state.best_loss) {
      state.best_loss = tracked_loss;
      copy_weights(snapshot, state.best_weights);
      state.best_epoch = stats.epoch;
    }
    if (options.record_activation_statistics && n > 0) {
      stats.activation_statistics = activation_statistics(network, activation_sample);
    }
    scheduler.record(epoch, tracked_loss);
    state.history.push_back(stats);
    ++state.epoch;
    state.batch = 0;
    if (options.check_finite) copy_weights(snapshot, last_good);

    const bool keep_going = observer == nullptr || observer->on_epoch_end(stats);
    if (options.on_checkpoint && options.checkpoint_every > 0 && state.epoch % options.checkpoint_every == 0) {
      state.shuffle_rng = rng.state();
      options.on_checkpoint(state);
    }
    const bool out_of_patience = options.patience > 0 && epochs_since_best(state.history) >= options.patience;
    if (!keep_going || out_of_patience) {
      result.stopped_early = state.epoch < options.epochs;
      break;
    }
  }

  state.shuffle_rng = rng.state();
  result.history = state.history;
  if (result.divergence) {
    restore_weights(snapshot, last_good);
    result.best_epoch = static_cast<int>(state.history.size());
  } else if (result.interrupted) {
    // Mid-epoch, a later divergence must still be able to go back to the epoch's start.
    if (state.batch > 0) state.last_good_weights = std::move(last_good);
    result.best_epoch = static_cast<int>(state.history.size());
  } else if (options.restore_best && !state.best_weights.empty()) {
    restore_weights(snapshot, state.best_weights);
    result.best_epoch = state.best_epoch;
  } else {
    result.best_epoch = static_cast<int>(result.history.size());
  }
  optimizer.set_learning_rate(base_rate);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace protean
