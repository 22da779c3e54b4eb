#include "protean/losses/mean_absolute_error.hpp"

#include <cassert>
#include <cmath>

namespace protean {

double MeanAbsoluteError::value(ConstMatrixView output, ConstMatrixView target) const {
  assert(output.rows() == target.rows() && output.cols() == target.cols());
  double sum = 0.0;
  for (Index r = 0; r < output.rows(); ++r) {
    const float* o = output.row(r);
    const float* t = target.row(r);
    for (Index c = 0; c < output.cols(); ++c) sum += std::abs(static_cast<double>(o[c]) - t[c]);
  }
  return output.size() > 0 ? sum / static_cast<double>(output.size()) : 0.0;
}

double MeanAbsoluteError::forward_backward(ConstMatrixView output, ConstMatrixView target, MatrixView d_output) const {
  assert(output.rows() == target.rows() && output.cols() == target.cols());
  assert(d_output.rows() == output.rows() && d_output.cols() == output.cols());
  const float scale = output.size() > 0 ? 1.0f / static_cast<float>(output.size()) : 0.0f;
  double sum = 0.0;
  for (Index r = 0; r < output.rows(); ++r) {
    const float* o = output.row(r);
    const float* t = target.row(r);
    float* g = d_output.row(r);
    for (Index c = 0; c < output.cols(); ++c) {
      const double d = static_cast<double>(o[c]) - t[c];
      sum += std::abs(d);
      g[c] = d > 0.0 ? scale : (d < 0.0 ? -scale : 0.0f);
    }
  }
  return output.size() > 0 ? sum / static_cast<double>(output.size()) : 0.0;
}

}  // namespace protean
