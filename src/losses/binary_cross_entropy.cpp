#include "protean/losses/binary_cross_entropy.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace protean {

namespace {

// max(z, 0) − z·t + log1p(exp(−|z|)): exp() only sees non-positive arguments.
double binary_cross_entropy(double z, double t) {
  return std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::abs(z)));
}

}  // namespace

double stable_sigmoid(double z) {
  if (z >= 0.0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

double BinaryCrossEntropy::value(ConstMatrixView output, ConstMatrixView target) const {
  assert(output.rows() == target.rows() && output.cols() == target.cols());
  double sum = 0.0;
  for (Index r = 0; r < output.rows(); ++r) {
    const float* z = output.row(r);
    const float* t = target.row(r);
    for (Index c = 0; c < output.cols(); ++c) sum += binary_cross_entropy(z[c], t[c]);
  }
  return output.size() > 0 ? sum / static_cast<double>(output.size()) : 0.0;
}

double BinaryCrossEntropy::forward_backward(ConstMatrixView output, ConstMatrixView target, MatrixView d_output) const {
  assert(output.rows() == target.rows() && output.cols() == target.cols());
  assert(d_output.rows() == output.rows() && d_output.cols() == output.cols());
  const double scale = output.size() > 0 ? 1.0 / static_cast<double>(output.size()) : 0.0;
  double sum = 0.0;
  for (Index r = 0; r < output.rows(); ++r) {
    const float* z = output.row(r);
    const float* t = target.row(r);
    float* g = d_output.row(r);
    for (Index c = 0; c < output.cols(); ++c) {
      sum += binary_cross_entropy(z[c], t[c]);
      g[c] = static_cast<float>((stable_sigmoid(z[c]) - t[c]) * scale);
    }
  }
  return sum * scale;
}

}  // namespace protean
