// CPU backend: OpenBLAS sgemm for the matrix products, vectorized loops for the rest.
#include "kernels/avx512_warnings.hpp"

#include <cblas.h>

#include <Eigen/Core>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <algorithm>
#include <atomic>
#include <bit>
#include <cassert>
#include <cstring>
#include <span>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/forward_tiles.hpp"
#include "kernels/packet_activations.hpp"
#include "kernels/small_gemm.hpp"
#include "kernels/worker_pool.hpp"
#include "protean/kernels/backend.hpp"

// Stops OpenBLAS's thread pool. The pthreads build exports it (nm -D lists it), cblas.h does not declare it.
extern "C" int blas_thread_shutdown_(void) __attribute__((weak));

namespace protean {

namespace {

using RowMajorArray = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ArrayMap = Eigen::Map<RowMajorArray, Eigen::Unaligned, Eigen::OuterStride<>>;
using ConstArrayMap = Eigen::Map<const RowMajorArray, Eigen::Unaligned, Eigen::OuterStride<>>;

ArrayMap as_array(MatrixView m) { return {m.data(), m.rows(), m.cols(), Eigen::OuterStride<>(m.stride())}; }
ConstArrayMap as_array(ConstMatrixView m) {
  return {m.data(), m.rows(), m.cols(), Eigen::OuterStride<>(m.stride())};
}

CBLAS_TRANSPOSE to_cblas(Transpose t) { return t == Transpose::yes ? CblasTrans : CblasNoTrans; }

// Leading dimension as BLAS wants it: at least 1 even for empty matrices.
blasint leading_dimension(Index stride, Index cols) { return static_cast<blasint>(std::max<Index>({stride, cols, 1})); }

// Applies y = act(y + b) row by row. Sigmoid and tanh go through Eigen's array functions, ELU
// and softplus through packet_bias_activation(). Both vectorize exp, log and tanh. The
// piecewise-linear ones are simple enough for the compiler to vectorize the scalar loop.
void bias_activation(Activation activation, ConstMatrixView b, MatrixView y) {
  if (detail::has_packet_bias_activation(activation)) {
    detail::packet_bias_activation(activation, b, y);
    return;
  }
  auto out = as_array(y);
  const auto bias = as_array(b).row(0);
  switch (activation) {
    case Activation::sigmoid:
      for (Index r = 0; r < y.rows(); ++r) out.row(r) = (out.row(r) + bias).logistic();
      return;
    case Activation::tanh:
      for (Index r = 0; r < y.rows(); ++r) out.row(r) = (out.row(r) + bias).tanh();
      return;
    default:
      break;
  }
  with_activation(activation, [&](auto act) {
    using Act = decltype(act);
    const float* bias_row = b.data();
    for (Index r = 0; r < y.rows(); ++r) {
      float* row = y.row(r);
#pragma omp simd
      for (Index c = 0; c < y.cols(); ++c) row[c] = Act::value(row[c] + bias_row[c]);
    }
  });
}

// Layers with at most this many inputs (the first layer of curve and surface) skip the matrix
// product in the forward pass: y = act(x·w + b) is a few scaled rows of w added per row of y.
constexpr Index kMaxFewInputs = 4;
// Rows of y per pass: the block is written and then read back by the activation while it is
// still in the L1 cache.
constexpr Index kFewInputsRows = 16;

void bias_activation(Activation activation, ConstMatrixView b, MatrixView y);

// y = act(x·w + b) for rows of x with kInputs columns, each output summed in a register and
// written once. Without kAddBias it writes x·w alone.
template <int kInputs, typename Act, bool kAddBias>
void few_inputs_rows(ConstMatrixView x, ConstMatrixView w, ConstMatrixView b, MatrixView y) {
  const Index width = y.cols();
  const float* bias = b.data();
  const float* weights[kInputs];
  for (int i = 0; i < kInputs; ++i) weights[i] = w.row(i);
  for (Index r = 0; r < y.rows(); ++r) {
    const float* in = x.row(r);
    float* out = y.row(r);
    float scale[kInputs];
    for (int i = 0; i < kInputs; ++i) scale[i] = in[i];
#pragma omp simd
    for (Index c = 0; c < width; ++c) {
      float sum = kAddBias ? bias[c] : 0.0f;
      for (int i = 0; i < kInputs; ++i) sum += scale[i] * weights[i][c];
      out[c] = Act::value(sum);
    }
  }
}

template <typename Act, bool kAddBias>
void few_inputs_rows(ConstMatrixView x, ConstMatrixView w, ConstMatrixView b, MatrixView y) {
  switch (x.cols()) {
    case 1: return few_inputs_rows<1, Act, kAddBias>(x, w, b, y);
    case 2: return few_inputs_rows<2, Act, kAddBias>(x, w, b, y);
    case 3: return few_inputs_rows<3, Act, kAddBias>(x, w, b, y);
    default: return few_inputs_rows<4, Act, kAddBias>(x, w, b, y);
  }
}

// y = act(x·w + b) for x with at most kMaxFewInputs columns, in one pass over y.
// protean_kernels_bench (1 thread, medians of 3) timed dense_forward at N=64 I=1 O=64 at 232 ns
// and at N=256 I=2 O=128 at 2.06 µs through libxsmm and a separate bias and activation pass;
// the benchmarks page has the times of this loop.
void few_inputs_forward(Activation activation, ConstMatrixView x, ConstMatrixView w, ConstMatrixView b, MatrixView y) {
  assert(x.cols() >= 1);
  assert(x.cols() <= kMaxFewInputs);
  if (activation == Activation::sigmoid || activation == Activation::tanh ||
      detail::has_packet_bias_activation(activation)) {
    // These go through vectorized exp and tanh in bias_activation, 16 rows at a time
    // so that the rows are still in the L1 cache.
    for (Index first = 0; first < y.rows(); first += kFewInputsRows) {
      const Index rows = std::min(kFewInputsRows, y.rows() - first);
      const MatrixView block = y.middle_rows(first, rows);
      few_inputs_rows<act::Identity, false>(x.middle_rows(first, rows), w, b, block);
      bias_activation(activation, b, block);
    }
    return;
  }
  with_activation(activation, [&](auto act) { few_inputs_rows<decltype(act), true>(x, w, b, y); });
}

#if !defined(__AVX512F__)
// Computes y = act(x·w + b) for a layer with fewer than kMinSmallColumns outputs in builds
// without AVX-512, where such layers went to OpenBLAS. OpenBLAS's kernels for one row and for many
// rows can add in different orders: with its SSE3 kernels (Prescott), a row of a 64-input,
// 1-output layer had another last bit alone than in a batch of 37. Here each row and output sums
// its products in 8 running sums (two vectors of 4), in input order, and then adds them pairwise,
// so a row has the same bits in any batch. It is slower than OpenBLAS (at N=128 I=128 O=3, 9.8
// against 1.9 µs with AVX-512, measured while a build ran), so AVX-512 builds have their own
// kernels: single_output_forward() and narrow_forward(). `w_columns` contains w's columns, each
// contiguous.
void few_outputs_forward(Activation activation, ConstMatrixView x, const float* w_columns, ConstMatrixView b,
                         MatrixView y) {
  using Quad = float __attribute__((vector_size(16)));
  const auto load = [](const float* p) {
    Quad v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  constexpr Index kLanes = 8;
  const Index inputs = x.cols();
  const Index full = inputs / kLanes * kLanes;
  with_activation(activation, [&](auto act) {
    using Act = decltype(act);
    for (Index r = 0; r < y.rows(); ++r) {
      const float* in = x.row(r);
      float* out = y.row(r);
      for (Index o = 0; o < y.cols(); ++o) {
        const float* weights = w_columns + o * inputs;
        Quad low = {};
        Quad high = {};
        for (Index i = 0; i < full; i += kLanes) {
          low += load(in + i) * load(weights + i);
          high += load(in + i + 4) * load(weights + i + 4);
        }
        float lanes[kLanes];
        std::memcpy(lanes, &low, sizeof low);
        std::memcpy(lanes + 4, &high, sizeof high);
        for (Index i = full; i < inputs; ++i) lanes[i - full] += in[i] * weights[i];
        for (Index width = kLanes / 2; width > 0; width /= 2) {
          for (Index l = 0; l < width; ++l) lanes[l] += lanes[l + width];
        }
        out[o] = Act::value(lanes[0] + b(0, o));
      }
    }
  });
}
#endif

// Layers with at most this many inputs run their forward pass through fused_dense_forward()
// when it has their activation. With 784 inputs its 64-column blocks of w no longer fit the L1
// cache, and dense_forward at N=128 I=784 O=256 took 212-222 µs against libxsmm's 204-209.
constexpr Index kMaxFusedInputs = 256;
// Layers with fewer outputs than this keep libxsmm (or few_inputs_forward). A tile one vector
// wide loads a weight vector for every 6 multiply-adds: dense_forward at N=128 I=128 O=10 took
// 2.88-2.92 µs through the tiles against 2.41-2.61 µs.
constexpr Index kMinFusedOutputs = 16;

// True when dense_forward() computes a layer with these widths and activation in register tiles.
bool takes_register_tiles(Activation activation, Index inputs, Index outputs) {
  return detail::has_fused_forward(activation) && inputs > 0 && inputs <= kMaxFusedInputs &&
         outputs >= kMinFusedOutputs;
}

// Returns how many links at the front of `links` (the first with `inputs` inputs) one fused
// kernel runs in dense_chain_forward(). It is 2 for a layer in register tiles followed by a
// layer with one output (fused_dense_forward_to_one_output), 3 when a layer with few inputs
// comes before those two (fused_chain_forward_to_one_output), and 1 otherwise. The conditions
// are those under which dense_forward() sends each layer to the kernel whose additions the fused
// one repeats: the register tiles, and single_output_forward() for more than kMaxFewInputs inputs.
// Through the chain of three, batch prediction on the curve network (1-64-64-1, 1024 rows) took
// 35.3-35.8 µs against 37.3-37.6 µs for the first layer alone and then the fused two.
std::size_t fused_links(Index inputs, std::span<const DenseLink> links) {
#if defined(__AVX512F__)
  const auto ends_in_one_output = [](Index hidden_inputs, const DenseLink& hidden, const DenseLink& out) {
    return takes_register_tiles(hidden.activation, hidden_inputs, hidden.w.cols()) &&
           hidden.w.cols() > kMaxFewInputs && out.w.cols() == 1;
  };
  if (links.size() >= 3 && inputs <= kMaxFewInputs && links[0].w.cols() <= detail::kMaxChainedWidth &&
      takes_register_tiles(links[0].activation, inputs, links[0].w.cols()) &&
      ends_in_one_output(links[0].w.cols(), links[1], links[2])) {
    return 3;
  }
  if (links.size() >= 2 && ends_in_one_output(inputs, links[0], links[1])) return 2;
#else
  (void)inputs;
  (void)links;
#endif
  return 1;
}

// Column sums of a block of 64 columns over many rows, in four vector registers. The loops
// below used to sum straight into the output row, which sent every row's partial sums through
// memory and took 10% of a curve step. Rows are added in order, so the sums do not depend on
// the thread count.
constexpr Index kSumBlock = 64;
using Lanes = float __attribute__((vector_size(64)));  // 16 floats; GCC and Clang split it when AVX-512 is missing

class BlockSums {
 public:
  // Adds scale · row[0..64).
  void add(float scale, const float* row) {
    a_ += scale * load(row);
    b_ += scale * load(row + 16);
    c_ += scale * load(row + 32);
    d_ += scale * load(row + 48);
  }
  // Writes the first `width` sums to out[0], out[stride], ...
  void store(float* out, Index width, Index stride) const {
    float sums[kSumBlock];
    std::memcpy(sums, &a_, sizeof a_);
    std::memcpy(sums + 16, &b_, sizeof b_);
    std::memcpy(sums + 32, &c_, sizeof c_);
    std::memcpy(sums + 48, &d_, sizeof d_);
    for (Index i = 0; i < width; ++i) out[i * stride] = sums[i];
  }

 private:
  static Lanes load(const float* p) {
    Lanes v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  Lanes a_ = {}, b_ = {}, c_ = {}, d_ = {};
};

// dz = dy ⊙ act'(y) written over dy, reading the derivative from the output, and db = column
// sums of dz, in one pass over dy.
void activation_and_bias_backward(Activation activation, ConstMatrixView y, MatrixView dy, MatrixView db) {
  with_activation(activation, [&](auto act) {
    using Act = decltype(act);
    // Dense sends activations that need the input through Backend::activation_backward instead.
    assert(Act::kDerivativeFromOutput && "this kernel reads the derivative from the output");
    const auto derivative_pass = [](const float* out, float* grad, Index width) {
      if constexpr (std::is_same_v<Act, act::Softplus>) {
        // Its derivative 1 − e^-y needs expm1, which the scalar loop would call value by value.
        detail::packet_output_derivative(Activation::softplus, out, grad, width);
      } else if constexpr (!std::is_same_v<Act, act::Identity>) {
#pragma omp simd
        for (Index c = 0; c < width; ++c) grad[c] *= Act::derivative(0.0f, out[c]);
      }
    };
    Index block = 0;
    for (; block + kSumBlock <= y.cols(); block += kSumBlock) {
      BlockSums sums;
      for (Index r = 0; r < y.rows(); ++r) {
        derivative_pass(y.row(r) + block, dy.row(r) + block, kSumBlock);
        sums.add(1.0f, dy.row(r) + block);
      }
      sums.store(db.data() + block, kSumBlock, 1);
    }
    if (block == y.cols()) return;
    // The last columns, fewer than a block, summed in place.
    const Index width = y.cols() - block;
    if (width == 1) {
      // A layer with one output: its sum stays in a register. Through memory, the store of one
      // row's sum and the load of it for the next made this pass take a third of its time.
      float total = 0.0f;
      for (Index r = 0; r < y.rows(); ++r) {
        float* grad = dy.row(r) + block;
        derivative_pass(y.row(r) + block, grad, 1);
        total += *grad;
      }
      db.data()[block] = total;
      return;
    }
    float* bias_grad = db.data() + block;
    std::fill(bias_grad, bias_grad + width, 0.0f);
    for (Index r = 0; r < y.rows(); ++r) {
      float* grad = dy.row(r) + block;
      derivative_pass(y.row(r) + block, grad, width);
      for (Index c = 0; c < width; ++c) bias_grad[c] += grad[c];
    }
  });
}

#if defined(__AVX512F__)
// Lane k of the result is the sum of the 16 lanes of v[k]. Pairs of vectors are halved four
// times: lanes i and i+8 are added, then i and i+4, i and i+2, i and i+1. These are the
// additions of _mm512_reduce_add_ps in the same order, so a row's sum has the same bits
// whether it went through here or through a reduction of its own (rows past the last full 16).
inline __m512 sum_lanes_of_16(const __m512 (&v)[16]) {
  // 256-bit halves: x[j] contains the 8 pair sums of v[2j] in lanes 0-7 and of v[2j+1] in 8-15.
  __m512 x[8];
  for (int j = 0; j < 8; ++j) {
    x[j] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * j], v[2 * j + 1], 0x44),
                         _mm512_shuffle_f32x4(v[2 * j], v[2 * j + 1], 0xee));
  }
  // 128-bit quarters: quarter q of t[j] contains 4 sums of v[4j + q].
  __m512 t[4];
  for (int j = 0; j < 4; ++j) {
    t[j] = _mm512_add_ps(_mm512_shuffle_f32x4(x[2 * j], x[2 * j + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(x[2 * j], x[2 * j + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  }
  // Within each quarter q of u[j]: 2 sums of v[8j + q], then 2 of v[8j + 4 + q].
  __m512 u[2];
  for (int j = 0; j < 2; ++j) {
    u[j] = _mm512_add_ps(_mm512_shuffle_ps(t[2 * j], t[2 * j + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_ps(t[2 * j], t[2 * j + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  }
  // Lane 4q + j now contains the whole sum of v[q + 4j], and the permutation moves v[k]'s to lane k.
  const __m512 sums = _mm512_add_ps(_mm512_shuffle_ps(u[0], u[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                    _mm512_shuffle_ps(u[0], u[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512i lane_of_row = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(lane_of_row, sums);
}

// Computes y[r] = act(x.row(r) · w + b) for a layer with one output, 16 rows at a time. Each row
// is summed in its own vector register and then across its lanes, and the activation is applied
// to each sum.
// Through sgemm and a bias and activation pass over rows of one value, protean_kernels_bench
// (1 thread, medians of 5) timed dense_forward at N=64 I=64 O=1 at 219 ns and at N=256 I=128
// O=1 at 1.6 µs; the benchmarks page has the times of this loop.
template <typename Act>
void single_output_forward(ConstMatrixView x, const float* w, float bias, MatrixView y) {
  const Index inputs = x.cols();
  const Index full = inputs / 16 * 16;
  const auto tail = static_cast<__mmask16>((1u << (inputs - full)) - 1u);
  Index r = 0;
  const auto rows_at_once = [&](auto count) {
    constexpr int kRows = decltype(count)::value;
    __m512 sums[kRows];
    for (int k = 0; k < kRows; ++k) sums[k] = _mm512_setzero_ps();
    for (Index c = 0; c < full; c += 16) {
      const __m512 weights = _mm512_loadu_ps(w + c);
      for (int k = 0; k < kRows; ++k) sums[k] = _mm512_fmadd_ps(_mm512_loadu_ps(x.row(r + k) + c), weights, sums[k]);
    }
    if (full < inputs) {
      const __m512 weights = _mm512_maskz_loadu_ps(tail, w + full);
      for (int k = 0; k < kRows; ++k) {
        sums[k] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, x.row(r + k) + full), weights, sums[k]);
      }
    }
    if constexpr (kRows == 16) {
      // All 16 row sums reduced at once: 45 shuffles and adds instead of 16 separate
      // reductions of 7 each.
      alignas(64) float totals[16];
      _mm512_store_ps(totals, sum_lanes_of_16(sums));
      for (int k = 0; k < kRows; ++k) *y.row(r + k) = Act::value(totals[k] + bias);
    } else {
      for (int k = 0; k < kRows; ++k) *y.row(r + k) = Act::value(_mm512_reduce_add_ps(sums[k]) + bias);
    }
  };
  for (; r + 16 <= x.rows(); r += 16) rows_at_once(std::integral_constant<int, 16>{});
  for (; r < x.rows(); ++r) rows_at_once(std::integral_constant<int, 1>{});
}

#endif

// The backward pass of a layer with one output (the last layer of curve and surface) makes two
// BLAS calls with a dimension of 1, where call overhead outweighs the work. protean_kernels_bench
// (1 thread, Cooperlake kernels, medians of 3, two sessions) timed dense_backward at N=256 I=128
// O=1 at 3.6-3.7 µs with sgemm and 2.7-2.8 µs with the two loops below, and at N=64 I=64 O=1 at
// 620 ns with sgemm and 500-610 ns with the loops.
// The same kind of loops for layers with one input were slower than OpenBLAS (one-input
// backward 411 → 569 ns), so those stay on sgemm. A plain loop for the one-output forward pass
// was slower too (196 ns → 1.4 µs). single_output_forward() above sums 16 rows at a time in
// registers instead. Both loops below sum in a fixed row order, so results do not depend on
// the thread count.

// dw[I×1] = xᵀ · dz[N×1]: one scaled row of x added per batch row, rows in order.
void weight_gradient_single_output(ConstMatrixView x, ConstMatrixView dz, MatrixView dw) {
  Index block = 0;
  for (; block + kSumBlock <= x.cols(); block += kSumBlock) {
    BlockSums sums;
    for (Index r = 0; r < x.rows(); ++r) sums.add(dz(r, 0), x.row(r) + block);
    sums.store(dw.data() + block * dw.stride(), kSumBlock, dw.stride());
  }
  for (Index i = block; i < x.cols(); ++i) {
    float sum = 0.0f;
    for (Index r = 0; r < x.rows(); ++r) sum += dz(r, 0) * x(r, i);
    dw(i, 0) = sum;
  }
}

// dx[N×I] = dz[N×1] · wᵀ, the input gradient of a dense layer with one output.
void input_gradient_single_output(ConstMatrixView dz, ConstMatrixView w, MatrixView dx) {
  for (Index r = 0; r < dx.rows(); ++r) {
    const float scale = dz(r, 0);
    float* out = dx.row(r);
#pragma omp simd
    for (Index i = 0; i < dx.cols(); ++i) out[i] = scale * w.data()[i * w.stride()];
  }
}

// The cut of a product into parts for threads: C's rows or its columns in blocks. The cut
// depends on the shape (and for OpenBLAS on the machine's core count) alone, so every thread
// count computes each element of C with the same kernel call, and the results are bitwise equal.
struct Partition {
  bool by_rows = true;
  Index block = 0;  // rows or columns of C per part, the last part takes the rest
  int parts = 1;
};

// Weights (inputs × outputs) up to which a dense layer's forward product runs on libxsmm at every
// batch size, in blocks of rows of at most kMaxSmallProduct multiply-adds (256 rows or more).
// Chosen by the product's size alone, the library changed at 2^26 multiply-adds, so `predict`
// gave a row of a 784-256 layer other last bits in a file of 335 rows or more than alone. At 2^18
// floats w takes 1 MiB, which leaves room in a 2 MiB L2 cache for a block of rows.
// NOTE: a wider layer still goes to OpenBLAS above kMaxSmallProduct, and there a row's bits depend
// on the batch. With 700 inputs and 400 outputs, batches of 1 to 3 rows gave other bits than 40
// with the SkylakeX kernels, and every batch size from 1 to 32 with the Haswell ones. On libxsmm,
// in blocks of 64 rows, the wide benchmark trained at 81 instead of 130 GFLOP/s.
constexpr Index kMaxSmallLayer = Index{1} << 18;

// FLOP per part of a libxsmm product: about 20 µs at 200 GFLOP/s, against about 1 µs to hand
// a part to a spinning worker.
constexpr double kFlopsPerSmallPart = 4e6;
// FLOP per part of an OpenBLAS product. Each part packs the operand it shares with the others
// again: 2048×512ᵀ·512×2048 on one thread ran at 245 GFLOP/s whole, 236-241 in 2 parts and
// 224-231 in 8. At 1e9 FLOP per part, products of 134 MFLOP (above libxsmm's share) to 2 GFLOP
// stayed whole and ran on one thread. protean_kernels_bench's dense_layer_threads (forward and
// backward of one layer, SkylakeX kernels, Intel Xeon of model 207) ran at N=512 I=512 O=512 at
// 147 GFLOP/s on 2 threads against 165 on 1. At 1e8 it ran at 292 on 2 threads and 135-149 on 1.
constexpr double kFlopsPerLargePart = 1e8;
constexpr int kMaxParts = 8;

// Returns the most parts of an OpenBLAS product: the machine's hardware threads (at least 2)
// rounded up to a power of 2, at most kMaxParts. Each part costs one thread a few percent, so a
// machine of 2 cores cuts no product into more parts than it can run at once.
int max_large_parts() {
  static const int parts =
      std::min(kMaxParts, static_cast<int>(std::bit_ceil(std::max(2u, std::thread::hardware_concurrency()))));
  return parts;
}
// Minimum rows or columns in a part; narrower blocks slow the kernels down.
constexpr Index kMinPartExtent = 32;

Partition partition(Index m, Index n, Index k, bool small) {
  const double flops_per_part = small ? kFlopsPerSmallPart : kFlopsPerLargePart;
  const int max_parts = small ? kMaxParts : max_large_parts();
  Partition split;
  split.by_rows = m >= n;
  const Index extent = split.by_rows ? m : n;
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  int parts = 1;
  while (parts * 2 <= max_parts && (parts * 2) * flops_per_part <= flops && extent / (parts * 2) >= kMinPartExtent) {
    parts *= 2;
  }
  // Blocks of whole 16-float vectors where the extent allows.
  Index block = (extent + parts - 1) / parts;
  if (parts > 1) block = (block + 15) / 16 * 16;
  split.block = std::max<Index>(block, 1);
  split.parts = static_cast<int>((extent + split.block - 1) / split.block);
  return split;
}

void blas_gemm(Transpose trans_a, Transpose trans_b, float alpha, ConstMatrixView a, ConstMatrixView b, float beta,
               MatrixView c) {
  const Index k = trans_a == Transpose::yes ? a.rows() : a.cols();
  cblas_sgemm(CblasRowMajor, to_cblas(trans_a), to_cblas(trans_b), static_cast<blasint>(c.rows()),
              static_cast<blasint>(c.cols()), static_cast<blasint>(k), alpha, a.data(),
              leading_dimension(a.stride(), a.cols()), b.data(), leading_dimension(b.stride(), b.cols()), beta,
              c.data(), leading_dimension(c.stride(), c.cols()));
}

// Element-wise passes are cut into blocks of at least this many elements (a few µs of work).
constexpr Index kElementsPerBlock = 8192;
Index rows_per_block(Index cols) { return std::max<Index>(1, kElementsPerBlock / std::max<Index>(cols, 1)); }

#if defined(__AVX512F__)
// Computes y = x·w for a layer with kOutputs outputs, 2 to kMinSmallColumns - 1, without bias or
// activation. `w_columns` contains w's columns, each contiguous. As in single_output_forward(),
// each output of each row is summed in its own vector register, in input order, and then across
// its lanes, so a row has the same bits alone as in any batch. A block of rows keeps up to 24 sums
// in registers, so each vector of x loaded serves every output. 16 sums reduced together come out
// in the order of y's elements, and a contiguous y takes them in one store.
template <int kOutputs>
void narrow_product(ConstMatrixView x, const float* w_columns, MatrixView y) {
  constexpr int kBlockRows = 24 / kOutputs;
  const Index inputs = x.cols();
  const Index full = inputs / 16 * 16;
  const auto tail = static_cast<__mmask16>((1u << (inputs - full)) - 1u);
  const bool contiguous = y.stride() == kOutputs;
  const auto rows_at_once = [&](Index r, auto count) {
    constexpr int kRows = decltype(count)::value;
    constexpr int kSums = kRows * kOutputs;  // sums[k · kOutputs + o]: row r + k, output o
    constexpr int kPadded = (kSums + 15) / 16 * 16;
    __m512 sums[kPadded];
#pragma GCC unroll 32
    for (int s = 0; s < kPadded; ++s) sums[s] = _mm512_setzero_ps();
    const auto accumulate = [&](Index c, const auto& load) {
      __m512 weights[kOutputs];
#pragma GCC unroll 8
      for (int o = 0; o < kOutputs; ++o) weights[o] = load(w_columns + o * inputs + c);
#pragma GCC unroll 16
      for (int k = 0; k < kRows; ++k) {
        const __m512 in = load(x.row(r + k) + c);
#pragma GCC unroll 8
        for (int o = 0; o < kOutputs; ++o) {
          sums[k * kOutputs + o] = _mm512_fmadd_ps(in, weights[o], sums[k * kOutputs + o]);
        }
      }
    };
    for (Index c = 0; c < full; c += 16) accumulate(c, [](const float* p) { return _mm512_loadu_ps(p); });
    if (full < inputs) accumulate(full, [tail](const float* p) { return _mm512_maskz_loadu_ps(tail, p); });
#pragma GCC unroll 2
    for (int first = 0; first < kPadded; first += 16) {
      const __m512 totals = sum_lanes_of_16(*reinterpret_cast<const __m512(*)[16]>(sums + first));
      constexpr auto kAll = static_cast<__mmask16>(0xffff);
      const auto lanes = first + 16 <= kSums ? kAll : static_cast<__mmask16>((1u << (kSums - first)) - 1u);
      if (contiguous) {
        _mm512_mask_storeu_ps(y.row(r) + first, lanes, totals);
      } else {
        alignas(64) float values[16];
        _mm512_store_ps(values, totals);
        for (int j = 0; j < 16 && first + j < kSums; ++j) {
          y(r + (first + j) / kOutputs, (first + j) % kOutputs) = values[j];
        }
      }
    }
  };
  Index r = 0;
  for (; r + kBlockRows <= x.rows(); r += kBlockRows) rows_at_once(r, std::integral_constant<int, kBlockRows>{});
  // The rows left, fewer than a block, in one go.
  const Index rest = x.rows() - r;
  [&]<int... kCounts>(std::integer_sequence<int, kCounts...>) {
    ((rest == kCounts + 1 ? rows_at_once(r, std::integral_constant<int, kCounts + 1>{}) : void()), ...);
  }(std::make_integer_sequence<int, kBlockRows - 1>{});
}

// Returns the rows per part of narrow_forward() for threads: whole blocks of narrow_product() for any width
// (24 is a multiple of each 24 / outputs), and about 64 Ki multiply-adds.
Index narrow_rows_per_part(Index inputs, Index outputs) {
  const Index rows = std::max<Index>(1, 65536 / std::max<Index>(inputs * outputs, 1));
  return (rows + 23) / 24 * 24;
}

// Computes y = act(x·w + b) for a layer with 2 to kMinSmallColumns - 1 outputs: narrow_product(),
// then the bias and activation row by row. OpenBLAS, which had these layers before, gave a row of a
// 64-input, 3-output layer other last bits alone than in a batch of 37, with its SkylakeX kernels
// as with its SSE3 ones. The same bits cost time: protean_kernels_bench (1 thread, SkylakeX
// kernels, medians of 3) timed this at N=128 I=784 O=5 at 10.9 µs against 9.4-9.7 for sgemm
// alone, at N=128 I=128 O=3 at 3.3 against 1.6, and at N=1024 I=64 O=7 at 28-38 against 14-17
// (dense_forward_narrow, gemm_openblas_narrow). A kernel over 16 rows transposed into lanes,
// which needs no reductions, took 3.4, 17.5 and 19 µs, and OpenBLAS called on blocks of 16
// rows, padded, 5.0, 18.8 and 31.5 µs. Such a layer is mostly a network's last, a small share of
// its step.
void narrow_forward(Activation activation, ConstMatrixView x, const float* w_columns, ConstMatrixView b, MatrixView y) {
  static_assert(detail::kMinSmallColumns == 8, "one case per width below kMinSmallColumns");
  switch (y.cols()) {
    case 2: narrow_product<2>(x, w_columns, y); break;
    case 3: narrow_product<3>(x, w_columns, y); break;
    case 4: narrow_product<4>(x, w_columns, y); break;
    case 5: narrow_product<5>(x, w_columns, y); break;
    case 6: narrow_product<6>(x, w_columns, y); break;
    case 7: narrow_product<7>(x, w_columns, y); break;
    default: assert(false && "narrow_forward takes 2 to 7 outputs");
  }
  bias_activation(activation, b, y);
}
#endif

class CpuBackend final : public Backend {
 public:
  // OpenBLAS runs on one thread always: the backend splits products over its own workers, so
  // the two never compete for cores. OpenBLAS's pthreads build starts its own pool when it
  // loads, and perf showed its idle threads spinning for about 90 ms before they slept. A 0.15 s
  // two-thread surface run measured 1.24 M samples/s with them and 1.70 M without, so the pool
  // is shut down here. OpenBLAS starts it again if a caller later asks it for threads. Other
  // builds (serial, OpenMP) lack the function, which is why the reference is weak.
  CpuBackend() {
    openblas_set_num_threads(1);
    if (blas_thread_shutdown_ != nullptr) blas_thread_shutdown_();
  }

  std::string_view name() const override { return "cpu"; }

  void gemm(Transpose trans_a, Transpose trans_b, float alpha, ConstMatrixView a, ConstMatrixView b,
            float beta, MatrixView c) override {
    product(trans_a, trans_b, alpha, a, b, beta, c, nullptr);
  }

  void dense_forward(Activation activation, ConstMatrixView x, ConstMatrixView w, ConstMatrixView b,
                     MatrixView y) override {
    if (x.cols() >= 1 && x.cols() <= kMaxFewInputs) {
      // The loop wrote 32768 outputs in about 1.3 µs (N=256 I=2 O=128), a block worth a hand-over.
      const Index rows_per_part = std::max<Index>(kFewInputsRows, 32768 / std::max<Index>(y.cols(), 1));
      const bool fused = takes_register_tiles(activation, x.cols(), y.cols());
      detail::run_in_blocks(threads(), y.rows(), rows_per_part, [&](Index begin, Index end) {
        const ConstMatrixView x_rows = ConstMatrixView(x).middle_rows(begin, end - begin);
        if (fused) {
          // The register tiles keep a block of w in registers across rows: dense_forward at
          // N=64 I=1 O=64 took 125-135 ns against 153-176 ns, and at N=256 I=2 O=128 1.12-1.16
          // µs against 1.42-1.52 µs through few_inputs_forward.
          detail::fused_dense_forward(activation, x_rows, w, b, y.middle_rows(begin, end - begin));
        } else {
          few_inputs_forward(activation, x_rows, w, b, y.middle_rows(begin, end - begin));
        }
      });
      return;
    }
#if defined(__AVX512F__)
    if (y.cols() == 1 && x.cols() > 0) {
      const float* const weights = contiguous_column(w);
      with_activation(activation, [&](auto act) {
        detail::run_in_blocks(threads(), y.rows(), rows_per_block(x.cols()), [&](Index begin, Index end) {
          single_output_forward<decltype(act)>(ConstMatrixView(x).middle_rows(begin, end - begin), weights, b(0, 0),
                                               y.middle_rows(begin, end - begin));
        });
      });
      return;
    }
    if (y.cols() >= 2 && y.cols() < detail::kMinSmallColumns && x.cols() > 0) {
      const float* const columns = contiguous_columns(w);
      detail::run_in_blocks(threads(), y.rows(), narrow_rows_per_part(x.cols(), y.cols()), [&](Index begin, Index end) {
        narrow_forward(activation, ConstMatrixView(x).middle_rows(begin, end - begin), columns, b,
                       y.middle_rows(begin, end - begin));
      });
      return;
    }
#else
    if (y.cols() < detail::kMinSmallColumns && x.cols() > 0) {
      const float* const columns = contiguous_columns(w);
      detail::run_in_blocks(threads(), y.rows(), rows_per_block(x.cols() * y.cols()), [&](Index begin, Index end) {
        few_outputs_forward(activation, ConstMatrixView(x).middle_rows(begin, end - begin), columns, b,
                            y.middle_rows(begin, end - begin));
      });
      return;
    }
#endif
    if (takes_register_tiles(activation, x.cols(), y.cols())) {
      const Partition split = partition(y.rows(), y.cols(), x.cols(), /*small=*/true);
      detail::worker_pool().run(threads(), split.parts, [&](int part) {
        const Index begin = part * split.block;
        if (split.by_rows) {
          const Index count = std::min(split.block, y.rows() - begin);
          detail::fused_dense_forward(activation, ConstMatrixView(x).middle_rows(begin, count), w, b,
                                      y.middle_rows(begin, count));
        } else {
          const Index count = std::min(split.block, y.cols() - begin);
          detail::fused_dense_forward(activation, x, ConstMatrixView(w.data() + begin, w.rows(), count, w.stride()),
                                      ConstMatrixView(b.data() + begin, 1, count, b.stride()),
                                      MatrixView(y.data() + begin, y.rows(), count, y.stride()));
        }
      });
      return;
    }
    // Each part of the product adds the bias and applies the activation to its own block while
    // the block is in cache, which also spares the threads a second hand-over.
    const auto finish_part = [&](MatrixView y_part, Index first_column) {
      bias_activation(activation, ConstMatrixView(b.data() + first_column, 1, y_part.cols(), b.stride()), y_part);
    };
    // A layer of at most kMaxSmallLayer weights runs on libxsmm in blocks of rows, so that a row
    // gets the same bits in any batch.
    const Index per_row = x.cols() * y.cols();
    const Index block_rows =
        per_row > 0 && per_row <= kMaxSmallLayer ? detail::kMaxSmallProduct / per_row : std::max<Index>(y.rows(), 1);
    for (Index first = 0; first < y.rows(); first += block_rows) {
      const Index count = std::min(block_rows, y.rows() - first);
      const MatrixView y_rows = y.middle_rows(first, count);
      if (product(Transpose::no, Transpose::no, 1.0f, ConstMatrixView(x).middle_rows(first, count), w, 0.0f, y_rows,
                  finish_part)) {
        continue;
      }
      detail::run_in_blocks(threads(), count, rows_per_block(y.cols()), [&](Index begin, Index end) {
        bias_activation(activation, b, y_rows.middle_rows(begin, end - begin));
      });
    }
  }

  void activation_forward(Activation activation, ConstMatrixView z, MatrixView y) override {
    if (!detail::has_packet_activation(activation)) {
      Backend::activation_forward(activation, z, y);
      return;
    }
    detail::run_in_blocks(threads(), z.rows(), rows_per_block(z.cols()), [&](Index begin, Index end) {
      detail::packet_activation_forward(activation, z.middle_rows(begin, end - begin), y.middle_rows(begin, end - begin));
    });
  }

  void activation_backward(Activation activation, ConstMatrixView z, ConstMatrixView y, MatrixView dy) override {
    if (!detail::has_packet_activation(activation)) {
      Backend::activation_backward(activation, z, y, dy);
      return;
    }
    detail::run_in_blocks(threads(), z.rows(), rows_per_block(z.cols()), [&](Index begin, Index end) {
      detail::packet_activation_backward(activation, z.middle_rows(begin, end - begin), dy.middle_rows(begin, end - begin));
    });
  }

  void dense_chain_forward(ConstMatrixView x, std::span<const DenseLink> links) override {
    ConstMatrixView input = x;
    for (std::size_t i = 0; i < links.size();) {
      const std::span<const DenseLink> rest = links.subspan(i);
      const std::size_t count = fused_links(input.cols(), rest);
      const DenseLink& last = rest[count - 1];
      if (count == 1) {
        dense_forward(last.activation, input, last.w, last.b, last.y);
      } else {
        assert(!derivative_needs_input(last.activation));
        const float* const weights = contiguous_column(last.w);
        // Rows of about 4 MFLOP per part, as for a small product.
        double flops_per_row = 0.0;
        for (std::size_t k = 0; k + 1 < count; ++k) {
          flops_per_row += 2.0 * static_cast<double>(rest[k].w.rows()) * static_cast<double>(rest[k].w.cols());
        }
        const auto rows_per_part = std::max<Index>(16, static_cast<Index>(kFlopsPerSmallPart / flops_per_row));
        detail::run_in_blocks(threads(), input.rows(), rows_per_part, [&](Index begin, Index end) {
          const ConstMatrixView rows = input.middle_rows(begin, end - begin);
          const MatrixView out = last.y.middle_rows(begin, end - begin);
          if (count == 3) {
            detail::fused_chain_forward_to_one_output(rest[0].activation, rows, rest[0].w, rest[0].b, rest[1].activation,
                                                      rest[1].w, rest[1].b, last.activation, weights, last.b(0, 0), out);
          } else {
            detail::fused_dense_forward_to_one_output(rest[0].activation, rows, rest[0].w, rest[0].b, last.activation,
                                                      weights, last.b(0, 0), out);
          }
        });
      }
      input = last.y;
      i += count;
    }
  }

 private:
  // c = alpha · op(a) · op(b) + beta · c in parts (see Partition). With more than one part, or
  // with a libxsmm product run in row chunks, it calls finish_part(block of c, its first column)
  // after each block's product and returns true. Otherwise it returns false without calling
  // finish_part, and the caller finishes c itself.
  template <typename FinishPart>
  bool product(Transpose trans_a, Transpose trans_b, float alpha, ConstMatrixView a, ConstMatrixView b, float beta,
               MatrixView c, FinishPart&& finish_part) {
    const Index m = c.rows();
    const Index n = c.cols();
    const Index k = trans_a == Transpose::yes ? a.rows() : a.cols();
    assert((trans_a == Transpose::yes ? a.cols() : a.rows()) == m);
    assert((trans_b == Transpose::yes ? b.rows() : b.cols()) == n);
    assert((trans_b == Transpose::yes ? b.cols() : b.rows()) == k);
    if (m == 0 || n == 0) return false;
    if (k == 0) {
      // BLAS leaves C untouched for k = 0 only when beta is 1; make the empty sum explicit.
      if (beta == 0.0f) {
        c.fill(0.0f);
      } else {
        as_array(c) *= beta;
      }
      return false;
    }
    const bool small = detail::fits_small_gemm(trans_a, trans_b, m, n, k, alpha, beta);
    if (small && trans_b == Transpose::yes) {
      const MatrixView b_transposed = transposed_buffer(k, n);
      // b's rows become b_transposed's columns, in blocks of 16 rows (the register tile).
      const Index rows_per_tile_block = std::max<Index>(16, rows_per_block(k) / 16 * 16);
      detail::run_in_blocks(threads(), (n + 15) / 16, rows_per_tile_block / 16, [&](Index begin, Index end) {
        const Index first = begin * 16;
        const Index count = std::min(n, end * 16) - first;
        detail::transpose_into(b.middle_rows(first, count),
                               MatrixView(b_transposed.data() + first, k, count, b_transposed.stride()));
      });
      b = b_transposed;
      trans_b = Transpose::no;
    }
    const Partition split = partition(m, n, k, small);
    constexpr bool kFinishes = !std::is_null_pointer_v<std::decay_t<FinishPart>>;
    // A libxsmm product with a finishing pass over c (bias and activation) runs in chunks of
    // rows. libxsmm writes c straight from its registers, so the pass that follows then reads c
    // from the L1 cache instead of the L2 (batch prediction on the curve network: see the
    // benchmarks page).
    constexpr Index kChunkElements = 4096;
    constexpr Index kMinChunkRows = 32;
    const bool finish_in_chunks = kFinishes && small && trans_a == Transpose::no &&
                                  m * n > 2 * std::max(kChunkElements, kMinChunkRows * n);
    detail::worker_pool().run(threads(), split.parts, [&](int part) {
      const Index begin = part * split.block;
      const Index count = std::min(split.block, (split.by_rows ? m : n) - begin);
      ConstMatrixView a_part = a;
      ConstMatrixView b_part = b;
      MatrixView c_part = c;
      if (split.by_rows) {
        c_part = MatrixView(c.row(begin), count, n, c.stride());
        a_part = trans_a == Transpose::yes ? ConstMatrixView(a.data() + begin, k, count, a.stride())
                                           : ConstMatrixView(a.row(begin), count, k, a.stride());
      } else {
        c_part = MatrixView(c.data() + begin, m, count, c.stride());
        b_part = trans_b == Transpose::yes ? ConstMatrixView(b.row(begin), count, k, b.stride())
                                           : ConstMatrixView(b.data() + begin, k, count, b.stride());
      }
      const Index first_column = split.by_rows ? 0 : begin;
      if constexpr (kFinishes) {
        if (finish_in_chunks) {
          // Rows of c in chunks of about 16 KiB, each finished while it is still in the L1
          // cache. Each element of c is still computed by one kernel call over all k terms.
          const Index chunk = std::max<Index>(kMinChunkRows, kChunkElements / c_part.cols());
          for (Index row = 0; row < c_part.rows(); row += chunk) {
            const Index rows = std::min(chunk, c_part.rows() - row);
            const ConstMatrixView a_rows = a_part.middle_rows(row, rows);
            const MatrixView c_rows = c_part.middle_rows(row, rows);
            if (!detail::small_gemm(trans_a, a_rows, b_part, beta, c_rows)) {
              blas_gemm(trans_a, trans_b, alpha, a_rows, b_part, beta, c_rows);
            }
            finish_part(c_rows, first_column);
          }
          return;
        }
      }
      if (!small || !detail::small_gemm(trans_a, a_part, b_part, beta, c_part)) {
        blas_gemm(trans_a, trans_b, alpha, a_part, b_part, beta, c_part);
      }
      if constexpr (kFinishes) {
        if (split.parts > 1) finish_part(c_part, first_column);
      }
    });
    return kFinishes && (finish_in_chunks || split.parts > 1);
  }

 public:

  void dense_backward(Activation activation, ConstMatrixView x, ConstMatrixView w, ConstMatrixView y,
                      MatrixView dy, MatrixView dw, MatrixView db, MatrixView dx) override {
    if (dy.cols() == 1) return single_output_backward(activation, x, w, y, dy, dw, db, dx);
    const Index batch = x.rows(), inputs = x.cols(), outputs = dy.cols();
    const bool need_dx = dx.rows() > 0;
    if (!detail::fits_small_gemm(Transpose::yes, Transpose::no, inputs, outputs, batch, 1.0f, 0.0f)) {
      // Large layers: each pass in its own parts, the products on OpenBLAS.
      activation_backward_in_parts(activation, y, dy, db);
      gemm(Transpose::yes, Transpose::no, 1.0f, x, dy, 0.0f, dw);
      if (need_dx) gemm(Transpose::no, Transpose::yes, 1.0f, dy, w, 0.0f, dx);
      return;
    }
    // Small layers: one hand-over to the threads for all that a block of output columns needs
    // alone. A part takes dz = dy ⊙ act'(y) and db for its columns, then dw's same columns
    // (xᵀ·dz), and copies the same columns of w, transposed, for dx = dz·wᵀ, which needs every
    // column and so comes after. A surface step went from about 17 hand-overs to 11.
    const bool transpose_w = need_dx && detail::fits_small_gemm(Transpose::no, Transpose::yes, batch, inputs,
                                                                outputs, 1.0f, 0.0f);
    const MatrixView w_transposed = transpose_w ? transposed_buffer(outputs, inputs) : MatrixView();
    const Partition split = column_partition(inputs, outputs, batch);
    detail::worker_pool().run(threads(), split.parts, [&](int part) {
      const Index first = part * split.block;
      const Index width = std::min(split.block, outputs - first);
      const MatrixView dz(dy.data() + first, batch, width, dy.stride());
      activation_and_bias_backward(activation, ConstMatrixView(y.data() + first, batch, width, y.stride()), dz,
                                   MatrixView(db.data() + first, 1, width, db.stride()));
      const MatrixView dw_part(dw.data() + first, inputs, width, dw.stride());
      if (!detail::small_gemm(Transpose::yes, x, dz, 0.0f, dw_part)) {
        blas_gemm(Transpose::yes, Transpose::no, 1.0f, x, dz, 0.0f, dw_part);
      }
      if (transpose_w) {
        detail::transpose_into(ConstMatrixView(w.data() + first, inputs, width, w.stride()),
                               w_transposed.middle_rows(first, width));
      }
    });
    if (!need_dx) return;
    if (transpose_w) {
      product(Transpose::no, Transpose::no, 1.0f, dy, w_transposed, 0.0f, dx, nullptr);
    } else {
      gemm(Transpose::no, Transpose::yes, 1.0f, dy, w, 0.0f, dx);
    }
  }

 private:
  // dz = dy ⊙ act'(y) and db in blocks of whole kSumBlock columns, so that each column is
  // summed the same way however the columns are cut.
  void activation_backward_in_parts(Activation activation, ConstMatrixView y, MatrixView dy, MatrixView db) {
    const Index column_blocks = (y.cols() + kSumBlock - 1) / kSumBlock;
    const Index grain = std::max<Index>(1, kElementsPerBlock / std::max<Index>(1, y.rows() * kSumBlock));
    detail::run_in_blocks(threads(), column_blocks, grain, [&](Index begin, Index end) {
      const Index first = begin * kSumBlock;
      const Index width = std::min(y.cols(), end * kSumBlock) - first;
      activation_and_bias_backward(activation, ConstMatrixView(y.data() + first, y.rows(), width, y.stride()),
                                   MatrixView(dy.data() + first, dy.rows(), width, dy.stride()),
                                   MatrixView(db.data() + first, 1, width, db.stride()));
    });
  }

  // The backward pass of a layer with one output. dz is a single column, so its pass is short
  // and runs on the calling thread. Then dw (in blocks of kSumBlock inputs) and dx (in blocks of
  // rows) share one hand-over to the threads.
  void single_output_backward(Activation activation, ConstMatrixView x, ConstMatrixView w, ConstMatrixView y,
                              MatrixView dy, MatrixView dw, MatrixView db, MatrixView dx) {
    activation_and_bias_backward(activation, y, dy, db);
    const Index input_blocks = (x.cols() + kSumBlock - 1) / kSumBlock;
    const Index input_grain = std::max<Index>(1, kElementsPerBlock / std::max<Index>(1, x.rows() * kSumBlock));
    const Index dw_parts = std::clamp<Index>(input_blocks / input_grain, 1, detail::kMaxBlocks);
    const Index blocks_per_dw_part = (input_blocks + dw_parts - 1) / dw_parts;
    const Index dx_parts =
        dx.rows() > 0 ? std::clamp<Index>(dx.rows() / rows_per_block(dx.cols()), 1, detail::kMaxBlocks) : 0;
    const Index rows_per_dx_part = dx_parts > 0 ? (dx.rows() + dx_parts - 1) / dx_parts : 0;
    detail::worker_pool().run(threads(), static_cast<int>(dw_parts + dx_parts), [&](int part) {
      if (part < dw_parts) {
        const Index first = part * blocks_per_dw_part * kSumBlock;
        const Index width = std::min(x.cols(), first + blocks_per_dw_part * kSumBlock) - first;
        if (width > 0) {
          weight_gradient_single_output(ConstMatrixView(x.data() + first, x.rows(), width, x.stride()), dy,
                                        dw.middle_rows(first, width));
        }
        return;
      }
      const Index begin = (part - dw_parts) * rows_per_dx_part;
      const Index count = std::min(dx.rows(), begin + rows_per_dx_part) - begin;
      if (count > 0) {
        input_gradient_single_output(ConstMatrixView(dy).middle_rows(begin, count), w, dx.middle_rows(begin, count));
      }
    });
  }

  // The cut of a small layer's backward pass into blocks of output columns: whole kSumBlock
  // blocks, as many parts as partition() would give dw's product, never more than the blocks.
  static Partition column_partition(Index inputs, Index outputs, Index batch) {
    const Index column_blocks = (outputs + kSumBlock - 1) / kSumBlock;
    const double flops = 2.0 * static_cast<double>(inputs) * static_cast<double>(outputs) * static_cast<double>(batch);
    Index parts = 1;
    while (parts * 2 <= kMaxParts && (parts * 2) * kFlopsPerSmallPart <= flops && parts * 2 <= column_blocks) parts *= 2;
    Partition split;
    split.by_rows = false;
    split.block = (column_blocks + parts - 1) / parts * kSumBlock;
    split.parts = static_cast<int>((outputs + split.block - 1) / split.block);
    return split;
  }

  // The one column of `w` as a contiguous vector in the calling thread's scratch memory, since w
  // may have a row stride. Valid until the thread's next call. The caller passes the pointer to
  // its workers, because a thread_local named inside a worker's lambda is that worker's own.
  static const float* contiguous_column(ConstMatrixView w) {
    thread_local std::vector<float> column;
    column.resize(static_cast<std::size_t>(w.rows()));
    for (Index i = 0; i < w.rows(); ++i) column[static_cast<std::size_t>(i)] = w(i, 0);
    return column.data();
  }

  // Every column of `w` as a contiguous vector, one after the other (wᵀ without padding), in the
  // calling thread's scratch memory. Valid until the thread's next call.
  static const float* contiguous_columns(ConstMatrixView w) {
    thread_local std::vector<float> columns;
    columns.resize(static_cast<std::size_t>(w.rows() * w.cols()));
    for (Index i = 0; i < w.rows(); ++i) {
      for (Index o = 0; o < w.cols(); ++o) columns[static_cast<std::size_t>(o * w.rows() + i)] = w(i, o);
    }
    return columns.data();
  }

  // A rows×cols matrix in the calling thread's scratch memory for a transposed operand, grown
  // to the largest one asked for and then reused. Its rows are padded by 16 floats: with rows
  // of a multiple of 1 KiB the 16 stores of a register tile fell in the same cache sets, and a
  // 256×128 transpose took 4.9 µs unpadded against 2.0 µs padded.
  static MatrixView transposed_buffer(Index rows, Index cols) {
    const Index stride = cols + 16;
    thread_local std::vector<float> buffer;
    if (buffer.size() < static_cast<std::size_t>(rows * stride)) buffer.resize(static_cast<std::size_t>(rows * stride));
    return MatrixView(buffer.data(), rows, cols, stride);
  }

 public:
  // Atomic because fits running side by side (the recipe search) each set their count.
  void set_threads(int threads) override { threads_.store(std::max(1, threads), std::memory_order_relaxed); }
  int threads() const override { return threads_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int> threads_{1};
};

}  // namespace

Backend& cpu_backend() {
  static CpuBackend backend;
  return backend;
}

}  // namespace protean
