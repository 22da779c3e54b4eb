#include "protean/losses/mse.hpp"

#include <cassert>

namespace protean {

double MeanSquaredError::value(ConstMatrixView output, ConstMatrixView target) const {
  assert(output.rows() == target.rows() && output.cols() == target.cols());
  double sum = 0.0;
  for (Index r = 0; r < output.rows(); ++r) {
    const float* o = output.row(r);
    const float* t = target.row(r);
    for (Index c = 0; c < output.cols(); ++c) {
      const double d = static_cast<double>(o[c]) - t[c];
      sum += d * d;
    }
  }
  return output.size() > 0 ? sum / static_cast<double>(output.size()) : 0.0;
}

double MeanSquaredError::forward_backward(ConstMatrixView output, ConstMatrixView target, MatrixView d_output) const {
  assert(output.rows() == target.rows() && output.cols() == target.cols());
  assert(d_output.rows() == output.rows() && d_output.cols() == output.cols());
  const float scale = output.size() > 0 ? 2.0f / static_cast<float>(output.size()) : 0.0f;
  double sum = 0.0;
  for (Index r = 0; r < output.rows(); ++r) {
    const float* o = output.row(r);
    const float* t = target.row(r);
    float* g = d_output.row(r);
    for (Index c = 0; c < output.cols(); ++c) {
      const float d = o[c] - t[c];
      sum += static_cast<double>(d) * d;
      g[c] = scale * d;
    }
  }
  return output.size() > 0 ? sum / static_cast<double>(output.size()) : 0.0;
}

}  // namespace protean
