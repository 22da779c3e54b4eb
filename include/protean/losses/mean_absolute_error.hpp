// Mean absolute error over all N×O entries: L = Σ |output − target| / (N·O),
// ∂L/∂output = sign(output − target) / (N·O), with the subgradient 0 where they are equal.
// Matches PyTorch's L1Loss with mean reduction. Less swayed by outliers than MSE, but its
// gradient does not shrink near the optimum, so it converges more slowly.
#pragma once

#include "protean/losses/loss.hpp"

namespace protean {

class MeanAbsoluteError final : public Loss {
 public:
  std::string name() const override { return "mae"; }
  double value(ConstMatrixView output, ConstMatrixView target) const override;
  double forward_backward(ConstMatrixView output, ConstMatrixView target, MatrixView d_output) const override;
};

}  // namespace protean
