#include "protean/layers/fourier_features.hpp"

#include <cassert>
#include <cmath>
#include <numbers>

namespace protean {

namespace {

constexpr float kTwoPi = 2.0f * std::numbers::pi_v<float>;

// 2π·z reduced to [−π, π] by dropping whole cycles first, so that sin and cos of a large
// frequency keep the precision of the fractional part of z.
float phase(float z) { return kTwoPi * (z - std::nearbyint(z)); }

}  // namespace

FourierFeatures::FourierFeatures(Index inputs, Index frequencies, FourierScheme scheme, float scale)
    : count_(frequencies), scheme_(scheme), scale_(scale), frequencies_(Matrix::zeros(inputs, inputs * frequencies)) {
  assert(inputs > 0);
  assert(frequencies > 0);
  assert(scheme != FourierScheme::bands || frequencies <= kMaxBands);
  if (scheme == FourierScheme::bands) {
    for (Index i = 0; i < inputs; ++i) {
      for (Index k = 0; k < count_; ++k) frequencies_(i, i * count_ + k) = std::ldexp(kLowestBand, static_cast<int>(k));
    }
  }
}

ConstMatrixView FourierFeatures::forward(ConstMatrixView x, Mode) {
  assert(x.cols() == input_width());
  const Index n = x.rows();
  const Index width = frequencies_.cols();
  z_.resize(n, width);
  y_.resize(n, 2 * width);
  backend().gemm(Transpose::no, Transpose::no, 1.0f, x, frequencies_, 0.0f, z_);
  for (Index r = 0; r < n; ++r) {
    for (Index j = 0; j < width; ++j) {
      const float angle = phase(z_(r, j));
      y_(r, j) = std::sin(angle);
      y_(r, width + j) = std::cos(angle);
    }
  }
  return y_;
}

MatrixView FourierFeatures::backward(MatrixView dy, bool need_dx) {
  if (!need_dx) return {};
  const Index n = dy.rows();
  const Index width = frequencies_.cols();
  assert(n == y_.rows());
  assert(dy.cols() == 2 * width);
  // d/dz sin(2πz) = 2π·cos(2πz) and d/dz cos(2πz) = −2π·sin(2πz); then dx = dz · Bᵀ.
  dz_.resize(n, width);
  for (Index r = 0; r < n; ++r) {
    for (Index j = 0; j < width; ++j) {
      dz_(r, j) = kTwoPi * (dy(r, j) * y_(r, width + j) - dy(r, width + j) * y_(r, j));
    }
  }
  dx_.resize(n, input_width());
  backend().gemm(Transpose::no, Transpose::yes, 1.0f, dz_, frequencies_, 0.0f, dx_);
  return dx_;
}

void FourierFeatures::initialize(Rng& rng) {
  if (scheme_ != FourierScheme::gaussian) return;
  for (Index i = 0; i < frequencies_.size(); ++i) frequencies_.data()[i] = scale_ * rng.normal();
}

LayerConfig FourierFeatures::config() const {
  LayerConfig config;
  config.kind = LayerKind::fourier_features;
  config.frequencies = count_;
  config.scheme = scheme_;
  if (scheme_ == FourierScheme::gaussian) config.scale = scale_;
  return config;
}

}  // namespace protean
