// Adam (Kingma and Ba, 2015), with bias-corrected moment estimates and optional L2 weight decay
// added to the gradient (as PyTorch's Adam does):
//   g ← g + λ·θ                     (weight decay λ, not applied to biases)
//   m ← β1·m + (1−β1)·g,   v ← β2·v + (1−β2)·g²
//   θ ← θ − lr · (m / (1−β1ᵗ)) / (sqrt(v / (1−β2ᵗ)) + ε)
// With Adam the L2 term is scaled by 1/sqrt(v) like the rest of the gradient, so parameters
// with large gradients are decayed less; AdamW (adamw.hpp) decouples the decay to avoid that.
#pragma once

#include "protean/optimizers/optimizer.hpp"

namespace protean {

class Adam : public Optimizer {
 public:
  explicit Adam(float learning_rate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f,
                float weight_decay = 0.0f)
      : Adam(learning_rate, beta1, beta2, epsilon, weight_decay, /*decoupled=*/false) {}
  std::string name() const override { return "adam"; }
  void step(const std::vector<Parameter>& parameters) override;
  std::optional<bool> last_step_finite() const override;
  // First moments, then second moments (one matrix per parameter each), then the step count.
  std::vector<Matrix> state() const override;
  void set_state(std::vector<Matrix> state) override;
  long long steps() const { return steps_; }
  float weight_decay() const { return weight_decay_; }

 protected:
  Adam(float learning_rate, float beta1, float beta2, float epsilon, float weight_decay, bool decoupled)
      : Optimizer(learning_rate), beta1_(beta1), beta2_(beta2), epsilon_(epsilon), weight_decay_(weight_decay),
        decoupled_(decoupled) {}

 private:
  float beta1_, beta2_, epsilon_, weight_decay_;
  bool decoupled_;  // AdamW: decay θ directly instead of adding λ·θ to the gradient
  long long steps_ = 0;
  std::vector<Matrix> first_moment_;
  std::vector<Matrix> second_moment_;
  // The step's work in pieces for the backend's threads; kept to reuse its allocation.
  struct Piece {
    std::size_t parameter;
    Index start, length;
  };
  std::vector<Piece> pieces_;
  // One per piece of the last step: 1 when every value the piece wrote was finite.
  std::vector<unsigned char> piece_finite_;
};

}  // namespace protean
