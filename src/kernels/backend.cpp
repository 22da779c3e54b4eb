// Backend's composite operations, built from its basic ones, for backends without a fused form.
#include "protean/kernels/backend.hpp"

#include <cassert>

namespace protean {

void Backend::dense_forward_to_one_output(Activation activation, ConstMatrixView x, ConstMatrixView w,
                                          ConstMatrixView b, Activation out_activation, ConstMatrixView w_out,
                                          ConstMatrixView b_out, MatrixView hidden, MatrixView y_out) {
  assert(!derivative_needs_input(activation));
  assert(!derivative_needs_input(out_activation));
  assert(w_out.cols() == 1);
  dense_forward(activation, x, w, b, hidden);
  dense_forward(out_activation, hidden, w_out, b_out, y_out);
}

}  // namespace protean
