#include "protean/losses/mse.hpp"

#include "pointwise_loss.hpp"

namespace protean {

double MeanSquaredError::value(ConstMatrixView output, ConstMatrixView target) const {
  return detail::mean_pointwise_loss(output, target, [](double error) { return error * error; });
}

double MeanSquaredError::forward_backward(ConstMatrixView output, ConstMatrixView target, MatrixView d_output) const {
  return detail::mean_pointwise_loss(
      output, target, d_output, [](double error) { return error * error; }, [](double error) { return 2.0 * error; });
}

}  // namespace protean
