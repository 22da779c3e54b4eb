// Microbenchmarks of the CPU backend's dense layer passes at the shapes of the reference tasks,
// of one Adam step, and of the two product libraries the backend chooses between (gemm_openblas,
// gemm_libxsmm: the measurement behind src/kernels/small_gemm.hpp).
// Each benchmark reports FLOP/s for its pass: 2·N·I·O for the forward, 4·N·I·O for a backward
// that computes both dw and dx, 2·N·I·O when dx is skipped (the first layer).
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <libxsmm.h>

#include <cstdint>
#include <tuple>

#include "protean/kernels/backend.hpp"
#include "protean/layers/layer.hpp"
#include "protean/optimizers/adam.hpp"
#include "protean/random.hpp"

namespace {

using protean::Index;
using protean::Matrix;

Matrix random_matrix(Index rows, Index cols, protean::Rng& rng) {
  Matrix m = Matrix::zeros(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = rng.uniform(-1.0f, 1.0f);
  return m;
}

// Arguments: N (batch rows), I (inputs), O (outputs).
void dense_forward(benchmark::State& state) {
  const Index n = state.range(0), inputs = state.range(1), outputs = state.range(2);
  protean::Rng rng(7);
  const Matrix x = random_matrix(n, inputs, rng);
  const Matrix w = random_matrix(inputs, outputs, rng);
  const Matrix b = random_matrix(1, outputs, rng);
  Matrix y = Matrix::zeros(n, outputs);
  protean::Backend& backend = protean::cpu_backend();
  backend.set_threads(1);
  for (auto _ : state) {
    backend.dense_forward(protean::Activation::relu, x, w, b, y);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(n * inputs * outputs),
                                                benchmark::Counter::kIsIterationInvariantRate);
}

// Arguments: N, I, O, and 1 when dx is computed.
void dense_backward(benchmark::State& state) {
  const Index n = state.range(0), inputs = state.range(1), outputs = state.range(2);
  const bool need_dx = state.range(3) != 0;
  protean::Rng rng(8);
  const Matrix x = random_matrix(n, inputs, rng);
  const Matrix w = random_matrix(inputs, outputs, rng);
  const Matrix y = random_matrix(n, outputs, rng);
  const Matrix dy_source = random_matrix(n, outputs, rng);
  Matrix dy = dy_source;
  Matrix dw = Matrix::zeros(inputs, outputs);
  Matrix db = Matrix::zeros(1, outputs);
  Matrix dx = need_dx ? Matrix::zeros(n, inputs) : Matrix();
  protean::Backend& backend = protean::cpu_backend();
  backend.set_threads(1);
  for (auto _ : state) {
    // dense_backward scales dy in place; ReLU's derivative is 0 or 1, so repeated passes keep
    // the values bounded and the work per pass the same.
    backend.dense_backward(protean::Activation::relu, x, w, y, dy, dw, db, dx);
    benchmark::DoNotOptimize(dw.data());
  }
  const double flop = (need_dx ? 4.0 : 2.0) * static_cast<double>(n * inputs * outputs);
  state.counters["FLOP/s"] = benchmark::Counter(flop, benchmark::Counter::kIsIterationInvariantRate);
}

// One Adam step over a weight matrix of the given size and its bias. Argument: weights.
// Reports the parameters updated per second.
void adam_step(benchmark::State& state) {
  const Index weights = state.range(0);
  protean::Rng rng(9);
  Matrix w = random_matrix(1, weights, rng), dw = random_matrix(1, weights, rng);
  Matrix b = random_matrix(1, 129, rng), db = random_matrix(1, 129, rng);
  const std::vector<protean::Parameter> parameters = {{"0.weight", w, dw}, {"0.bias", b, db}};
  protean::Adam adam(1e-3f);
  for (auto _ : state) {
    adam.step(parameters);
    benchmark::DoNotOptimize(w.data());
  }
  state.counters["values/s"] =
      benchmark::Counter(static_cast<double>(weights + 129), benchmark::Counter::kIsIterationInvariantRate);
}

// Times the forward and backward pass (with dx) of one dense layer on a given number of threads,
// to show how products of medium size share two cores. Arguments: N, I, O, threads.
void dense_layer_threads(benchmark::State& state) {
  const Index n = state.range(0), inputs = state.range(1), outputs = state.range(2);
  protean::Rng rng(11);
  const Matrix x = random_matrix(n, inputs, rng);
  const Matrix w = random_matrix(inputs, outputs, rng);
  const Matrix b = random_matrix(1, outputs, rng);
  Matrix y = Matrix::zeros(n, outputs);
  Matrix dy = random_matrix(n, outputs, rng);
  Matrix dw = Matrix::zeros(inputs, outputs);
  Matrix db = Matrix::zeros(1, outputs);
  Matrix dx = Matrix::zeros(n, inputs);
  protean::Backend& backend = protean::cpu_backend();
  backend.set_threads(static_cast<int>(state.range(3)));
  for (auto _ : state) {
    backend.dense_forward(protean::Activation::relu, x, w, b, y);
    backend.dense_backward(protean::Activation::relu, x, w, y, dy, dw, db, dx);
    benchmark::DoNotOptimize(dw.data());
  }
  backend.set_threads(1);
  state.counters["FLOP/s"] = benchmark::Counter(6.0 * static_cast<double>(n * inputs * outputs),
                                                benchmark::Counter::kIsIterationInvariantRate);
}

// Operands of row-major C[M×N] = op(A)·B, from the arguments M, N, K, and 1 when A is transposed.
struct Product {
  Index m, n, k;
  bool trans_a;
  Matrix a, b, c;

  explicit Product(const benchmark::State& state)
      : m(state.range(0)), n(state.range(1)), k(state.range(2)), trans_a(state.range(3) != 0) {
    protean::Rng rng(10);
    a = trans_a ? random_matrix(k, m, rng) : random_matrix(m, k, rng);
    b = random_matrix(k, n, rng);
    c = Matrix::zeros(m, n);
  }
};

// The product through OpenBLAS on one thread, with hot caches.
void gemm_openblas(benchmark::State& state) {
  Product p(state);
  const auto [m, n, k, trans_a] = std::tuple(p.m, p.n, p.k, p.trans_a);
  const Matrix &a = p.a, &b = p.b;
  Matrix& c = p.c;
  openblas_set_num_threads(1);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, CblasNoTrans, static_cast<blasint>(m),
                static_cast<blasint>(n), static_cast<blasint>(k), 1.0f, a.data(), static_cast<blasint>(a.cols()),
                b.data(), static_cast<blasint>(n), 0.0f, c.data(), static_cast<blasint>(n));
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(m * n * k), benchmark::Counter::kIsIterationInvariantRate);
}

