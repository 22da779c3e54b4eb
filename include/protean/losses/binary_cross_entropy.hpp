// Binary cross-entropy from logits, for two classes predicted by one output unit, or for
// several independent 0/1 labels (one output column each).
//
// output: N×O logits z; target: N×O values t in [0, 1] (class ids 0 and 1 for two classes).
// Per entry, with p = sigmoid(z):
//   ℓ = −t·log p − (1 − t)·log(1 − p) = max(z, 0) − z·t + log1p(exp(−|z|))
// The right-hand form never overflows and keeps full precision for |z| up to float's range.
//   L = Σ ℓ / (N·O),   ∂L/∂z = (sigmoid(z) − t) / (N·O)
// Matches PyTorch's BCEWithLogitsLoss with mean reduction.
#pragma once

#include "protean/losses/loss.hpp"

namespace protean {

class BinaryCrossEntropy final : public Loss {
 public:
  std::string name() const override { return "bce"; }
  double value(ConstMatrixView output, ConstMatrixView target) const override;
  double forward_backward(ConstMatrixView output, ConstMatrixView target, MatrixView d_output) const override;
};

// Returns 1 / (1 + exp(−z)) without overflow for any finite z.
double stable_sigmoid(double z);

}  // namespace protean
