// Stochastic gradient descent with classical or Nesterov momentum and optional L2 weight decay,
// in PyTorch's formulation (dampening 0):
//   g ← g + λ·θ                                   (weight decay λ, not applied to biases)
//   v ← μ·v + g
//   θ ← θ − lr·v              classical momentum
//   θ ← θ − lr·(g + μ·v)      Nesterov momentum (Sutskever et al., 2013)
#pragma once

#include "protean/optimizers/optimizer.hpp"

namespace protean {

class Sgd final : public Optimizer {
 public:
  explicit Sgd(float learning_rate, float momentum = 0.9f, bool nesterov = false, float weight_decay = 0.0f)
      : Optimizer(learning_rate), momentum_(momentum), nesterov_(nesterov), weight_decay_(weight_decay) {}
  std::string name() const override { return nesterov_ ? "nesterov" : "sgd"; }
  float momentum() const { return momentum_; }
  bool nesterov() const { return nesterov_; }
  float weight_decay() const { return weight_decay_; }
  void step(const std::vector<Parameter>& parameters) override;
  // One velocity matrix per parameter.
  std::vector<Matrix> state() const override { return velocity_; }
  void set_state(std::vector<Matrix> state) override { velocity_ = std::move(state); }

 private:
  float momentum_;
  bool nesterov_;
  float weight_decay_;
  std::vector<Matrix> velocity_;
};

}  // namespace protean
