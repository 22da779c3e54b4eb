// Adam (Kingma and Ba, 2015), with bias-corrected moment estimates:
//   m ← β1·m + (1−β1)·g,   v ← β2·v + (1−β2)·g²
//   θ ← θ − lr · (m / (1−β1ᵗ)) / (sqrt(v / (1−β2ᵗ)) + ε)
#pragma once

#include "protean/optimizers/optimizer.hpp"

namespace protean {

class Adam final : public Optimizer {
 public:
  explicit Adam(float learning_rate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
      : Optimizer(learning_rate), beta1_(beta1), beta2_(beta2), epsilon_(epsilon) {}
  std::string name() const override { return "adam"; }
  void step(const std::vector<Parameter>& parameters) override;
  std::vector<Matrix> state() const override;
  void set_state(std::vector<Matrix> state) override;
  long long steps() const { return steps_; }

 private:
  float beta1_, beta2_, epsilon_;
  long long steps_ = 0;
  std::vector<Matrix> first_moment_;
  std::vector<Matrix> second_moment_;
};

}  // namespace protean
