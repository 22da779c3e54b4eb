#include <Eigen/Core>
#include <cassert>
#include <cmath>

#include "protean/optimizers/adam.hpp"
#include "protean/optimizers/sgd.hpp"

namespace protean {

namespace {

using FlatArray = Eigen::Map<Eigen::ArrayXf>;

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

}  // namespace

void Sgd::step(const std::vector<Parameter>& parameters) {
  match_state(velocity_, parameters);
  const float rate = learning_rate();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    auto value = flat(parameters[i].value);
    auto grad = flat(parameters[i].grad);
    auto velocity = flat(velocity_[i]);
    if (momentum_ == 0.0f) {
      value -= rate * grad;
    } else {
      velocity = momentum_ * velocity + grad;
      value -= rate * velocity;
    }
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
    auto grad = flat(parameters[i].grad);
    auto m = flat(first_moment_[i]);
    auto v = flat(second_moment_[i]);
    m = beta1_ * m + (1.0f - beta1_) * grad;
    v = beta2_ * v + (1.0f - beta2_) * grad.square();
    value -= rate * (m * m_correction) / ((v * v_correction).sqrt() + epsilon_);
  }
}

std::vector<Matrix> Adam::state() const {
  std::vector<Matrix> all = first_moment_;
  all.insert(all.end(), second_moment_.begin(), second_moment_.end());
  // The step count is stored as two floats of 24 bits each, which float32 holds exactly.
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

std::unique_ptr<Optimizer> make_optimizer(std::string_view name, float learning_rate) {
  if (name == "sgd") return std::make_unique<Sgd>(learning_rate);
  if (name == "adam") return std::make_unique<Adam>(learning_rate);
  return nullptr;
}

}  // namespace protean
