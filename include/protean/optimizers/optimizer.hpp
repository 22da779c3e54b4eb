// Optimizer: updates parameters from their gradients, keeping its own state per parameter.
//
//   optimizer.step(network.parameters());
// State is keyed by the parameter's position in the list, so the list must keep the same order
// and shapes from step to step (Network::parameters() does).
//
// Weight decay, where an optimizer offers it, applies to every parameter except biases (names
// ending in "bias"), because decaying biases only shifts outputs and does not regularize.
#pragma once

#include <memory>
#include <optional>
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

  // Whether the last step() wrote only finite values into the parameters. An optimizer that
  // notes this while it writes (Adam) saves the trainer a pass over every weight. The others
  // return std::nullopt, and the caller checks the parameters itself.
  virtual std::optional<bool> last_step_finite() const { return std::nullopt; }

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

// True for the parameters that weight decay applies to: all but biases.
bool is_decayed(const Parameter& parameter);

// Creates an optimizer by its command-line name with its usual defaults: "sgd" (momentum 0.9),
// "nesterov" (SGD with Nesterov momentum 0.9), "rmsprop" (α 0.99, ε 1e-8), "adam" (β1 0.9,
// β2 0.999, ε 1e-8) or "adamw" (as Adam, with decoupled weight decay). `weight_decay` is the L2
// coefficient added to the gradient (sgd, nesterov, rmsprop, adam) or the decoupled decay rate
// (adamw); when absent it is 0, or 0.01 for adamw. Returns nullptr for an unknown name. "lbfgs"
// is not a step-wise Optimizer; see optimizers/lbfgs.hpp.
std::unique_ptr<Optimizer> make_optimizer(std::string_view name, float learning_rate,
                                          std::optional<float> weight_decay = std::nullopt);

}  // namespace protean
