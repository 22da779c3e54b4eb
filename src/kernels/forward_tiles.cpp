#include "kernels/forward_tiles.hpp"

// GCC 12 flags the deliberately undefined vector that _mm512_max_ps and _mm512_min_ps pass to
// their masked builtins as uninitialized once they are inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <algorithm>
#include <cassert>

namespace protean::detail {

#if defined(__AVX512F__)
namespace {

// The activations as operations on 16 lanes. Each gives the bits of its scalar value() in
// activation.hpp, NaN and signed zero included: _mm512_max_ps(a, b) returns b when either is
// NaN, which is why the constant comes first in the clamp and last in the ReLU.
template <typename Act>
struct VectorActivation;

template <>
struct VectorActivation<act::Identity> {
  static __m512 apply(__m512 z) { return z; }
};

template <>
struct VectorActivation<act::Relu> {
  // x > 0 ? x : 0 gives +0 for NaN, −0 and negative x, as max(x, +0) does.
  static __m512 apply(__m512 z) { return _mm512_max_ps(z, _mm512_setzero_ps()); }
};

template <>
struct VectorActivation<act::LeakyRelu> {
  static __m512 apply(__m512 z) {
    const __mmask16 positive = _mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_GT_OQ);
    return _mm512_mask_blend_ps(positive, _mm512_mul_ps(z, _mm512_set1_ps(act::LeakyRelu::kSlope)), z);
  }
};

template <>
struct VectorActivation<act::HardTanh> {
  // std::clamp returns NaN for NaN and keeps −0.
  static __m512 apply(__m512 z) {
    return _mm512_min_ps(_mm512_set1_ps(1.0f), _mm512_max_ps(_mm512_set1_ps(-1.0f), z));
  }
};

// kRows rows and kVectors·16 columns of y, the last vector's lanes limited by `last`.
template <typename Act, int kRows, int kVectors>
void tile(const float* x, Index x_stride, const float* w, Index w_stride, Index k, const float* bias, float* y,
          Index y_stride, __mmask16 last) {
  __m512 sums[kRows][kVectors];
#pragma GCC unroll 4
  for (int v = 0; v < kVectors; ++v) {
    const __m512 b = v + 1 < kVectors ? _mm512_loadu_ps(bias + 16 * v) : _mm512_maskz_loadu_ps(last, bias + 16 * v);
#pragma GCC unroll 6
    for (int r = 0; r < kRows; ++r) sums[r][v] = b;
  }
  for (Index i = 0; i < k; ++i) {
    const float* w_row = w + i * w_stride;
    __m512 weights[kVectors];
#pragma GCC unroll 4
    for (int v = 0; v < kVectors; ++v) {
      weights[v] = v + 1 < kVectors ? _mm512_loadu_ps(w_row + 16 * v) : _mm512_maskz_loadu_ps(last, w_row + 16 * v);
    }
#pragma GCC unroll 6
    for (int r = 0; r < kRows; ++r) {
      const __m512 input = _mm512_set1_ps(x[r * x_stride + i]);
#pragma GCC unroll 4
      for (int v = 0; v < kVectors; ++v) sums[r][v] = _mm512_fmadd_ps(input, weights[v], sums[r][v]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < kVectors; ++v) {
      const __m512 out = VectorActivation<Act>::apply(sums[r][v]);
      if (v + 1 < kVectors) {
        _mm512_storeu_ps(y + r * y_stride + 16 * v, out);
      } else {
        _mm512_mask_storeu_ps(y + r * y_stride + 16 * v, last, out);
      }
    }
  }
}

constexpr int kTileRows = 6;
constexpr int kTileVectors = 4;

// All rows of one block of at most 64 columns.
template <typename Act, int kVectors>
void column_block(ConstMatrixView x, const float* w, Index w_stride, const float* bias, float* y, Index y_stride,
                  __mmask16 last) {
  const Index k = x.cols();
  Index r = 0;
  for (; r + kTileRows <= x.rows(); r += kTileRows) {
    tile<Act, kTileRows, kVectors>(x.row(r), x.stride(), w, w_stride, k, bias, y + r * y_stride, y_stride, last);
  }
  const float* x_rest = x.data() + r * x.stride();
  float* y_rest = y + r * y_stride;
  switch (x.rows() - r) {
    case 0: return;
    case 1: return tile<Act, 1, kVectors>(x_rest, x.stride(), w, w_stride, k, bias, y_rest, y_stride, last);
    case 2: return tile<Act, 2, kVectors>(x_rest, x.stride(), w, w_stride, k, bias, y_rest, y_stride, last);
    case 3: return tile<Act, 3, kVectors>(x_rest, x.stride(), w, w_stride, k, bias, y_rest, y_stride, last);
    case 4: return tile<Act, 4, kVectors>(x_rest, x.stride(), w, w_stride, k, bias, y_rest, y_stride, last);
    default: return tile<Act, 5, kVectors>(x_rest, x.stride(), w, w_stride, k, bias, y_rest, y_stride, last);
  }
}

template <typename Act>
void forward(ConstMatrixView x, ConstMatrixView w, ConstMatrixView b, MatrixView y) {
  constexpr Index kBlock = 16 * kTileVectors;
  for (Index first = 0; first < y.cols(); first += kBlock) {
    const Index width = std::min(kBlock, y.cols() - first);
    const int vectors = static_cast<int>((width + 15) / 16);
    const Index in_last = width - 16 * (vectors - 1);
    const auto last = static_cast<__mmask16>(in_last == 16 ? 0xffffu : (1u << in_last) - 1u);
    const float* w_block = w.data() + first;
    const float* bias = b.data() + first;
    float* y_block = y.data() + first;
    switch (vectors) {
      case 1: column_block<Act, 1>(x, w_block, w.stride(), bias, y_block, y.stride(), last); break;
      case 2: column_block<Act, 2>(x, w_block, w.stride(), bias, y_block, y.stride(), last); break;
      case 3: column_block<Act, 3>(x, w_block, w.stride(), bias, y_block, y.stride(), last); break;
      default: column_block<Act, 4>(x, w_block, w.stride(), bias, y_block, y.stride(), last); break;
    }
  }
}

}  // namespace

bool has_fused_forward(Activation activation) {
  return activation == Activation::identity || activation == Activation::relu ||
         activation == Activation::leaky_relu || activation == Activation::hard_tanh;
}

void fused_dense_forward(Activation activation, ConstMatrixView x, ConstMatrixView w, ConstMatrixView b, MatrixView y) {
  assert(x.cols() == w.rows());
  assert(w.cols() == y.cols());
  assert(x.rows() == y.rows());
  switch (activation) {
    case Activation::identity: return forward<act::Identity>(x, w, b, y);
    case Activation::relu: return forward<act::Relu>(x, w, b, y);
    case Activation::leaky_relu: return forward<act::LeakyRelu>(x, w, b, y);
    case Activation::hard_tanh: return forward<act::HardTanh>(x, w, b, y);
    default: assert(false && "has_fused_forward() is false for this activation"); return;
  }
}

#else

bool has_fused_forward(Activation) { return false; }

void fused_dense_forward(Activation, ConstMatrixView, ConstMatrixView, ConstMatrixView, MatrixView) {
  assert(false);  // has_fused_forward() is false for every activation without AVX-512
}

#endif

}  // namespace protean::detail