// The same product through a libxsmm kernel, called column-major as Cᵀ = Bᵀ·op(A)ᵀ.
void gemm_libxsmm(benchmark::State& state) {
  Product p(state);
  const auto [m, n, k, trans_a] = std::tuple(p.m, p.n, p.k, p.trans_a);
  const Matrix &a = p.a, &b = p.b;
  Matrix& c = p.c;
  const libxsmm_blasint ldb = static_cast<libxsmm_blasint>(n), lda = static_cast<libxsmm_blasint>(a.cols());
  const libxsmm_blasint ldc = static_cast<libxsmm_blasint>(n);
  const float alpha = 1.0f, beta = 0.0f;
  const int flags = trans_a ? LIBXSMM_GEMM_FLAG_TRANS_B : LIBXSMM_GEMM_FLAG_NONE;
  const libxsmm_smmfunction kernel =
      libxsmm_smmdispatch(static_cast<libxsmm_blasint>(n), static_cast<libxsmm_blasint>(m),
                          static_cast<libxsmm_blasint>(k), &ldb, &lda, &ldc, &alpha, &beta, &flags, nullptr);
  if (kernel == nullptr) {
    state.SkipWithError("libxsmm has no kernel for this shape");
    return;
  }
  for (auto _ : state) {
    kernel(b.data(), a.data(), c.data());
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(m * n * k), benchmark::Counter::kIsIterationInvariantRate);
}

