#include "protean/layers/layer_norm.hpp"

#include <cassert>
#include <cmath>

#include "affine_gradients.hpp"

namespace protean {

LayerNorm::LayerNorm(Index width)
    : weight_(Matrix::filled(1, width, 1.0f)),
      bias_(Matrix::zeros(1, width)),
      dweight_(Matrix::zeros(1, width)),
      dbias_(Matrix::zeros(1, width)) {
  assert(width > 0);
}

ConstMatrixView LayerNorm::forward(ConstMatrixView x, Mode) {
  assert(x.cols() == input_width());
  const Index n = x.rows();
  const Index width = x.cols();
  normalized_.resize(n, width);
  inverse_std_.resize(n, 1);
  y_.resize(n, width);
  for (Index r = 0; r < n; ++r) {
    const float* in = x.row(r);
    double mean = 0.0;
    for (Index c = 0; c < width; ++c) mean += in[c];
    mean /= static_cast<double>(width);
    double variance = 0.0;
    for (Index c = 0; c < width; ++c) variance += (in[c] - mean) * (in[c] - mean);
    variance /= static_cast<double>(width);
    const double inverse_std = 1.0 / std::sqrt(variance + kEpsilon);
    inverse_std_(r, 0) = static_cast<float>(inverse_std);
    for (Index c = 0; c < width; ++c) {
      normalized_(r, c) = static_cast<float>((in[c] - mean) * inverse_std);
      y_(r, c) = weight_(0, c) * normalized_(r, c) + bias_(0, c);
    }
  }
  return y_;
}

MatrixView LayerNorm::backward(MatrixView dy, bool need_dx) {
  const Index n = dy.rows();
  const Index width = dy.cols();
  assert(n == normalized_.rows() && width == input_width());
  detail::affine_gradients(dy, normalized_, dweight_, dbias_);
  if (!need_dx) return {};

  // Per row, with g = dy ⊙ γ: dx = inv_std / I · (I·g − Σ g − x̂ · Σ g ⊙ x̂), sums over features.
  dx_.resize(n, width);
  for (Index r = 0; r < n; ++r) {
    double sum_grad = 0.0;
    double sum_grad_normalized = 0.0;
    for (Index c = 0; c < width; ++c) {
      const double grad = static_cast<double>(dy(r, c)) * weight_(0, c);
      sum_grad += grad;
      sum_grad_normalized += grad * normalized_(r, c);
    }
    const double factor = inverse_std_(r, 0) / static_cast<double>(width);
    for (Index c = 0; c < width; ++c) {
      const double grad = static_cast<double>(dy(r, c)) * weight_(0, c);
      dx_(r, c) = static_cast<float>(factor * (static_cast<double>(width) * grad - sum_grad - normalized_(r, c) * sum_grad_normalized));
    }
  }
  return dx_;
}

std::vector<Parameter> LayerNorm::parameters() {
  return {{"weight", weight_.view(), dweight_.view()}, {"bias", bias_.view(), dbias_.view()}};
}

void LayerNorm::initialize(Rng&) {
  weight_.fill(1.0f);
  bias_.fill(0.0f);
}

LayerConfig LayerNorm::config() const {
  LayerConfig config;
  config.kind = LayerKind::layer_norm;
  return config;
}

}  // namespace protean
