// Default element-wise activation passes, shared by both backends: plain loops that the
// compiler vectorizes. The pass is memory-bound next to the dense layer's matrix product.
#include <cassert>

#include "protean/kernels/backend.hpp"

namespace protean {

void Backend::activation_forward(Activation activation, ConstMatrixView z, MatrixView y) {
  assert(z.rows() == y.rows() && z.cols() == y.cols());
  with_activation(activation, [&](auto act) {
    using Act = decltype(act);
    for (Index r = 0; r < z.rows(); ++r) {
      const float* in = z.row(r);
      float* out = y.row(r);
#pragma omp simd
      for (Index c = 0; c < z.cols(); ++c) out[c] = Act::value(in[c]);
    }
  });
}

void Backend::activation_backward(Activation activation, ConstMatrixView z, ConstMatrixView y, MatrixView dy) {
  assert(z.rows() == dy.rows() && z.cols() == dy.cols() && y.rows() == dy.rows() && y.cols() == dy.cols());
  with_activation(activation, [&](auto act) {
    using Act = decltype(act);
    for (Index r = 0; r < z.rows(); ++r) {
      const float* in = z.row(r);
      const float* out = y.row(r);
      float* grad = dy.row(r);
#pragma omp simd
      for (Index c = 0; c < z.cols(); ++c) grad[c] *= Act::derivative(in[c], out[c]);
    }
  });
}

}  // namespace protean