// Products of the reference tasks' forward passes and weight gradients, and one large product.
void product_shapes(benchmark::internal::Benchmark* bench) {
  bench->ArgNames({"M", "N", "K", "transA"});
  const std::int64_t shapes[][4] = {
      {64, 64, 64, 0},   {64, 64, 64, 1},     {256, 128, 128, 0},    {128, 128, 256, 1},
      {128, 256, 784, 0}, {784, 256, 128, 1}, {512, 1024, 1024, 0},
  };
  for (const auto& s : shapes) bench->Args({s[0], s[1], s[2], s[3]});
}

// Layer shapes of the reference tasks: curve, surface, fashion, wide, and surface's shards of
// 128 rows (TrainOptions::shards).
void task_shapes(benchmark::internal::Benchmark* bench, bool backward) {
  const std::int64_t shapes[][4] = {
      {64, 1, 64, 0},     {64, 64, 64, 1},     {64, 64, 1, 1},                               // curve
      {256, 2, 128, 0},   {256, 128, 128, 1},  {256, 128, 1, 1},                             // surface
      {128, 2, 128, 0},   {128, 128, 128, 1},  {128, 128, 1, 1},                             // its shards
      {128, 784, 256, 0}, {128, 256, 128, 1},  {128, 128, 10, 1},                            // fashion
      {512, 1024, 2048, 0}, {512, 2048, 2048, 1}, {512, 2048, 1024, 1},                      // wide
  };
  bench->ArgNames(backward ? std::vector<std::string>{"N", "I", "O", "dx"} : std::vector<std::string>{"N", "I", "O"});
  for (const auto& s : shapes) {
    if (backward) {
      bench->Args({s[0], s[1], s[2], s[3]});
    } else {
      bench->Args({s[0], s[1], s[2]});
    }
  }
}

// Layers of 2 to 7 outputs (a few classes or targets), which dense_forward sums row by row, and
// the same products through OpenBLAS, which had them before.
constexpr std::int64_t kNarrowShapes[][3] = {{1, 64, 3}, {128, 128, 3}, {256, 64, 2}, {128, 784, 5}, {1024, 64, 7}, {128, 256, 7}};

BENCHMARK(dense_forward)->Apply([](benchmark::internal::Benchmark* b) { task_shapes(b, false); });
BENCHMARK(dense_forward)->Name("dense_forward_narrow")->Apply([](benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "I", "O"});
  for (const auto& s : kNarrowShapes) b->Args({s[0], s[1], s[2]});
});
BENCHMARK(gemm_libxsmm)->Name("gemm_libxsmm_narrow")->Apply([](benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "transA"});
  for (const auto& s : kNarrowShapes) b->Args({s[0], s[2], s[1], 0});
});
BENCHMARK(gemm_openblas)->Name("gemm_openblas_narrow")->Apply([](benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "transA"});
  for (const auto& s : kNarrowShapes) b->Args({s[0], s[2], s[1], 0});
});
BENCHMARK(dense_backward)->Apply([](benchmark::internal::Benchmark* b) { task_shapes(b, true); });
// The weights of the curve network (4224 with its bias), of surface's hidden layers and of
// fashion's first layer (200960 with its bias), which no longer fits in a 2 MiB L2 with its state.
BENCHMARK(dense_layer_threads)->Apply([](benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "I", "O", "threads"});
  for (const std::int64_t threads : {1, 2}) {
    for (const auto& s : {std::array<std::int64_t, 3>{512, 512, 512}, {256, 1024, 1024}, {1024, 512, 256}}) {
      b->Args({s[0], s[1], s[2], threads});
    }
  }
})->UseRealTime();
BENCHMARK(adam_step)->Arg(4223)->Arg(33023)->Arg(200831);
BENCHMARK(gemm_openblas)->Apply(product_shapes);
BENCHMARK(gemm_libxsmm)->Apply(product_shapes);

}  // namespace

BENCHMARK_MAIN();
