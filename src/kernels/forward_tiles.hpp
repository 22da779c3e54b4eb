// The forward pass of a dense layer, y = act(x·w + b), computed in register tiles with the bias
// and the activation applied before y is stored.
//
// libxsmm writes the product to y, and a second pass then reads y back to add the bias and apply
// the activation. For a small layer that pass costs about a tenth of the product: dense_forward
// at N=64 I=64 O=64 took 2189-2243 ns against 1997-2046 ns for libxsmm's product alone
// (protean_kernels_bench, 1 thread, medians of 5).
// Here each tile of 6 rows and 64 columns starts from the bias and sums its k multiply-adds in
// 24 vector registers. It is stored once, through the activation. That layer then took
// 2131-2147 ns against 2236-2264 ns before (medians of 3, the two builds run in turn). With more
// inputs than kMaxFusedInputs (cpu_backend.cpp) the product stays on libxsmm.
#pragma once

#include "protean/activations/activation.hpp"
#include "protean/tensor.hpp"

namespace protean::detail {

// True when fused_dense_forward() can apply `activation` in registers: identity, relu,
// leaky_relu and hard_tanh, on a CPU with AVX-512. The other activations keep the product and
// a separate pass, whose vectorized exp and tanh come from Eigen.
bool has_fused_forward(Activation activation);

// y = act(x·w + b) for x[N×K], w[K×M], b[1×M] and y[N×M], all row-major with any row stride.
// Each output starts from its bias and adds the k products in order, whatever N and whatever
// the rows around it, so a row's output has the same bits alone and in a batch.
// Requires has_fused_forward(activation).
void fused_dense_forward(Activation activation, ConstMatrixView x, ConstMatrixView w, ConstMatrixView b, MatrixView y);

// y_out[N×1] = out_act(act(x·w + b)·w_out + b_out): a layer as fused_dense_forward() computes it
// followed by a layer with one output, whose weights w_out are contiguous. The hidden values
// never reach memory, and y_out has the bits of the two layers run one after the other through
// the CPU backend. out_activation reads its derivative from the output
// (derivative_needs_input() false). Requires has_fused_forward(activation).
void fused_dense_forward_to_one_output(Activation activation, ConstMatrixView x, ConstMatrixView w, ConstMatrixView b,
                                       Activation out_activation, const float* w_out, float b_out, MatrixView y_out);

// Widest first layer that fused_chain_forward_to_one_output() accepts.
inline constexpr Index kMaxChainedWidth = 256;

// y_out[N×1] = out_act(act(act_first(x·w_first + b_first)·w + b)·w_out + b_out): three layers,
// the first with at most kMaxChainedWidth outputs, the last with one output. The first layer's
// values go to a buffer of 6 rows in the L1 cache, not to memory for every row. y_out has the
// bits of the three layers run one by one. Requires has_fused_forward() of both hidden
// activations, and out_activation as for fused_dense_forward_to_one_output().
void fused_chain_forward_to_one_output(Activation first_activation, ConstMatrixView x, ConstMatrixView w_first,
                                       ConstMatrixView b_first, Activation activation, ConstMatrixView w,
                                       ConstMatrixView b, Activation out_activation, const float* w_out, float b_out,
                                       MatrixView y_out);

}  // namespace protean::detail
