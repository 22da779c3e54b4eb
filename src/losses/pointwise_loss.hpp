// Shared loop of the losses that score each output entry on its own (MSE, MAE, Huber): the mean
// over all N×O entries of loss(d), d = output − target, and its gradient loss'(d) / (N·O).
#pragma once

#include <cassert>

#include "protean/tensor.hpp"

namespace protean::detail {

template <typename LossOfError>
double mean_pointwise_loss(ConstMatrixView output, ConstMatrixView target, LossOfError loss_of_error) {
  assert(output.rows() == target.rows());
  assert(output.cols() == target.cols());
  double sum = 0.0;
  for (Index r = 0; r < output.rows(); ++r) {
    const float* o = output.row(r);
    const float* t = target.row(r);
    for (Index c = 0; c < output.cols(); ++c) sum += loss_of_error(static_cast<double>(o[c]) - t[c]);
  }
  return output.size() > 0 ? sum / static_cast<double>(output.size()) : 0.0;
}

template <typename LossOfError, typename SlopeOfError>
double mean_pointwise_loss(ConstMatrixView output, ConstMatrixView target, MatrixView d_output,
                           LossOfError loss_of_error, SlopeOfError slope_of_error) {
  assert(output.rows() == target.rows());
  assert(output.cols() == target.cols());
  assert(d_output.rows() == output.rows());
  assert(d_output.cols() == output.cols());
  const double scale = output.size() > 0 ? 1.0 / static_cast<double>(output.size()) : 0.0;
  double sum = 0.0;
  for (Index r = 0; r < output.rows(); ++r) {
    const float* o = output.row(r);
    const float* t = target.row(r);
    float* g = d_output.row(r);
    for (Index c = 0; c < output.cols(); ++c) {
      const double error = static_cast<double>(o[c]) - t[c];
      sum += loss_of_error(error);
      g[c] = static_cast<float>(slope_of_error(error) * scale);
    }
  }
  return sum * scale;
}

}  // namespace protean::detail
