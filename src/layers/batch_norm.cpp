#include "protean/layers/batch_norm.hpp"

#include <cassert>
#include <cmath>
#include <vector>

#include "affine_gradients.hpp"

namespace protean {

BatchNorm::BatchNorm(Index width, float momentum)
    : momentum_(momentum),
      weight_(Matrix::filled(1, width, 1.0f)),
      bias_(Matrix::zeros(1, width)),
      dweight_(Matrix::zeros(1, width)),
      dbias_(Matrix::zeros(1, width)),
      running_mean_(Matrix::zeros(1, width)),
      running_var_(Matrix::filled(1, width, 1.0f)),
      inverse_std_(Matrix::zeros(1, width)) {
  assert(width > 0 && momentum > 0.0f && momentum <= 1.0f);
}

ConstMatrixView BatchNorm::forward(ConstMatrixView x, Mode mode) {
  assert(x.cols() == input_width());
  const Index n = x.rows();
  const Index width = x.cols();
  mode_ = mode;
  normalized_.resize(n, width);
  y_.resize(n, width);

  if (mode == Mode::training && n > 0) {
    // Column mean and biased variance, summed in double in a fixed row order.
    std::vector<double>& mean = batch_mean_;
    std::vector<double>& variance = batch_variance_;
    mean.assign(static_cast<std::size_t>(width), 0.0);
    variance.assign(static_cast<std::size_t>(width), 0.0);
    for (Index r = 0; r < n; ++r) {
      for (Index c = 0; c < width; ++c) mean[c] += x(r, c);
    }
    for (double& m : mean) m /= static_cast<double>(n);
    for (Index r = 0; r < n; ++r) {
      for (Index c = 0; c < width; ++c) {
        const double centered = x(r, c) - mean[c];
        variance[c] += centered * centered;
      }
    }
    for (Index c = 0; c < width; ++c) {
      variance[c] /= static_cast<double>(n);
      inverse_std_(0, c) = static_cast<float>(1.0 / std::sqrt(variance[c] + kEpsilon));
      running_mean_(0, c) = static_cast<float>((1.0 - momentum_) * running_mean_(0, c) + momentum_ * mean[c]);
      if (n > 1) {
        const double unbiased = variance[c] * static_cast<double>(n) / static_cast<double>(n - 1);
        running_var_(0, c) = static_cast<float>((1.0 - momentum_) * running_var_(0, c) + momentum_ * unbiased);
      }
    }
    for (Index r = 0; r < n; ++r) {
      for (Index c = 0; c < width; ++c) {
        normalized_(r, c) = static_cast<float>((x(r, c) - mean[c]) * inverse_std_(0, c));
      }
    }
  } else {
    for (Index c = 0; c < width; ++c) inverse_std_(0, c) = 1.0f / std::sqrt(running_var_(0, c) + kEpsilon);
    for (Index r = 0; r < n; ++r) {
      for (Index c = 0; c < width; ++c) normalized_(r, c) = (x(r, c) - running_mean_(0, c)) * inverse_std_(0, c);
    }
  }

  for (Index r = 0; r < n; ++r) {
    for (Index c = 0; c < width; ++c) y_(r, c) = weight_(0, c) * normalized_(r, c) + bias_(0, c);
  }
  return y_;
}

MatrixView BatchNorm::backward(MatrixView dy, bool need_dx) {
  const Index n = dy.rows();
  const Index width = dy.cols();
  assert(n == normalized_.rows() && width == input_width());
  detail::affine_gradients(dy, normalized_, dweight_, dbias_);
  if (!need_dx) return {};

  dx_.resize(n, width);
  if (mode_ == Mode::inference) {
    // The running statistics are constants, so the layer is an affine map per feature.
    for (Index r = 0; r < n; ++r) {
      for (Index c = 0; c < width; ++c) dx_(r, c) = dy(r, c) * weight_(0, c) * inverse_std_(0, c);
    }
    return dx_;
  }
  // Training: the batch statistics depend on x as well, which gives
  //   dx = γ · inv_std / N · (N·dy − Σ dy − x̂ · Σ dy ⊙ x̂), sums over the rows.
  // The rows are written in order, each with the per-column terms at hand.
  const float* sum_dy = dbias_.data();
  const float* sum_dy_normalized = dweight_.data();
  const float* gamma = weight_.data();
  const float* inverse_std = inverse_std_.data();
  for (Index r = 0; r < n; ++r) {
    const float* grad = dy.row(r);
    const float* x_hat = normalized_.row(r);
    float* out = dx_.row(r);
#pragma omp simd
    for (Index c = 0; c < width; ++c) {
      const double factor = static_cast<double>(gamma[c]) * inverse_std[c] / static_cast<double>(n);
      const double centered_grad = static_cast<double>(n) * grad[c] - static_cast<double>(sum_dy[c]) -
                                   x_hat[c] * static_cast<double>(sum_dy_normalized[c]);
      out[c] = static_cast<float>(factor * centered_grad);
    }
  }
  return dx_;
}

std::vector<Parameter> BatchNorm::parameters() {
  return {{"weight", weight_.view(), dweight_.view()}, {"bias", bias_.view(), dbias_.view()}};
}

std::vector<Buffer> BatchNorm::buffers() {
  return {{"running_mean", running_mean_.view()}, {"running_var", running_var_.view()}};
}

void BatchNorm::initialize(Rng&) {
  weight_.fill(1.0f);
  bias_.fill(0.0f);
  running_mean_.fill(0.0f);
  running_var_.fill(1.0f);
}

LayerConfig BatchNorm::config() const {
  LayerConfig config;
  config.kind = LayerKind::batch_norm;
  config.momentum = momentum_;
  return config;
}

}  // namespace protean
