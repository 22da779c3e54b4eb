// Softmax cross-entropy from logits, for classification with C classes.
//
// output: N×C logits; target: N×1 class ids. Per row, L = logsumexp(z) − z_target, computed with
// the row maximum subtracted first so that exp() never overflows and log() never sees 0.
// ∂L/∂z = (softmax(z) − onehot(target)) / N. The mean over rows matches PyTorch's
// CrossEntropyLoss.
#pragma once

#include "protean/losses/loss.hpp"

namespace protean {

class SoftmaxCrossEntropy final : public Loss {
 public:
  std::string name() const override { return "cross_entropy"; }
  double value(ConstMatrixView output, ConstMatrixView target) const override;
  double forward_backward(ConstMatrixView output, ConstMatrixView target, MatrixView d_output) const override;
};

// Writes softmax(z) of each row of `logits` into `probabilities` (both N×C), stably.
void softmax_rows(ConstMatrixView logits, MatrixView probabilities);

}  // namespace protean
