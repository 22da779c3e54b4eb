// Optimizer: updates parameters from their gradients, keeping its own state per parameter.
//
//   optimizer.step(network.parameters());
// State is keyed by the parameter's position in the list, so the list must keep the same order
// and shapes from step to step (Network::parameters() does).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protean/layers/layer.hpp"

namespace protean {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string name() const = 0;
  virtual void step(const std::vector<Parameter>& parameters) = 0;

  float learning_rate() const { return learning_rate_; }
  void set_learning_rate(float rate) { learning_rate_ = rate; }

  // Internal state (moment estimates, step count) as flat matrices, for checkpoints.
  virtual std::vector<Matrix> state() const = 0;
  virtual void set_state(std::vector<Matrix> state) = 0;

 protected:
  explicit Optimizer(float learning_rate) : learning_rate_(learning_rate) {}

 private:
  float learning_rate_;
};

// Creates an optimizer by its command-line name, "sgd" or "adam", with its usual defaults
// (SGD with momentum 0.9; Adam with β1 0.9, β2 0.999, ε 1e-8). Returns nullptr for an unknown name.
std::unique_ptr<Optimizer> make_optimizer(std::string_view name, float learning_rate);

}  // namespace protean
