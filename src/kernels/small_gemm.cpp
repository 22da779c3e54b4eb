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

// out[16×16] = in[16×16]ᵀ in registers: 32-bit, then 64-bit interleaves within 128-bit lanes,
// then two rounds of 128-bit lane shuffles.
void transpose_16x16(const float* in, Index in_stride, float* out, Index out_stride) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(in + i * in_stride);
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // r[4j + k], 128-bit lane l: column 4l + k of rows 4j..4j+3.
  for (int j = 0; j < 4; ++j) {
    const __m512d a = _mm512_castps_pd(t[4 * j]), b = _mm512_castps_pd(t[4 * j + 1]);
    const __m512d c = _mm512_castps_pd(t[4 * j + 2]), d = _mm512_castps_pd(t[4 * j + 3]);
    r[4 * j] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[4 * j + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[4 * j + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    r[4 * j + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  for (int k = 0; k < 4; ++k) {
    t[k] = _mm512_shuffle_f32x4(r[k], r[4 + k], 0x88);
    t[4 + k] = _mm512_shuffle_f32x4(r[k], r[4 + k], 0xdd);
    t[8 + k] = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0x88);
    t[12 + k] = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0xdd);
  }
  for (int k = 0; k < 4; ++k) {
    _mm512_storeu_ps(out + k * out_stride, _mm512_shuffle_f32x4(t[k], t[8 + k], 0x88));
    _mm512_storeu_ps(out + (8 + k) * out_stride, _mm512_shuffle_f32x4(t[k], t[8 + k], 0xdd));
    _mm512_storeu_ps(out + (4 + k) * out_stride, _mm512_shuffle_f32x4(t[4 + k], t[12 + k], 0x88));
    _mm512_storeu_ps(out + (12 + k) * out_stride, _mm512_shuffle_f32x4(t[4 + k], t[12 + k], 0xdd));
  }
}

}  // namespace
#endif

void transpose_into(ConstMatrixView m, MatrixView out) {
  assert(out.rows() == m.cols());
  assert(out.cols() == m.rows());
  if (m.rows() == 0 || m.cols() == 0) return;
#if defined(__AVX512F__)
  // For 128×128, libxsmm_otrans took 4.4 µs here, a scalar loop over 16×16 tiles 3.2 µs, and
  // these register tiles 1.1 µs (1 thread).
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
