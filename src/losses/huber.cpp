#include "protean/losses/huber.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>

#include "pointwise_loss.hpp"
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
  return detail::mean_pointwise_loss(output, target, [this](double error) { return huber(error, delta_); });
}

double HuberLoss::forward_backward(ConstMatrixView output, ConstMatrixView target, MatrixView d_output) const {
  return detail::mean_pointwise_loss(
      output, target, d_output, [this](double error) { return huber(error, delta_); },
      [this](double error) { return std::clamp(error, -delta_, delta_); });
}

}  // namespace protean
