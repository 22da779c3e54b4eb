// Plain loops in double precision: the slow, obviously correct twin of the CPU backend.
#include <cassert>

#include "protean/kernels/backend.hpp"

namespace protean {

namespace {

float element(ConstMatrixView m, Transpose trans, Index r, Index c) {
  return trans == Transpose::yes ? m(c, r) : m(r, c);
}

class ReferenceBackend final : public Backend {
 public:
  std::string_view name() const override { return "reference"; }

  void gemm(Transpose trans_a, Transpose trans_b, float alpha, ConstMatrixView a, ConstMatrixView b,
            float beta, MatrixView c) override {
    const Index m = c.rows();
    const Index n = c.cols();
    const Index k = trans_a == Transpose::yes ? a.rows() : a.cols();
    assert((trans_b == Transpose::yes ? b.cols() : b.rows()) == k);
    for (Index i = 0; i < m; ++i) {
      for (Index j = 0; j < n; ++j) {
        double sum = 0.0;
        for (Index p = 0; p < k; ++p) {
          sum += static_cast<double>(element(a, trans_a, i, p)) * element(b, trans_b, p, j);
        }
        const double previous = beta == 0.0f ? 0.0 : static_cast<double>(beta) * c(i, j);
        c(i, j) = static_cast<float>(alpha * sum + previous);
      }
    }
  }

  void dense_forward(Activation activation, ConstMatrixView x, ConstMatrixView w, ConstMatrixView b,
                     MatrixView y) override {
    gemm(Transpose::no, Transpose::no, 1.0f, x, w, 0.0f, y);
    for (Index r = 0; r < y.rows(); ++r) {
      for (Index c = 0; c < y.cols(); ++c) y(r, c) = activation_value(activation, y(r, c) + b(0, c));
    }
  }

  void dense_backward(Activation activation, ConstMatrixView x, ConstMatrixView w, ConstMatrixView y,
                      MatrixView dy, MatrixView dw, MatrixView db, MatrixView dx) override {
    // Only activations whose derivative reads the output come here (see Backend::dense_backward).
    assert(!derivative_needs_input(activation));
    for (Index r = 0; r < dy.rows(); ++r) {
      for (Index c = 0; c < dy.cols(); ++c) {
        dy(r, c) *= activation_derivative(activation, 0.0f, y(r, c));
      }
    }
    gemm(Transpose::yes, Transpose::no, 1.0f, x, dy, 0.0f, dw);
    for (Index c = 0; c < dy.cols(); ++c) {
      double sum = 0.0;
      for (Index r = 0; r < dy.rows(); ++r) sum += dy(r, c);
      db(0, c) = static_cast<float>(sum);
    }
    if (dx.rows() > 0) gemm(Transpose::no, Transpose::yes, 1.0f, dy, w, 0.0f, dx);
  }

  void set_threads(int) override {}
  int threads() const override { return 1; }
};

}  // namespace

Backend& reference_backend() {
  static ReferenceBackend backend;
  return backend;
}

}  // namespace protean
