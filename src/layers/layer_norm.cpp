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
  const float* gamma = weight().data();
  const float* beta = bias().data();
  for (Index r = 0; r < n; ++r) {
    const float* in = x.row(r);
    const double mean = detail::lane_sum(width, [&](Index c) { return static_cast<double>(in[c]); }) /
                        static_cast<double>(width);
    const double variance = detail::lane_sum(width, [&](Index c) {
                              const double centered = in[c] - mean;
                              return centered * centered;
                            }) /
                            static_cast<double>(width);
    const double inverse_std = 1.0 / std::sqrt(variance + kEpsilon);
    inverse_std_(r, 0) = static_cast<float>(inverse_std);
    float* x_hat = normalized_.row(r);
    float* out = y_.row(r);
#pragma omp simd
    for (Index c = 0; c < width; ++c) {
      x_hat[c] = static_cast<float>((in[c] - mean) * inverse_std);
      out[c] = gamma[c] * x_hat[c] + beta[c];
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
  const float* gamma = weight().data();
  for (Index r = 0; r < n; ++r) {
    const float* grad_out = dy.row(r);
    const float* x_hat = normalized_.row(r);
    const double sum_grad = detail::lane_sum(width, [&](Index c) { return static_cast<double>(grad_out[c]) * gamma[c]; });
    const double sum_grad_normalized = detail::lane_sum(width, [&](Index c) {
      return static_cast<double>(grad_out[c]) * gamma[c] * x_hat[c];
    });
    const double factor = inverse_std_(r, 0) / static_cast<double>(width);
    float* out = dx_.row(r);
#pragma omp simd
    for (Index c = 0; c < width; ++c) {
      const double grad = static_cast<double>(grad_out[c]) * gamma[c];
      out[c] = static_cast<float>(factor * (static_cast<double>(width) * grad - sum_grad - x_hat[c] * sum_grad_normalized));
    }
  }
  return dx_;
}

std::vector<Parameter> LayerNorm::parameters() {
  return {{"weight", weight().view(), dweight_.view()}, {"bias", bias().view(), dbias_.view()}};
}

void LayerNorm::initialize(Rng&) {
  weight().fill(1.0f);
  bias().fill(0.0f);
}

LayerConfig LayerNorm::config() const {
  LayerConfig config;
  config.kind = LayerKind::layer_norm;
  return config;
}

std::unique_ptr<Layer> LayerNorm::replica() {
  auto copy = std::make_unique<LayerNorm>(1);
  copy->shared_ = shared_ != nullptr ? shared_ : this;
  copy->weight_ = Matrix();
  copy->bias_ = Matrix();
  copy->dweight_ = Matrix::zeros(1, input_width());
  copy->dbias_ = Matrix::zeros(1, input_width());
  copy->set_backend(backend());
  return copy;
}

}  // namespace protean
