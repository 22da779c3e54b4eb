#include "kernels/avx512_warnings.hpp"

#include "kernels/forward_tiles.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <algorithm>
#include <cassert>
#include <type_traits>

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

// Sums act(x·w + b) for kRows rows and kVectors·16 columns, the last vector's lanes limited by
// `last`, and hands each activated vector to finish(row, vector, value).
template <typename Act, int kRows, int kVectors, typename Finish>
void tile(const float* x, Index x_stride, const float* w, Index w_stride, Index k, const float* bias, __mmask16 last,
          Finish&& finish) {
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
    for (int v = 0; v < kVectors; ++v) finish(r, v, VectorActivation<Act>::apply(sums[r][v]));
  }
}

constexpr int kTileRows = 6;
constexpr int kTileVectors = 4;
constexpr Index kBlock = 16 * kTileVectors;

// A block of at most 64 columns: where it starts, its width in vectors and the lanes of its
// last vector.
struct ColumnBlock {
  Index first = 0;
  int vectors = 0;
  __mmask16 last = 0;
};

ColumnBlock column_block(Index first, Index columns) {
  const Index width = std::min(kBlock, columns - first);
  ColumnBlock block;
  block.first = first;
  block.vectors = static_cast<int>((width + 15) / 16);
  const Index in_last = width - 16 * (block.vectors - 1);
  block.last = static_cast<__mmask16>(in_last == 16 ? 0xffffu : (1u << in_last) - 1u);
  return block;
}

// Calls fn(std::integral_constant<int, n>) for n = count, 1 ≤ count ≤ limit ≤ 6, so that tiles
// get their row and vector counts at compile time.
template <int kLimit, typename Fn>
void with_count(int count, Fn&& fn) {
  switch (count) {
    case 1: return fn(std::integral_constant<int, 1>{});
    case 2: if constexpr (kLimit >= 2) return fn(std::integral_constant<int, 2>{}); break;
    case 3: if constexpr (kLimit >= 3) return fn(std::integral_constant<int, 3>{}); break;
    case 4: if constexpr (kLimit >= 4) return fn(std::integral_constant<int, 4>{}); break;
    case 5: if constexpr (kLimit >= 5) return fn(std::integral_constant<int, 5>{}); break;
    case 6: if constexpr (kLimit >= 6) return fn(std::integral_constant<int, 6>{}); break;
    default: break;
  }
  assert(false);  // a count outside 1..kLimit
}

template <typename Act>
void forward(ConstMatrixView x, ConstMatrixView w, ConstMatrixView b, MatrixView y) {
  // Column blocks outside, rows inside: a block of w stays in the L1 cache for every row.
  for (Index first = 0; first < y.cols(); first += kBlock) {
    const ColumnBlock block = column_block(first, y.cols());
    with_count<kTileVectors>(block.vectors, [&](auto vectors) {
      constexpr int kVectors = decltype(vectors)::value;
      for (Index r = 0; r < x.rows(); r += kTileRows) {
        float* out = y.row(r) + block.first;
        const Index stride = y.stride();
        const auto store = [&](int row, int v, __m512 value) {
          if (v + 1 < kVectors) {
            _mm512_storeu_ps(out + row * stride + 16 * v, value);
          } else {
            _mm512_mask_storeu_ps(out + row * stride + 16 * v, block.last, value);
          }
        };
        with_count<kTileRows>(static_cast<int>(std::min<Index>(kTileRows, x.rows() - r)), [&](auto rows) {
          tile<Act, decltype(rows)::value, kVectors>(x.row(r), x.stride(), w.data() + block.first, w.stride(),
                                                     x.cols(), b.data() + block.first, block.last, store);
        });
      }
    });
  }
}

// Hands a tile its input rows: rows of x in memory, read in place.
struct RowsInMemory {
  ConstMatrixView x;
  template <int kRows>
  ConstMatrixView rows(Index first) { return x.middle_rows(first, kRows); }
};

// Hands a tile its input rows computed on the spot, act(x·w + b) for a first layer with few
// inputs, into a buffer of kTileRows rows that stays in the L1 cache. Each value comes from the
// same tile() as fused_dense_forward() computes it with, so it has the same bits.
template <typename Act>
struct RowsOfFirstLayer {
  // The buffer is written before it is read, so it is left uninitialized.
  RowsOfFirstLayer(ConstMatrixView x_, ConstMatrixView w_, ConstMatrixView b_) : x(x_), w(w_), b(b_) {}

  ConstMatrixView x, w, b;
  alignas(64) float buffer[kTileRows * kMaxChainedWidth];

  template <int kRows>
  ConstMatrixView rows(Index first) {
    const Index width = w.cols();
    for (Index column = 0; column < width; column += kBlock) {
      const ColumnBlock block = column_block(column, width);
      with_count<kTileVectors>(block.vectors, [&](auto vectors) {
        constexpr int kVectors = decltype(vectors)::value;
        float* out = buffer + block.first;
        const auto store = [&](int row, int v, __m512 value) {
          _mm512_mask_storeu_ps(out + row * width + 16 * v, v + 1 < kVectors ? __mmask16{0xffff} : block.last, value);
        };
        tile<Act, kRows, kVectors>(x.row(first), x.stride(), w.data() + block.first, w.stride(), x.cols(),
                                   b.data() + block.first, block.last, store);
      });
    }
    return {buffer, kRows, width, width};
  }
};

