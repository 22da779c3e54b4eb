// CPU backend: OpenBLAS sgemm for the matrix products, vectorized loops for the rest.
#include <cblas.h>

#include <Eigen/Core>
#include <algorithm>
#include <cassert>
#include <type_traits>

#include "protean/kernels/backend.hpp"

namespace protean {

namespace {

using RowMajorArray = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ArrayMap = Eigen::Map<RowMajorArray, Eigen::Unaligned, Eigen::OuterStride<>>;
using ConstArrayMap = Eigen::Map<const RowMajorArray, Eigen::Unaligned, Eigen::OuterStride<>>;

ArrayMap as_array(MatrixView m) { return {m.data(), m.rows(), m.cols(), Eigen::OuterStride<>(m.stride())}; }
ConstArrayMap as_array(ConstMatrixView m) {
  return {m.data(), m.rows(), m.cols(), Eigen::OuterStride<>(m.stride())};
}

CBLAS_TRANSPOSE to_cblas(Transpose t) { return t == Transpose::yes ? CblasTrans : CblasNoTrans; }

// Leading dimension as BLAS wants it: at least 1 even for empty matrices.
blasint leading_dimension(Index stride, Index cols) { return static_cast<blasint>(std::max<Index>({stride, cols, 1})); }

// Applies y = act(y + b) row by row. Sigmoid, tanh and softplus go through Eigen's packet
// math, which vectorizes exp and tanh. The piecewise-linear ones are simple enough for the
// compiler to vectorize the scalar loop.
void bias_activation(Activation activation, ConstMatrixView b, MatrixView y) {
  auto out = as_array(y);
  const auto bias = as_array(b).row(0);
  switch (activation) {
    case Activation::sigmoid:
      for (Index r = 0; r < y.rows(); ++r) out.row(r) = (out.row(r) + bias).logistic();
      return;
    case Activation::tanh:
      for (Index r = 0; r < y.rows(); ++r) out.row(r) = (out.row(r) + bias).tanh();
      return;
    case Activation::softplus:
      for (Index r = 0; r < y.rows(); ++r) {
        const auto z = (out.row(r) + bias).eval();
        out.row(r) = z.max(0.0f) + (-z.abs()).exp().log1p();
      }
      return;
    default:
      break;
  }
  with_activation(activation, [&](auto act) {
    using Act = decltype(act);
    const float* bias_row = b.data();
    for (Index r = 0; r < y.rows(); ++r) {
      float* row = y.row(r);
#pragma omp simd
      for (Index c = 0; c < y.cols(); ++c) row[c] = Act::value(row[c] + bias_row[c]);
    }
  });
}

// dz = dy ⊙ act'(y) written over dy, reading the derivative from the output, and db = column
// sums of dz, in one pass over dy. Rows are summed in order, so db does not depend on the thread
// count.
void activation_and_bias_backward(Activation activation, ConstMatrixView y, MatrixView dy, MatrixView db) {
  float* bias_grad = db.data();
  std::fill(bias_grad, bias_grad + db.cols(), 0.0f);
  with_activation(activation, [&](auto act) {
    using Act = decltype(act);
    // Dense sends activations that need the input through Backend::activation_backward instead.
    assert(Act::kDerivativeFromOutput && "this kernel reads the derivative from the output");
    for (Index r = 0; r < y.rows(); ++r) {
      const float* out = y.row(r);
      float* grad = dy.row(r);
#pragma omp simd
      for (Index c = 0; c < y.cols(); ++c) {
        const float dz = std::is_same_v<Act, act::Identity> ? grad[c] : grad[c] * Act::derivative(0.0f, out[c]);
        grad[c] = dz;
        bias_grad[c] += dz;
      }
    }
  });
}

// The backward pass of a layer with one output (the last layer of curve and surface) makes two
// BLAS calls with a dimension of 1, where call overhead outweighs the work. protean_kernels_bench
// (1 thread, Cooperlake kernels, medians of 3, two sessions) timed dense_backward at N=256 I=128
// O=1 at 3.6-3.7 µs with sgemm and 2.7-2.8 µs with the two loops below, and at N=64 I=64 O=1 at
// 620 ns with sgemm and 500-610 ns with the loops.
// The same kind of loops for the forward pass and for layers with one input were slower than
// OpenBLAS (matrix-vector forward 196 ns → 1.4 µs, one-input backward 411 → 569 ns), so those
// stay on sgemm. Both loops sum in a fixed row order, so results do not depend on the thread count.

// dw[I×1] = xᵀ · dz[N×1]: one scaled row of x added per batch row, rows in order.
void weight_gradient_single_output(ConstMatrixView x, ConstMatrixView dz, MatrixView dw) {
  for (Index i = 0; i < dw.rows(); ++i) dw(i, 0) = 0.0f;
  float* grad = dw.data();
  const Index stride = dw.stride();
  for (Index r = 0; r < x.rows(); ++r) {
    const float scale = dz(r, 0);
    const float* in = x.row(r);
#pragma omp simd
    for (Index i = 0; i < x.cols(); ++i) grad[i * stride] += scale * in[i];
  }
}

// dx[N×I] = dz[N×1] · wᵀ, the input gradient of a dense layer with one output.
void input_gradient_single_output(ConstMatrixView dz, ConstMatrixView w, MatrixView dx) {
  for (Index r = 0; r < dx.rows(); ++r) {
    const float scale = dz(r, 0);
    float* out = dx.row(r);
#pragma omp simd
    for (Index i = 0; i < dx.cols(); ++i) out[i] = scale * w.data()[i * w.stride()];
  }
}

class CpuBackend final : public Backend {
 public:
  CpuBackend() { openblas_set_num_threads(threads_); }

