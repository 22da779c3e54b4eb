#include "protean/train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>

#include "protean/random.hpp"

namespace protean {

namespace {

using Clock = std::chrono::steady_clock;

void gather_rows(ConstMatrixView source, const Index* rows, Index count, MatrixView out) {
  for (Index i = 0; i < count; ++i) std::memcpy(out.row(i), source.row(rows[i]), sizeof(float) * source.cols());
}

float scheduled_rate(const TrainOptions& options, float base_rate, int epoch_index) {
  if (options.schedule == Schedule::constant || options.epochs <= 1) return base_rate;
  // Cosine from base_rate at the first epoch to 1% of it at the last.
  const double progress = static_cast<double>(epoch_index) / (options.epochs - 1);
  const double floor = 0.01;
  return static_cast<float>(base_rate * (floor + (1.0 - floor) * 0.5 * (1.0 + std::cos(M_PI * progress))));
}

struct Snapshot {
  std::vector<Matrix> values;

  void save(const std::vector<Parameter>& parameters) {
    values.resize(parameters.size());
    for (std::size_t i = 0; i < parameters.size(); ++i) values[i] = Matrix::copy_of(parameters[i].value);
  }
  void restore(const std::vector<Parameter>& parameters) const {
    for (std::size_t i = 0; i < parameters.size(); ++i) parameters[i].value.copy_from(values[i]);
  }
};

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

TrainResult train(Network& network, const Loss& loss, Optimizer& optimizer, ConstMatrixView inputs,
                  ConstMatrixView targets, const TrainOptions& options, const Validation* validation,
                  TrainingObserver* observer) {
  const Index n = inputs.rows();
  const Index batch_size = std::clamp<Index>(options.batch_size, 1, std::max<Index>(n, 1));
  const Index batches = options.drop_last ? n / batch_size : (n + batch_size - 1) / batch_size;
  const float base_rate = optimizer.learning_rate();

  Rng rng(options.seed ^ 0x5eed0f54a1e5eedULL);
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index{0});

  Matrix batch_x, batch_y, d_output;
  const std::vector<Parameter> parameters = network.parameters();
  Snapshot best;
  double best_loss = std::numeric_limits<double>::infinity();

  TrainResult result;
  const std::vector<std::size_t> tracked = options.record_gradient_norms ? weight_parameters(parameters) : std::vector<std::size_t>{};
  for (const std::size_t i : tracked) result.gradient_norm_names.push_back(parameters[i].name);
  std::vector<double> norm_sums(tracked.size());
  if (observer) observer->on_train_begin(options.epochs, batches);
  const auto start = Clock::now();

  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    optimizer.set_learning_rate(scheduled_rate(options, base_rate, epoch));
    // Fisher-Yates with our own portable integer draws.
    for (Index i = n - 1; i > 0; --i) {
      std::swap(order[i], order[rng.uniform_index(static_cast<std::uint64_t>(i) + 1)]);
    }

    const auto epoch_start = Clock::now();
    double loss_sum = 0.0;
    Index seen = 0;
    std::fill(norm_sums.begin(), norm_sums.end(), 0.0);
    for (Index b = 0; b < batches; ++b) {
      const Index begin = b * batch_size;
      const Index count = std::min(batch_size, n - begin);
      batch_x.resize(count, inputs.cols());
      batch_y.resize(count, targets.cols());
      gather_rows(inputs, order.data() + begin, count, batch_x);
      gather_rows(targets, order.data() + begin, count, batch_y);

      const ConstMatrixView output = network.forward(batch_x, Mode::training);
      d_output.resize(output.rows(), output.cols());
      const double batch_loss = loss.forward_backward(output, batch_y, d_output);
      network.backward(d_output);
      for (std::size_t k = 0; k < tracked.size(); ++k) norm_sums[k] += l2_norm(parameters[tracked[k]].grad);
      optimizer.step(parameters);

      loss_sum += batch_loss * static_cast<double>(count);
      seen += count;
      if (observer) observer->on_batch_end(epoch + 1, b + 1, batch_loss);
    }

    EpochStats stats;
    stats.epoch = epoch + 1;
    stats.seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    stats.train_loss = seen > 0 ? loss_sum / static_cast<double>(seen) : 0.0;
    stats.samples_per_second = stats.seconds > 0.0 ? static_cast<double>(seen) / stats.seconds : 0.0;
    stats.learning_rate = optimizer.learning_rate();
    for (const double sum : norm_sums) stats.gradient_norms.push_back(batches > 0 ? sum / static_cast<double>(batches) : 0.0);
    double tracked_loss = stats.train_loss;
    if (validation != nullptr && validation->inputs.rows() > 0) {
      stats.validation_loss = evaluate_loss(network, loss, validation->inputs, validation->targets);
      tracked_loss = stats.validation_loss;
      if (validation->metrics) {
        stats.validation_metrics = validation->metrics(network.predict(validation->inputs));
      }
    }
    if (options.restore_best && tracked_loss < best_loss) {
      best_loss = tracked_loss;
      best.save(parameters);
      result.best_epoch = stats.epoch;
    }
    result.history.push_back(stats);
    if (observer && !observer->on_epoch_end(stats)) {
      result.stopped_early = epoch + 1 < options.epochs;
      break;
    }
  }

  if (options.restore_best && !best.values.empty()) {
    best.restore(parameters);
  } else {
    result.best_epoch = static_cast<int>(result.history.size());
  }
  optimizer.set_learning_rate(base_rate);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace protean
