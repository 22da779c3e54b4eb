// Stochastic gradient descent with classical momentum:
//   v ← μ·v + g,   θ ← θ − lr·v        (PyTorch's formulation, dampening 0)
#pragma once

#include "protean/optimizers/optimizer.hpp"

namespace protean {

class Sgd final : public Optimizer {
 public:
  explicit Sgd(float learning_rate, float momentum = 0.9f) : Optimizer(learning_rate), momentum_(momentum) {}
  std::string name() const override { return "sgd"; }
  float momentum() const { return momentum_; }
  void step(const std::vector<Parameter>& parameters) override;
  std::vector<Matrix> state() const override { return velocity_; }
  void set_state(std::vector<Matrix> state) override { velocity_ = std::move(state); }

 private:
  float momentum_;
  std::vector<Matrix> velocity_;
};

}  // namespace protean
