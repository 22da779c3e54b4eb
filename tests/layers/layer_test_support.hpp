// Shared checks for layer tests: finite differences of every parameter and of the input.
#pragma once

#include <functional>
#include <string>

#include "gradient_check.hpp"
#include "protean/layers/layer.hpp"
#include "protean/random.hpp"

namespace protean::testing {

inline Matrix random_matrix(Index rows, Index cols, Rng& rng, float scale = 1.0f) {
  Matrix m = Matrix::zeros(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = scale * rng.normal();
  return m;
}

// L = Σ g ⊙ y for a fixed g, so ∂L/∂y = g.
inline double weighted_sum(ConstMatrixView y, ConstMatrixView g) {
  double sum = 0.0;
  for (Index r = 0; r < y.rows(); ++r) {
    for (Index c = 0; c < y.cols(); ++c) sum += static_cast<double>(y(r, c)) * g(r, c);
  }
  return sum;
}

// Checks the gradients that layer.backward() gives for every parameter and for the input x
// against central differences of L = Σ g ⊙ forward(x, mode). Buffers are not differentiated.
// `before_forward` runs before every forward, for layers whose forward draws random numbers.
inline void expect_layer_gradients(const std::string& what, Layer& layer, Matrix x, Mode mode, double step = 1e-2,
                                   double tolerance = 2e-3, const std::function<void()>& before_forward = {}) {
  Rng rng(99);
  if (before_forward) before_forward();
  const ConstMatrixView y = layer.forward(x, mode);
  const Matrix g = random_matrix(y.rows(), y.cols(), rng);
  Matrix dy = g;
  const Matrix dx = Matrix::copy_of(layer.backward(dy, /*need_dx=*/true));
  std::vector<Matrix> grads;
  for (const auto& parameter : layer.parameters()) grads.push_back(Matrix::copy_of(parameter.grad));

  auto loss = [&] {
    if (before_forward) before_forward();
    return weighted_sum(layer.forward(x, mode), g);
  };
  const auto parameters = layer.parameters();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    expect_gradient_matches(what + " " + parameters[i].name, parameters[i].value, grads[i], loss, step, tolerance);
  }
  expect_gradient_matches(what + " input", x, dx, loss, step, tolerance);
}

}  // namespace protean::testing
