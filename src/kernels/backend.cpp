// Backend's composite operations, built from its basic ones, for backends without a fused form.
#include "protean/kernels/backend.hpp"

#include <cassert>

namespace protean {

void Backend::dense_chain_forward(ConstMatrixView x, std::span<const DenseLink> links) {
  ConstMatrixView input = x;
  for (const DenseLink& link : links) {
    assert(!derivative_needs_input(link.activation));
    dense_forward(link.activation, input, link.w, link.b, link.y);
    input = link.y;
  }
}

}  // namespace protean
