// RMSprop (Tieleman and Hinton, 2012, lecture 6.5), in PyTorch's uncentered form without
// momentum:
//   g ← g + λ·θ                      (weight decay λ, not applied to biases)
//   s ← α·s + (1−α)·g²
//   θ ← θ − lr · g / (sqrt(s) + ε)
#pragma once

#include "protean/optimizers/optimizer.hpp"

namespace protean {

class RmsProp final : public Optimizer {
 public:
  explicit RmsProp(float learning_rate = 1e-3f, float alpha = 0.99f, float epsilon = 1e-8f, float weight_decay = 0.0f)
      : Optimizer(learning_rate), alpha_(alpha), epsilon_(epsilon), weight_decay_(weight_decay) {}
  std::string name() const override { return "rmsprop"; }
  void step(const std::vector<Parameter>& parameters) override;
  // One running mean of squared gradients per parameter.
  std::vector<Matrix> state() const override { return square_average_; }
  void set_state(std::vector<Matrix> state) override { square_average_ = std::move(state); }

 private:
  float alpha_, epsilon_, weight_decay_;
  std::vector<Matrix> square_average_;
};

}  // namespace protean
