#include "protean/layers/dense.hpp"

#include <cassert>
#include <cmath>

namespace protean {

Dense::Dense(Index inputs, Index units, Activation activation, Init init)
    : activation_(activation),
      init_(init),
      weight_(Matrix::zeros(inputs, units)),
      bias_(Matrix::zeros(1, units)),
      dweight_(Matrix::zeros(inputs, units)),
      dbias_(Matrix::zeros(1, units)) {
  assert(inputs > 0 && units > 0);
}

ConstMatrixView Dense::forward(ConstMatrixView x, Mode) {
  assert(x.cols() == input_width());
  x_ = x;
  y_.resize(x.rows(), output_width());
  if (derivative_needs_input(activation_)) {
    z_.resize(x.rows(), output_width());
    backend().dense_forward(Activation::identity, x, weight(), bias(), z_);
    backend().activation_forward(activation_, z_, y_);
  } else {
    backend().dense_forward(activation_, x, weight(), bias(), y_);
  }
  return y_;
}

DenseLink Dense::inference_link(ConstMatrixView x) {
  assert(!derivative_needs_input(activation_));
  assert(x.cols() == input_width());
  y_.resize(x.rows(), output_width());
  x_ = x;
  return {activation_, weight(), bias(), y_};
}

MatrixView Dense::backward(MatrixView dy, bool need_dx) {
  assert(dy.rows() == x_.rows() && dy.cols() == output_width());
  MatrixView dx;
  if (need_dx) {
    dx_.resize(x_.rows(), input_width());
    dx = dx_.view();
  }
  if (derivative_needs_input(activation_)) {
    backend().activation_backward(activation_, z_, y_, dy);
    backend().dense_backward(Activation::identity, x_, weight(), y_, dy, dweight_, dbias_, dx);
  } else {
    backend().dense_backward(activation_, x_, weight(), y_, dy, dweight_, dbias_, dx);
  }
  return dx;
}

LayerConfig Dense::config() const {
  LayerConfig config;
  config.kind = LayerKind::dense;
  config.units = output_width();
  config.activation = activation_;
  return config;
}

std::vector<Parameter> Dense::parameters() {
  return {{"weight", weight().view(), dweight_.view()}, {"bias", bias().view(), dbias_.view()}};
}

std::unique_ptr<Layer> Dense::replica() { return std::make_unique<Dense>(shared_copy()); }

Dense Dense::shared_copy() {
  Dense copy(1, 1, activation_, init_);
  copy.shared_ = shared_ != nullptr ? shared_ : this;
  copy.weight_ = Matrix();
  copy.bias_ = Matrix();
  copy.dweight_ = Matrix::zeros(input_width(), output_width());
  copy.dbias_ = Matrix::zeros(1, output_width());
  copy.set_backend(backend());
  return copy;
}

void Dense::initialize(Rng& rng) {
  const auto fan_in = static_cast<float>(input_width());
  const auto fan_out = static_cast<float>(output_width());
  Init init = init_;
  if (init == Init::automatic) {
    const bool relu_like = activation_ == Activation::relu || activation_ == Activation::leaky_relu;
    init = relu_like ? Init::he : Init::glorot;
    if (activation_ == Activation::hard_tanh || activation_ == Activation::hard_sigmoid) init = Init::lecun;
    if (activation_ == Activation::sine) init = Init::siren;
  }
  if (init == Init::siren_first || init == Init::siren) {
    const float limit = init == Init::siren_first ? 1.0f / fan_in : std::sqrt(6.0f / fan_in) / act::Sine::kOmega;
    for (Index i = 0; i < weight().size(); ++i) weight().data()[i] = rng.uniform(-limit, limit);
  } else if (init == Init::he || init == Init::lecun) {
    float deviation = std::sqrt((init == Init::he ? 2.0f : 1.0f) / fan_in);
    if (init == Init::lecun && activation_ == Activation::hard_sigmoid) deviation *= 3.0f;
    for (Index i = 0; i < weight().size(); ++i) weight().data()[i] = deviation * rng.normal();
  } else {
    const float limit = std::sqrt(6.0f / (fan_in + fan_out));
    for (Index i = 0; i < weight().size(); ++i) weight().data()[i] = rng.uniform(-limit, limit);
  }
  bias().fill(0.0f);
}

}  // namespace protean
