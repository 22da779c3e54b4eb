#include "protean/losses/softmax_cross_entropy.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace protean {

namespace {

// Returns logsumexp of one row, and its maximum through `row_max`.
double log_sum_exp(const float* z, Index count, float& row_max) {
  row_max = *std::max_element(z, z + count);
  double sum = 0.0;
  for (Index c = 0; c < count; ++c) sum += std::exp(static_cast<double>(z[c]) - row_max);
  return row_max + std::log(sum);
}

Index class_of(ConstMatrixView target, Index r, Index classes) {
  const auto id = static_cast<Index>(target(r, 0));
  assert(id >= 0 && id < classes);
  (void)classes;
  return id;
}

}  // namespace

void softmax_rows(ConstMatrixView logits, MatrixView probabilities) {
  for (Index r = 0; r < logits.rows(); ++r) {
    const float* z = logits.row(r);
    float* p = probabilities.row(r);
    const float row_max = *std::max_element(z, z + logits.cols());
    double sum = 0.0;
    for (Index c = 0; c < logits.cols(); ++c) sum += std::exp(static_cast<double>(z[c]) - row_max);
    for (Index c = 0; c < logits.cols(); ++c) {
      p[c] = static_cast<float>(std::exp(static_cast<double>(z[c]) - row_max) / sum);
    }
  }
}

double SoftmaxCrossEntropy::value(ConstMatrixView output, ConstMatrixView target) const {
  assert(output.rows() == target.rows() && target.cols() == 1);
  double total = 0.0;
  for (Index r = 0; r < output.rows(); ++r) {
    float row_max = 0.0f;
    const float* z = output.row(r);
    total += log_sum_exp(z, output.cols(), row_max) - z[class_of(target, r, output.cols())];
  }
  return output.rows() > 0 ? total / static_cast<double>(output.rows()) : 0.0;
}

double SoftmaxCrossEntropy::forward_backward(ConstMatrixView output, ConstMatrixView target,
                                             MatrixView d_output) const {
  assert(output.rows() == target.rows() && target.cols() == 1);
  assert(d_output.rows() == output.rows() && d_output.cols() == output.cols());
  const double inverse_rows = output.rows() > 0 ? 1.0 / static_cast<double>(output.rows()) : 0.0;
  double total = 0.0;
  for (Index r = 0; r < output.rows(); ++r) {
    const float* z = output.row(r);
    float* g = d_output.row(r);
    float row_max = 0.0f;
    const double lse = log_sum_exp(z, output.cols(), row_max);
    const Index label = class_of(target, r, output.cols());
    total += lse - z[label];
    for (Index c = 0; c < output.cols(); ++c) {
      const double probability = std::exp(static_cast<double>(z[c]) - lse);
      g[c] = static_cast<float>((probability - (c == label ? 1.0 : 0.0)) * inverse_rows);
    }
  }
  return total * inverse_rows;
}

}  // namespace protean
