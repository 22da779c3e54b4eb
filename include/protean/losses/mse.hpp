// Mean squared error over all N×O entries: L = Σ (output − target)² / (N·O),
// ∂L/∂output = 2 (output − target) / (N·O). Matches PyTorch's MSELoss with mean reduction.
#pragma once

#include "protean/losses/loss.hpp"

namespace protean {

class MeanSquaredError final : public Loss {
 public:
  std::string name() const override { return "mse"; }
  double value(ConstMatrixView output, ConstMatrixView target) const override;
  double forward_backward(ConstMatrixView output, ConstMatrixView target, MatrixView d_output) const override;
};

}  // namespace protean
