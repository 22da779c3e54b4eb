// Element-wise passes for the activations whose value needs exp, erf, log or sin, in Eigen's
// packet math (16 lanes with AVX-512, 8 with AVX2, 4 with SSE).
//
// The scalar loops of Backend::activation_forward() and activation_backward() call libm's erff,
// expf and sinf one value at a time, which the compiler cannot vectorize. A 2-128-128-128-1
// GELU network trained at 239 k samples/s through them against 1.15 M for ReLU, with erff and
// expf taking 37% of the time (perf, 1 thread, batch 256). ELU's expm1 and softplus's exp,
// log1p and expm1 had the same cost.
// Every value, the last ones of a row included, goes through the same packet code, so a row's
// results do not depend on the rows around it. They can differ in the last bits from libm's,
// which the reference backend uses: Eigen's erf is a rational approximation accurate to a couple
// of units in the last place.
#pragma once

#include "protean/activations/activation.hpp"
#include "protean/tensor.hpp"

namespace protean::detail {

// True for the activations these passes compute: gelu, silu and sine.
bool has_packet_activation(Activation activation);

// y = act(z), element by element. Requires has_packet_activation(activation).
void packet_activation_forward(Activation activation, ConstMatrixView z, MatrixView y);

// dy ⊙= act'(z), element by element. Requires has_packet_activation(activation).
void packet_activation_backward(Activation activation, ConstMatrixView z, MatrixView dy);

// True for the activations whose forward pass packet_bias_activation() computes, with the
// derivative read from the output: elu and softplus.
bool has_packet_bias_activation(Activation activation);

// y = act(y + b) row by row, b a row of y.cols() values. Requires has_packet_bias_activation().
void packet_bias_activation(Activation activation, ConstMatrixView b, MatrixView y);

// dy[i] *= act'(y[i]) for i < width, the derivative read from the output y. Requires
// has_packet_bias_activation(activation).
void packet_output_derivative(Activation activation, const float* y, float* dy, Index width);

}  // namespace protean::detail
