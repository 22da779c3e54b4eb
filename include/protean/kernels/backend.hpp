// Backend: the compute seam. Layers call these operations and never loop over tensors
// themselves, so a faster CPU path or a CUDA backend replaces this one class and nothing above.
//
// Two implementations ship: `reference` (plain loops, obviously right, slow) and `cpu` (libxsmm
// kernels for small products, OpenBLAS sgemm for large ones, vectorized element-wise passes,
// and its own worker threads). Tests compare them.
#pragma once

#include <span>
#include <string_view>

#include "protean/activations/activation.hpp"
#include "protean/tensor.hpp"

namespace protean {

enum class Transpose { no, yes };

// One dense layer of a chain that Backend::dense_chain_forward() runs: y = act(x·w + b), where x
// is the previous link's y, or the chain's input for the first link.
struct DenseLink {
  Activation activation;
  ConstMatrixView w;
  ConstMatrixView b;
  MatrixView y;
};

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

  // Runs the inference forward pass of dense layers in a row. The last link's y has the bits
  // that dense_forward() gives link by link. A backend may keep the values of the other links in
  // registers, so their y is scratch space with unspecified contents afterwards. No link's
  // activation may be one whose derivative needs the input (derivative_needs_input()). The
  // default calls dense_forward() link by link.
  virtual void dense_chain_forward(ConstMatrixView x, std::span<const DenseLink> links);

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
