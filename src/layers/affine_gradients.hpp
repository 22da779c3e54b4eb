// Shared by batch and layer normalization, whose last step is the per-feature affine map
// y = γ·x̂ + β: writes dγ = Σ_rows dy ⊙ x̂ and dβ = Σ_rows dy, summed in double in row order.
#pragma once

#include "protean/tensor.hpp"

namespace protean::detail {

inline void affine_gradients(ConstMatrixView dy, ConstMatrixView normalized, MatrixView dweight, MatrixView dbias) {
  for (Index c = 0; c < dy.cols(); ++c) {
    double bias_grad = 0.0;
    double weight_grad = 0.0;
    for (Index r = 0; r < dy.rows(); ++r) {
      bias_grad += dy(r, c);
      weight_grad += static_cast<double>(dy(r, c)) * normalized(r, c);
    }
    dbias(0, c) = static_cast<float>(bias_grad);
    dweight(0, c) = static_cast<float>(weight_grad);
  }
}

}  // namespace protean::detail
