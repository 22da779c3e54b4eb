#include "kernels/small_gemm.hpp"

#include <libxsmm.h>

#include <cassert>

namespace protean::detail {

namespace {

libxsmm_blasint to_blasint(Index value) { return static_cast<libxsmm_blasint>(value); }

// libxsmm reads its CPU once, in libxsmm_init(); a static object makes that happen before the
// first product rather than inside a timed step.
struct LibxsmmSetup {
  LibxsmmSetup() { libxsmm_init(); }
};
const LibxsmmSetup setup;

}  // namespace

bool fits_small_gemm(Transpose trans_a, Transpose trans_b, Index m, Index n, Index k, float alpha, float beta) {
  if (alpha != 1.0f || (beta != 0.0f && beta != 1.0f)) return false;
  if (trans_a == Transpose::yes && trans_b == Transpose::yes) return false;
  if (trans_b == Transpose::yes && n * k > kMaxTransposedB) return false;
  return n >= kMinSmallColumns && m * n * k <= kMaxSmallProduct;
}

bool small_gemm(Transpose trans_a, ConstMatrixView a, ConstMatrixView b, float beta, MatrixView c) {
  // libxsmm is column-major. A row-major matrix read column-major is its transpose, so the
  // row-major C = op(A)·B is computed as the column-major Cᵀ = Bᵀ·op(A)ᵀ: B goes first, and a
  // transposed A becomes libxsmm's transposed second operand.
  const Index m = c.rows();
  const Index n = c.cols();
  const Index k = b.rows();
  const libxsmm_blasint ld_first = to_blasint(b.stride());
  const libxsmm_blasint ld_second = to_blasint(a.stride());
  const libxsmm_blasint ld_out = to_blasint(c.stride());
  const float alpha = 1.0f;
  const int flags = trans_a == Transpose::yes ? LIBXSMM_GEMM_FLAG_TRANS_B : LIBXSMM_GEMM_FLAG_NONE;
  // libxsmm keeps generated kernels in a registry; a lookup takes about 15 ns.
  const libxsmm_smmfunction kernel = libxsmm_smmdispatch(to_blasint(n), to_blasint(m), to_blasint(k), &ld_first,
                                                         &ld_second, &ld_out, &alpha, &beta, &flags, nullptr);
  if (kernel == nullptr) return false;
  kernel(b.data(), a.data(), c.data());
  return true;
}

void transpose_into(ConstMatrixView m, MatrixView out) {
  assert(out.rows() == m.cols() && out.cols() == m.rows());
  if (m.rows() == 0 || m.cols() == 0) return;
  // Column-major view again: the row-major m (rows × cols) is a cols × rows column-major matrix.
  libxsmm_otrans(out.data(), m.data(), sizeof(float), to_blasint(m.cols()), to_blasint(m.rows()),
                 to_blasint(m.stride()), to_blasint(out.stride()));
}

}  // namespace protean::detail
