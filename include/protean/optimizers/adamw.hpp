// AdamW: Adam with decoupled weight decay (Loshchilov and Hutter, "Decoupled Weight Decay
// Regularization", ICLR 2019). Each step first shrinks the weights, then takes an Adam step on
// the plain gradient:
//   θ ← θ − lr·λ·θ                  (not applied to biases)
//   θ ← θ − lr · m̂ / (sqrt(v̂) + ε)  (Adam, adam.hpp)
// As in PyTorch's AdamW the decay is multiplied by the current learning rate, so a schedule
// scales both. Default λ = 0.01, PyTorch's default.
#pragma once

#include "protean/optimizers/adam.hpp"

namespace protean {

class AdamW final : public Adam {
 public:
  explicit AdamW(float learning_rate = 1e-3f, float weight_decay = 0.01f, float beta1 = 0.9f, float beta2 = 0.999f,
                 float epsilon = 1e-8f)
      : Adam(learning_rate, beta1, beta2, epsilon, weight_decay, /*decoupled=*/true) {}
  std::string name() const override { return "adamw"; }
};

}  // namespace protean
