#include "protean/losses/huber.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>

#include "protean/error.hpp"

namespace protean {

namespace {

double huber(double d, double delta) {
  const double magnitude = std::abs(d);
  return magnitude <= delta ? 0.5 * d * d : delta * (magnitude - 0.5 * delta);
}

}  // namespace

HuberLoss::HuberLoss(double delta) : delta_(delta) {
  if (!(delta > 0.0) || !std::isfinite(delta)) {
    throw Error(fmt::format("invalid Huber delta {}", delta), "give a positive number such as 1.0");
  }
}

double HuberLoss::value(ConstMatrixView output, ConstMatrixView target) const {
  assert(output.rows() == target.rows() && output.cols() == target.cols());
  double sum = 0.0;
  for (Index r = 0; r < output.rows(); ++r) {
    const float* o = output.row(r);
    const float* t = target.row(r);
    for (Index c = 0; c < output.cols(); ++c) sum += huber(static_cast<double>(o[c]) - t[c], delta_);
  }
  return output.size() > 0 ? sum / static_cast<double>(output.size()) : 0.0;
}

double HuberLoss::forward_backward(ConstMatrixView output, ConstMatrixView target, MatrixView d_output) const {
  assert(output.rows() == target.rows() && output.cols() == target.cols());
  assert(d_output.rows() == output.rows() && d_output.cols() == output.cols());
  const double scale = output.size() > 0 ? 1.0 / static_cast<double>(output.size()) : 0.0;
  double sum = 0.0;
  for (Index r = 0; r < output.rows(); ++r) {
    const float* o = output.row(r);
    const float* t = target.row(r);
    float* g = d_output.row(r);
    for (Index c = 0; c < output.cols(); ++c) {
      const double d = static_cast<double>(o[c]) - t[c];
      sum += huber(d, delta_);
      g[c] = static_cast<float>(std::clamp(d, -delta_, delta_) * scale);
    }
  }
  return sum * scale;
}

}  // namespace protean
