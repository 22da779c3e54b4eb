#include "protean/layers/dropout.hpp"

#include <cassert>

namespace protean {

Dropout::Dropout(Index width, float rate) : width_(width), rate_(rate) {
  assert(width > 0 && rate >= 0.0f && rate < 1.0f);
}

ConstMatrixView Dropout::forward(ConstMatrixView x, Mode mode) {
  assert(x.cols() == width_);
  mode_ = mode;
  if (mode == Mode::inference || rate_ == 0.0f) return x;
  const float keep_scale = 1.0f / (1.0f - rate_);
  mask_.resize(x.rows(), width_);
  y_.resize(x.rows(), width_);
  for (Index r = 0; r < x.rows(); ++r) {
    for (Index c = 0; c < width_; ++c) {
      mask_(r, c) = rng_.uniform() < rate_ ? 0.0f : keep_scale;
      y_(r, c) = x(r, c) * mask_(r, c);
    }
  }
  return y_;
}

MatrixView Dropout::backward(MatrixView dy, bool need_dx) {
  if (!need_dx) return {};
  dx_.resize(dy.rows(), width_);
  if (mode_ == Mode::inference || rate_ == 0.0f) {
    dx_.view().copy_from(dy);
    return dx_;
  }
  assert(dy.rows() == mask_.rows());
  for (Index r = 0; r < dy.rows(); ++r) {
    for (Index c = 0; c < width_; ++c) dx_(r, c) = dy(r, c) * mask_(r, c);
  }
  return dx_;
}

void Dropout::initialize(Rng& rng) { rng_ = Rng(rng.next_u64()); }

LayerConfig Dropout::config() const {
  LayerConfig config;
  config.kind = LayerKind::dropout;
  config.rate = rate_;
  return config;
}

}  // namespace protean
