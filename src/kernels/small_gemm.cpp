#include "kernels/small_gemm.hpp"

#include <libxsmm.h>

#include <cassert>

#if defined(__AVX512F__)
// GCC 12 flags the deliberately undefined vector inside the unpack intrinsics as uninitialized
// once they are inlined into the transpose below.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#endif

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

#if defined(__AVX512F__)
namespace {

// out[16×16] = in[16×16]ᵀ. Register v[r] of column group g gathers, in its 128-bit lane q, the
// four floats in[4q + r][4g..4g+3], loaded straight into the lane. A 4×4 transpose inside the
// lanes of v[0..3] then leaves output row 4g + c whole in one register. The loads do the moves
// across lanes that took two rounds of 128-bit shuffles before, and the shuffles all compete
// for one port on Intel cores. On an Intel Xeon (model 207) a 64×64 transpose took 780 ns
// against 1190 with the shuffles, and 128×128 took 3.9 against 4.7 µs.
void transpose_16x16(const float* in, Index in_stride, float* out, Index out_stride) {
  for (int g = 0; g < 4; ++g) {
    __m512 v[4];
    for (int r = 0; r < 4; ++r) {
      const float* column = in + r * in_stride + 4 * g;
      __m512 rows = _mm512_castps128_ps512(_mm_loadu_ps(column));
      rows = _mm512_insertf32x4(rows, _mm_loadu_ps(column + 4 * in_stride), 1);
      rows = _mm512_insertf32x4(rows, _mm_loadu_ps(column + 8 * in_stride), 2);
      rows = _mm512_insertf32x4(rows, _mm_loadu_ps(column + 12 * in_stride), 3);
      v[r] = rows;
    }
    const __m512d low01 = _mm512_castps_pd(_mm512_unpacklo_ps(v[0], v[1]));
    const __m512d high01 = _mm512_castps_pd(_mm512_unpackhi_ps(v[0], v[1]));
    const __m512d low23 = _mm512_castps_pd(_mm512_unpacklo_ps(v[2], v[3]));
    const __m512d high23 = _mm512_castps_pd(_mm512_unpackhi_ps(v[2], v[3]));
    float* row = out + 4 * g * out_stride;
    _mm512_storeu_ps(row, _mm512_castpd_ps(_mm512_unpacklo_pd(low01, low23)));
    _mm512_storeu_ps(row + out_stride, _mm512_castpd_ps(_mm512_unpackhi_pd(low01, low23)));
    _mm512_storeu_ps(row + 2 * out_stride, _mm512_castpd_ps(_mm512_unpacklo_pd(high01, high23)));
    _mm512_storeu_ps(row + 3 * out_stride, _mm512_castpd_ps(_mm512_unpackhi_pd(high01, high23)));
  }
}

}  // namespace
#endif

void transpose_into(ConstMatrixView m, MatrixView out) {
  assert(out.rows() == m.cols());
  assert(out.cols() == m.rows());
  if (m.rows() == 0 || m.cols() == 0) return;
#if defined(__AVX512F__)
  // For 128×128 on an AMD EPYC, libxsmm_otrans took 4.4 µs, a scalar loop over 16×16 tiles 3.2
  // µs, and register tiles (the earlier version with shuffles only) 1.1 µs (1 thread).
  const Index full_rows = m.rows() / 16 * 16, full_cols = m.cols() / 16 * 16;
  for (Index r = 0; r < full_rows; r += 16) {
    for (Index c = 0; c < full_cols; c += 16) transpose_16x16(m.row(r) + c, m.stride(), out.row(c) + r, out.stride());
  }
  for (Index r = 0; r < m.rows(); ++r) {
    const Index first_col = r < full_rows ? full_cols : 0;
    for (Index c = first_col; c < m.cols(); ++c) out(c, r) = m(r, c);
  }
#else
  // Column-major view again: the row-major m (rows × cols) is a cols × rows column-major matrix.
  libxsmm_otrans(out.data(), m.data(), sizeof(float), to_blasint(m.cols()), to_blasint(m.rows()),
                 to_blasint(m.stride()), to_blasint(out.stride()));
#endif
}

}  // namespace protean::detail
