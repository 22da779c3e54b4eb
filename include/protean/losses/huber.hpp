// Huber loss (Huber, 1964) over all N×O entries, with d = output − target and threshold δ:
//   ℓ(d) = d²/2 for |d| ≤ δ,  δ·(|d| − δ/2) otherwise;   L = Σ ℓ(d) / (N·O)
//   ∂L/∂output = clamp(d, −δ, δ) / (N·O)
// Quadratic near the target and linear for outliers. Matches PyTorch's HuberLoss with mean
// reduction. δ is in the units of the network's outputs. fit() scales the targets of a Huber
// fit by 1.4826 × their median absolute deviation, so there δ = 1 means one robust standard
// deviation.
#pragma once

#include "protean/losses/loss.hpp"

namespace protean {

class HuberLoss final : public Loss {
 public:
  // Errors: δ that is not a positive finite number.
  explicit HuberLoss(double delta = 1.0);
  std::string name() const override { return "huber"; }
  double delta() const { return delta_; }
  double value(ConstMatrixView output, ConstMatrixView target) const override;
  double forward_backward(ConstMatrixView output, ConstMatrixView target, MatrixView d_output) const override;

 private:
  double delta_;
};

}  // namespace protean
