// Matrix products small enough for libxsmm's generated kernels.
//
// OpenBLAS copies both operands into packed buffers on every call. When the operands already fit
// in the L1 and L2 caches, as in the layers of a small MLP, that copying costs as much as the
// arithmetic. libxsmm generates one kernel per shape at run time (for the CPU it finds) that
// reads the operands in place. Measured here, 1 thread, hot caches, in GFLOP/s, row-major
// C[M×N] = op(A)·B with op(A) = A / Aᵀ, OpenBLAS 0.3.21 (Cooperlake kernels) against libxsmm 1.17:
//
//   M×N×K            OpenBLAS      libxsmm
//   64×64×64         254 / 257     270 / 265
//   256×128×128      192 / 207     247 / 248
//   128×128×256      210 / 206     253 / 237
//   128×256×784      212 / 206     241 / 208
//   784×256×128      - / 233       - / 255
//   512×1024×1024    188 / 222     150 / 170   (OpenBLAS's cache blocking wins from here on)
//   64×1×64           84 / -        14 / -     (a single output column is slow in libxsmm)
//
// `protean_kernels_bench --benchmark_filter=gemm_` repeats the comparison. oneDNN 2.6's
// dnnl_sgemm (Debian's libdnnl-dev), timed the same way, reached 217 / 215 on 64×64×64,
// 195 / 212 on 256×128×128 and 241 / 243 on the fashion shapes: never ahead of libxsmm, so it
// is not used.
//
// libxsmm 1.17 generates no kernel for a transposed B (row-major). Such a B with at most
// kMaxTransposedB elements is transposed into a buffer first, and the product then runs as
// above. With the register-tile transpose in small_gemm.cpp (64×64 in 0.12 µs, 128×128 in 1.1,
// 256×128 in 5.1), the whole product C = A·Bᵀ measured, OpenBLAS against transpose + libxsmm:
//   64×64×64       2.37 µs against 2.32
//   256×128×128   42.5 µs  against 38.7
//   128×256×128   46.1 µs  against 39.3
#pragma once

#include "protean/kernels/backend.hpp"
#include "protean/tensor.hpp"

namespace protean::detail {

// Multiply-adds (M·N·K) above which a product goes to OpenBLAS.
inline constexpr Index kMaxSmallProduct = Index{1} << 26;
// Columns of C below which a product goes to OpenBLAS.
inline constexpr Index kMinSmallColumns = 8;
// Elements of a transposed B that small_gemm copies into a buffer rather than leave to OpenBLAS.
// Without AVX-512 the transpose is libxsmm_otrans, fast only up to about 64×64.
#if defined(__AVX512F__)
inline constexpr Index kMaxTransposedB = 256 * 256;
#else
inline constexpr Index kMaxTransposedB = 64 * 64;
#endif

// True when the product c[m×n] = alpha · op(a) · op(b) + beta · c, with k terms per element,
// belongs on libxsmm: alpha is 1, beta 0 or 1, not both operands transposed, and the sizes as
// above. A transposed b must first go through transpose_into().
bool fits_small_gemm(Transpose trans_a, Transpose trans_b, Index m, Index n, Index k, float alpha, float beta);

// c = op(a) · b + beta · c through a libxsmm kernel, for a product that fits_small_gemm()
// accepts, with b not transposed. Returns false, with c untouched, when libxsmm offers no kernel
// for the shape; the caller then uses the BLAS. Whether it does depends on the shape alone.
bool small_gemm(Transpose trans_a, ConstMatrixView a, ConstMatrixView b, float beta, MatrixView c);

// Writes the transpose of `m` into `out`, which must have m.cols() rows and m.rows() columns.
void transpose_into(ConstMatrixView m, MatrixView out);

}  // namespace protean::detail
