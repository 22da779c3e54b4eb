#include "protean/train/full_batch.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "kernels/float_mode.hpp"

namespace protean {

namespace {

using Clock = std::chrono::steady_clock;

Index parameter_size(const std::vector<Parameter>& parameters) {
  Index size = 0;
  for (const Parameter& parameter : parameters) size += parameter.value.size();
  return size;
}

}  // namespace

Eigen::VectorXd flatten_parameters(Network& network) {
  const std::vector<Parameter> parameters = network.parameters();
  Eigen::VectorXd values(parameter_size(parameters));
  Index at = 0;
  for (const Parameter& parameter : parameters) {
    for (Index r = 0; r < parameter.value.rows(); ++r) {
      for (Index c = 0; c < parameter.value.cols(); ++c) values(at++) = parameter.value(r, c);
    }
  }
  return values;
}

void unflatten_parameters(const Eigen::VectorXd& values, Network& network) {
  const std::vector<Parameter> parameters = network.parameters();
  assert(values.size() == parameter_size(parameters));
  Index at = 0;
  for (const Parameter& parameter : parameters) {
    for (Index r = 0; r < parameter.value.rows(); ++r) {
      for (Index c = 0; c < parameter.value.cols(); ++c) parameter.value(r, c) = static_cast<float>(values(at++));
    }
  }
}

Lbfgs::Objective network_objective(Network& network, const Loss& loss, ConstMatrixView inputs, ConstMatrixView targets,
                                   double weight_decay, Index block_rows) {
  return [&network, &loss, inputs, targets, weight_decay, block_rows](const Eigen::VectorXd& theta, Eigen::VectorXd& gradient) {
    unflatten_parameters(theta, network);
    const std::vector<Parameter> parameters = network.parameters();
    gradient.setZero(theta.size());
    const Index n = inputs.rows();
    double value = 0.0;
    Matrix d_output;
    for (Index begin = 0; begin < n; begin += block_rows) {
      // Each block's loss is a mean over its rows; weighting by count / n makes the sum the
      // mean over all rows.
      const Index count = std::min(block_rows, n - begin);
      const double weight = static_cast<double>(count) / static_cast<double>(n);
      const ConstMatrixView output = network.forward(inputs.middle_rows(begin, count), Mode::training);
      d_output.resize(output.rows(), output.cols());
      value += weight * loss.forward_backward(output, targets.middle_rows(begin, count), d_output);
      network.backward(d_output);
      Index at = 0;
      for (const Parameter& parameter : parameters) {
        for (Index r = 0; r < parameter.grad.rows(); ++r) {
          for (Index c = 0; c < parameter.grad.cols(); ++c) gradient(at++) += weight * parameter.grad(r, c);
        }
      }
    }
    if (weight_decay > 0.0) {
      Index at = 0;
      for (const Parameter& parameter : parameters) {
        const Index size = parameter.value.size();
        if (is_decayed(parameter)) {
          value += 0.5 * weight_decay * theta.segment(at, size).squaredNorm();
          gradient.segment(at, size) += weight_decay * theta.segment(at, size);
        }
        at += size;
      }
    }
    return value;
  };
}

namespace {

// (λ/2)·Σθ² over the decayed parameters (weights, not biases) of the flat vector θ.
double weight_penalty(const Eigen::VectorXd& theta, const std::vector<Parameter>& parameters, double weight_decay) {
  if (weight_decay <= 0.0) return 0.0;
  double penalty = 0.0;
  Index at = 0;
  for (const Parameter& parameter : parameters) {
    const Index size = parameter.value.size();
    if (is_decayed(parameter)) penalty += 0.5 * weight_decay * theta.segment(at, size).squaredNorm();
    at += size;
  }
  return penalty;
}

}  // namespace

TrainResult train_full_batch(Network& network, const Loss& loss, Lbfgs& lbfgs, ConstMatrixView inputs,
                             ConstMatrixView targets, const TrainOptions& options, double weight_decay,
                             const Validation* validation, TrainingObserver* observer) {
  // Subnormal results are flushed to zero while training (kernels/float_mode.hpp).
  const detail::ScopedFlushSubnormals flush_subnormals;
  TrainResult result;
  result.full_batch = true;
  const Lbfgs::Objective objective = network_objective(network, loss, inputs, targets, weight_decay);
  const std::vector<Parameter> parameters = network.parameters();
  std::vector<std::size_t> tracked;
  if (options.record_gradient_norms) {
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      if (!is_decayed(parameters[i])) continue;
      tracked.push_back(i);
      result.gradient_norm_names.push_back(parameters[i].name);
    }
  }
  const ConstMatrixView activation_sample =
      inputs.middle_rows(0, std::min(inputs.rows(), std::max<Index>(1, options.activation_sample_rows)));

