// Backend: the compute seam. Layers call these operations and never loop over tensors
// themselves, so a faster CPU path or a CUDA backend replaces this one class and nothing above.
//
// Two implementations ship: `reference` (plain loops, obviously right, slow) and `cpu` (libxsmm
// kernels for small products, OpenBLAS sgemm for large ones, vectorized element-wise passes,
// and its own worker threads). Tests compare them.
#pragma once

#include <string_view>

#include "protean/activations/activation.hpp"
#include "protean/tensor.hpp"

namespace protean {

enum class Transpose { no, yes };

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;

  // c = alpha · op(a) · op(b) + beta · c, where op transposes when asked.
  virtual void gemm(Transpose trans_a, Transpose trans_b, float alpha, ConstMatrixView a,
                    ConstMatrixView b, float beta, MatrixView c) = 0;

  // Dense layer forward: y[N×O] = act(x[N×I] · w[I×O] + b[1×O]).
  virtual void dense_forward(Activation activation, ConstMatrixView x, ConstMatrixView w,
                             ConstMatrixView b, MatrixView y) = 0;

  // Dense layer backward, given the forward's x and y and the loss gradient dy[N×O]:
  //   dz = dy ⊙ act'(y)   (written over dy; only for activations with kDerivativeFromOutput,
  //                        derivative_needs_input() false)
  //   dw[I×O] = xᵀ · dz,  db[1×O] = column sums of dz   (overwritten, not accumulated)
  //   dx[N×I] = dz · wᵀ   (skipped when dx has no rows, as for the first layer)
  virtual void dense_backward(Activation activation, ConstMatrixView x, ConstMatrixView w,
                              ConstMatrixView y, MatrixView dy, MatrixView dw, MatrixView db,
                              MatrixView dx) = 0;

  // Two dense layers in a row, the second with one output, for inference:
  //   hidden[N×H] = act(x[N×I] · w[I×H] + b[1×H]),  y_out[N×1] = out_act(hidden · w_out[H×1] + b_out)
  // y_out has the bits that two dense_forward() calls give. A backend may keep the hidden values
  // in registers, so `hidden` is scratch space whose contents are unspecified afterwards.
  // Neither activation may be one whose derivative needs the input (derivative_needs_input()).
  // The default runs the two dense_forward() calls.
  virtual void dense_forward_to_one_output(Activation activation, ConstMatrixView x, ConstMatrixView w,
                                           ConstMatrixView b, Activation out_activation, ConstMatrixView w_out,
                                           ConstMatrixView b_out, MatrixView hidden, MatrixView y_out);

  // Element-wise activation y[N×O] = act(z[N×O]), for activations whose derivative needs the
  // input: Dense computes z with dense_forward(identity, ...) and keeps it for the backward pass.
  virtual void activation_forward(Activation activation, ConstMatrixView z, MatrixView y);
  // dy ⊙= act'(z, y) in place, the step dense_backward cannot take for those activations.
  virtual void activation_backward(Activation activation, ConstMatrixView z, ConstMatrixView y, MatrixView dy);

  // Threads this backend may use for one operation. The CPU backend cuts each operation into
  // parts by its shape alone, so results are bitwise the same for every thread count.
  virtual void set_threads(int threads) = 0;
  virtual int threads() const = 0;
};

Backend& reference_backend();
Backend& cpu_backend();

}  // namespace protean