  std::string_view name() const override { return "cpu"; }

  void gemm(Transpose trans_a, Transpose trans_b, float alpha, ConstMatrixView a, ConstMatrixView b,
            float beta, MatrixView c) override {
    const Index m = c.rows();
    const Index n = c.cols();
    const Index k = trans_a == Transpose::yes ? a.rows() : a.cols();
    assert((trans_a == Transpose::yes ? a.cols() : a.rows()) == m);
    assert((trans_b == Transpose::yes ? b.rows() : b.cols()) == n);
    assert((trans_b == Transpose::yes ? b.cols() : b.rows()) == k);
    if (m == 0 || n == 0) return;
    if (k == 0) {
      // BLAS leaves C untouched for k = 0 only when beta is 1; make the empty sum explicit.
      if (beta == 0.0f) {
        c.fill(0.0f);
      } else {
        as_array(c) *= beta;
      }
      return;
    }
    cblas_sgemm(CblasRowMajor, to_cblas(trans_a), to_cblas(trans_b), static_cast<blasint>(m),
                static_cast<blasint>(n), static_cast<blasint>(k), alpha, a.data(),
                leading_dimension(a.stride(), a.cols()), b.data(), leading_dimension(b.stride(), b.cols()),
                beta, c.data(), leading_dimension(c.stride(), c.cols()));
  }

  void dense_forward(Activation activation, ConstMatrixView x, ConstMatrixView w, ConstMatrixView b,
                     MatrixView y) override {
    gemm(Transpose::no, Transpose::no, 1.0f, x, w, 0.0f, y);
    bias_activation(activation, b, y);
  }

  void dense_backward(Activation activation, ConstMatrixView x, ConstMatrixView w, ConstMatrixView y,
                      MatrixView dy, MatrixView dw, MatrixView db, MatrixView dx) override {
    activation_and_bias_backward(activation, y, dy, db);
    if (dy.cols() == 1) {
      weight_gradient_single_output(x, dy, dw);
      if (dx.rows() > 0) input_gradient_single_output(dy, w, dx);
      return;
    }
    gemm(Transpose::yes, Transpose::no, 1.0f, x, dy, 0.0f, dw);
    if (dx.rows() > 0) gemm(Transpose::no, Transpose::yes, 1.0f, dy, w, 0.0f, dx);
  }

  // Does nothing when the count is unchanged, so that fits running side by side on one thread
  // each (the recipe search) only read the shared setting.
  void set_threads(int threads) override {
    const int requested = std::max(1, threads);
    if (requested == threads_) return;
    threads_ = requested;
    openblas_set_num_threads(threads_);
  }
  int threads() const override { return threads_; }

 private:
  int threads_ = 1;
};

}  // namespace

Backend& cpu_backend() {
  static CpuBackend backend;
  return backend;
}

}  // namespace protean