  Eigen::VectorXd theta = flatten_parameters(network);
  Eigen::VectorXd best_theta = theta;
  double best_loss = std::numeric_limits<double>::infinity();
  if (observer) observer->on_full_batch_begin(options.epochs);
  const auto start = Clock::now();

  for (int iteration = 0; iteration < options.epochs; ++iteration) {
    if (options.stop_requested != nullptr && options.stop_requested->load()) {
      result.interrupted = true;
      break;
    }
    const auto iteration_start = Clock::now();
    const LbfgsStatus status = lbfgs.iterate(objective, theta);
    if (status != LbfgsStatus::running) {
      result.stopped_early = true;
      break;
    }
    unflatten_parameters(theta, network);

    EpochStats stats;
    stats.epoch = iteration + 1;
    stats.seconds = std::chrono::duration<double>(Clock::now() - iteration_start).count();
    // The objective includes the weight penalty, so report the data loss, as train() does.
    stats.train_loss = lbfgs.value() - weight_penalty(theta, parameters, weight_decay);
    stats.samples_per_second = stats.seconds > 0.0 ? static_cast<double>(inputs.rows()) / stats.seconds : 0.0;
    if (!tracked.empty()) {
      // Norms of the full-batch gradient at the new point, per weight matrix.
      std::vector<Index> offsets(parameters.size() + 1, 0);
      for (std::size_t i = 0; i < parameters.size(); ++i) offsets[i + 1] = offsets[i] + parameters[i].value.size();
      for (const std::size_t i : tracked) {
        stats.gradient_norms.push_back(lbfgs.gradient().segment(offsets[i], parameters[i].value.size()).norm());
      }
    }
    if (observer) observer->on_batch_end(stats.epoch, 1, stats.train_loss);
    double tracked_loss = lbfgs.value();  // without validation rows: the objective L-BFGS minimizes
    if (validation != nullptr && validation->inputs.rows() > 0) {
      stats.validation_loss = evaluate_loss(network, loss, validation->inputs, validation->targets);
      tracked_loss = stats.validation_loss;
      if (validation->metrics) stats.validation_metrics = validation->metrics(network.predict(validation->inputs));
    }
    if (options.record_activation_statistics && inputs.rows() > 0) {
      stats.activation_statistics = activation_statistics(network, activation_sample);
    }
    if (tracked_loss < best_loss) {
      best_loss = tracked_loss;
      best_theta = theta;
      result.best_epoch = stats.epoch;
    }
    result.history.push_back(stats);
    const bool keep_going = observer == nullptr || observer->on_epoch_end(stats);
    const bool out_of_patience = options.patience > 0 && stats.epoch - result.best_epoch >= options.patience;
    if (!keep_going || out_of_patience) {
      result.stopped_early = stats.epoch < options.epochs;
      break;
    }
  }

  if (options.restore_best && !result.history.empty()) {
    unflatten_parameters(best_theta, network);
  } else {
    unflatten_parameters(theta, network);
    result.best_epoch = static_cast<int>(result.history.size());
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace protean
