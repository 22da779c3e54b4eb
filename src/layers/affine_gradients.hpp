// Shared by batch and layer normalization, whose last step is the per-feature affine map
// y = γ·x̂ + β, and whose statistics are sums in double.
#pragma once

#include <algorithm>

#include "protean/tensor.hpp"

namespace protean::detail {

// Writes dγ = Σ_rows dy ⊙ x̂ and dβ = Σ_rows dy, each column summed in double in row order. The
// rows are read in order, for blocks of 64 columns at a time, rather than column by column down
// the rows, which read one float per cache line.
inline void affine_gradients(ConstMatrixView dy, ConstMatrixView normalized, MatrixView dweight, MatrixView dbias) {
  constexpr Index kBlock = 64;
  for (Index first = 0; first < dy.cols(); first += kBlock) {
    const Index width = std::min(kBlock, dy.cols() - first);
    double bias_grad[kBlock] = {};
    double weight_grad[kBlock] = {};
    for (Index r = 0; r < dy.rows(); ++r) {
      const float* grad = dy.row(r) + first;
      const float* x_hat = normalized.row(r) + first;
#pragma omp simd
      for (Index c = 0; c < width; ++c) {
        bias_grad[c] += grad[c];
        weight_grad[c] += static_cast<double>(grad[c]) * x_hat[c];
      }
    }
    for (Index c = 0; c < width; ++c) {
      dbias(0, first + c) = static_cast<float>(bias_grad[c]);
      dweight(0, first + c) = static_cast<float>(weight_grad[c]);
    }
  }
}

// Returns Σ term(i) for i in [0, n), in double, summed in 8 interleaved partial sums that are then
// added in a fixed order, so that the compiler can use vector additions. A single running sum
// waits for each addition before the next: 128 of them took most of a layer normalization.
template <typename Term>
double lane_sum(Index n, Term&& term) {
  constexpr Index kLanes = 8;
  double partial[kLanes] = {};
  Index i = 0;
  for (; i + kLanes <= n; i += kLanes) {
#pragma omp simd
    for (Index j = 0; j < kLanes; ++j) partial[j] += term(i + j);
  }
  for (Index j = 0; i < n; ++i, ++j) partial[j] += term(i);
  return ((partial[0] + partial[4]) + (partial[2] + partial[6])) + ((partial[1] + partial[5]) + (partial[3] + partial[7]));
}

}  // namespace protean::detail