// y_out = out_act(act(x·w + b)·w_out + b_out) for a layer with one output after a layer whose
// input rows `source` hands out. Each row's hidden values go from the registers of its tile into
// 16 lanes of partial sums, in the order single_output_forward() in cpu_backend.cpp adds them.
// The lanes are reduced as _mm512_reduce_add_ps does, so the result has the bits of the layers
// run one by one.
template <typename Act, typename OutAct, typename Source>
void forward_to_one_output(Source& source, Index rows_in_all, ConstMatrixView w, ConstMatrixView b,
                           const float* w_out, float b_out, MatrixView y_out) {
  // Rows outside, column blocks inside, so that a tile's partial sums stay at hand.
  for (Index r = 0; r < rows_in_all; r += kTileRows) {
    with_count<kTileRows>(static_cast<int>(std::min<Index>(kTileRows, rows_in_all - r)), [&](auto rows) {
      constexpr int kRows = decltype(rows)::value;
      const ConstMatrixView x = source.template rows<kRows>(r);
      __m512 partial[kRows];
      for (int row = 0; row < kRows; ++row) partial[row] = _mm512_setzero_ps();
      for (Index first = 0; first < w.cols(); first += kBlock) {
        const ColumnBlock block = column_block(first, w.cols());
        with_count<kTileVectors>(block.vectors, [&](auto vectors) {
          constexpr int kVectors = decltype(vectors)::value;
          __m512 weights_out[kVectors];
          for (int v = 0; v < kVectors; ++v) {
            const float* at = w_out + block.first + 16 * v;
            weights_out[v] = v + 1 < kVectors ? _mm512_loadu_ps(at) : _mm512_maskz_loadu_ps(block.last, at);
          }
          const auto accumulate = [&](int row, int v, __m512 value) {
            partial[row] = _mm512_fmadd_ps(value, weights_out[v], partial[row]);
          };
          tile<Act, kRows, kVectors>(x.data(), x.stride(), w.data() + block.first, w.stride(), x.cols(),
                                     b.data() + block.first, block.last, accumulate);
        });
      }
      for (int row = 0; row < kRows; ++row) *y_out.row(r + row) = OutAct::value(_mm512_reduce_add_ps(partial[row]) + b_out);
    });
  }
}

// Calls fn(act) with the activation type for one of has_fused_forward()'s activations.
template <typename Fn>
void with_fused_activation(Activation activation, Fn&& fn) {
  switch (activation) {
    case Activation::identity: return fn(act::Identity{});
    case Activation::relu: return fn(act::Relu{});
    case Activation::leaky_relu: return fn(act::LeakyRelu{});
    case Activation::hard_tanh: return fn(act::HardTanh{});
    default: assert(false && "has_fused_forward() is false for this activation"); return;
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
  with_fused_activation(activation, [&](auto act) { forward<decltype(act)>(x, w, b, y); });
}

void fused_dense_forward_to_one_output(Activation activation, ConstMatrixView x, ConstMatrixView w, ConstMatrixView b,
                                       Activation out_activation, const float* w_out, float b_out, MatrixView y_out) {
  assert(x.cols() == w.rows());
  assert(x.rows() == y_out.rows());
  assert(y_out.cols() == 1);
  assert(!derivative_needs_input(out_activation));
  with_activation(out_activation, [&](auto out_act) {
    with_fused_activation(activation, [&](auto act) {
      RowsInMemory source{x};
      forward_to_one_output<decltype(act), decltype(out_act)>(source, x.rows(), w, b, w_out, b_out, y_out);
    });
  });
}

void fused_chain_forward_to_one_output(Activation first_activation, ConstMatrixView x, ConstMatrixView w_first,
                                       ConstMatrixView b_first, Activation activation, ConstMatrixView w,
                                       ConstMatrixView b, Activation out_activation, const float* w_out, float b_out,
                                       MatrixView y_out) {
  assert(x.cols() == w_first.rows());
  assert(w_first.cols() == w.rows());
  assert(w_first.cols() <= kMaxChainedWidth);
  assert(x.rows() == y_out.rows());
  assert(y_out.cols() == 1);
  assert(!derivative_needs_input(out_activation));
  with_activation(out_activation, [&](auto out_act) {
    with_fused_activation(activation, [&](auto act) {
      with_fused_activation(first_activation, [&](auto first_act) {
        RowsOfFirstLayer<decltype(first_act)> source(x, w_first, b_first);
        forward_to_one_output<decltype(act), decltype(out_act)>(source, x.rows(), w, b, w_out, b_out, y_out);
      });
    });
  });
}

#else

bool has_fused_forward(Activation) { return false; }

void fused_dense_forward(Activation, ConstMatrixView, ConstMatrixView, ConstMatrixView, MatrixView) {
  assert(false);  // has_fused_forward() is false for every activation without AVX-512
}

void fused_dense_forward_to_one_output(Activation, ConstMatrixView, ConstMatrixView, ConstMatrixView, Activation,
                                       const float*, float, MatrixView) {
  assert(false);  // has_fused_forward() is false for every activation without AVX-512
}

void fused_chain_forward_to_one_output(Activation, ConstMatrixView, ConstMatrixView, ConstMatrixView, Activation,
                                       ConstMatrixView, ConstMatrixView, Activation, const float*, float, MatrixView) {
  assert(false);  // has_fused_forward() is false for every activation without AVX-512
}

#endif

}  // namespace protean::detail
