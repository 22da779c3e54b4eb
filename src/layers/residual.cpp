#include "protean/layers/residual.hpp"

#include <cassert>
#include <cmath>

namespace protean {

namespace {

// out += a, element by element.
void add_into(ConstMatrixView a, MatrixView out) {
  assert(a.rows() == out.rows() && a.cols() == out.cols());
  for (Index r = 0; r < a.rows(); ++r) {
    const float* in = a.row(r);
    float* row = out.row(r);
#pragma omp simd
    for (Index c = 0; c < a.cols(); ++c) row[c] += in[c];
  }
}

}  // namespace

ResidualBlock::ResidualBlock(Index inputs, Index units, Activation activation)
    : first_(inputs, units, activation), second_(units, units, Activation::identity) {
  if (inputs != units) {
    projection_ = Matrix::zeros(inputs, units);
    dprojection_ = Matrix::zeros(inputs, units);
  }
}

ConstMatrixView ResidualBlock::forward(ConstMatrixView x, Mode mode) {
  assert(x.cols() == input_width());
  x_ = x;
  const ConstMatrixView hidden = first_.forward(x, mode);
  const ConstMatrixView residual = second_.forward(hidden, mode);
  y_.resize(x.rows(), output_width());
  y_.view().copy_from(residual);
  if (has_projection()) {
    backend().gemm(Transpose::no, Transpose::no, 1.0f, x, projection(), 1.0f, y_);
  } else {
    add_into(x, y_);
  }
  return y_;
}

MatrixView ResidualBlock::backward(MatrixView dy, bool need_dx) {
  assert(dy.rows() == x_.rows() && dy.cols() == output_width());
  // The skip path first, because the dense layers' backward passes overwrite dy.
  MatrixView dx;
  if (need_dx) {
    dx_.resize(x_.rows(), input_width());
    dx = dx_.view();
  }
  if (has_projection()) {
    backend().gemm(Transpose::yes, Transpose::no, 1.0f, x_, dy, 0.0f, dprojection_);
    if (need_dx) backend().gemm(Transpose::no, Transpose::yes, 1.0f, dy, projection(), 0.0f, dx);
  } else if (need_dx) {
    dx.copy_from(dy);
  }
  const MatrixView dhidden = second_.backward(dy, /*need_dx=*/true);
  const MatrixView dx_residual = first_.backward(dhidden, need_dx);
  if (need_dx) add_into(dx_residual, dx);
  return dx;
}

std::vector<Parameter> ResidualBlock::parameters() {
  std::vector<Parameter> all;
  for (auto& parameter : first_.parameters()) all.push_back({"first." + parameter.name, parameter.value, parameter.grad});
  for (auto& parameter : second_.parameters()) all.push_back({"second." + parameter.name, parameter.value, parameter.grad});
  if (has_projection()) all.push_back({"projection.weight", projection().view(), dprojection_.view()});
  return all;
}

Index ResidualBlock::parameter_count() const {
  return first_.parameter_count() + second_.parameter_count() + projection().size();
}

void ResidualBlock::initialize(Rng& rng) {
  first_.initialize(rng);
  // W₂ starts at zero, so every block starts as its skip path and a deep stack starts as a
  // shallow network. With W₂ drawn like any dense layer, each block adds about its input's
  // variance, and the 30-layer network of docs/depth-study.md ended with 1.8 to 12 times the
  // training loss it reaches from zero.
  // W₂ gets a gradient on the first step, and W₁ from the second on.
  second_.initialize(rng);
  second_.weight().fill(0.0f);
  if (has_projection()) {
    // Glorot uniform, as for any linear map.
    Matrix& projection_weight = projection();
    const float limit = std::sqrt(6.0f / static_cast<float>(projection_weight.rows() + projection_weight.cols()));
    for (Index i = 0; i < projection_weight.size(); ++i) projection_weight.data()[i] = rng.uniform(-limit, limit);
  }
}

std::unique_ptr<Layer> ResidualBlock::replica() {
  auto copy = std::make_unique<ResidualBlock>(*this);
  copy->shared_ = shared_ != nullptr ? shared_ : this;
  copy->first_ = first_.shared_copy();
  copy->second_ = second_.shared_copy();
  copy->projection_ = Matrix();
  copy->y_ = Matrix();
  copy->dx_ = Matrix();
  copy->set_backend(backend());
  return copy;
}

LayerConfig ResidualBlock::config() const {
  LayerConfig config;
  config.kind = LayerKind::residual;
  config.units = output_width();
  config.activation = activation();
  return config;
}

void ResidualBlock::set_backend(Backend& backend) {
  Layer::set_backend(backend);
  first_.set_backend(backend);
  second_.set_backend(backend);
}

}  // namespace protean
