#include "protean/losses/mean_absolute_error.hpp"

#include <cmath>

#include "pointwise_loss.hpp"

namespace protean {

double MeanAbsoluteError::value(ConstMatrixView output, ConstMatrixView target) const {
  return detail::mean_pointwise_loss(output, target, [](double error) { return std::abs(error); });
}

double MeanAbsoluteError::forward_backward(ConstMatrixView output, ConstMatrixView target, MatrixView d_output) const {
  // The slope at exactly zero error is taken as 0, the subgradient PyTorch's L1Loss uses too.
  return detail::mean_pointwise_loss(
      output, target, d_output, [](double error) { return std::abs(error); },
      [](double error) { return error > 0.0 ? 1.0 : (error < 0.0 ? -1.0 : 0.0); });
}

}  // namespace protean
