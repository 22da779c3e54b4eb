// The CPU backend against its reference twin: every operation, activation and shape class
// (1×1, odd sizes, sizes on both sides of the small-matrix cut-over, strided views) must agree
// within a relative tolerance, and repeated runs must agree bit for bit.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "protean/kernels/backend.hpp"
#include "protean/random.hpp"

namespace protean {
namespace {

// Owns a buffer wider than the view, so the view's stride exceeds its width when pad > 0.
struct StridedMatrix {
  Matrix storage;
  MatrixView view;

  StridedMatrix(Index rows, Index cols, Index pad, Rng& rng) {
    storage = Matrix::zeros(std::max<Index>(rows, 1), cols + pad);
    for (Index i = 0; i < storage.size(); ++i) storage.data()[i] = rng.uniform(-1.0f, 1.0f);
    view = MatrixView(storage.data(), rows, cols, cols + pad);
  }
};

double max_magnitude(ConstMatrixView m) {
  double magnitude = 0.0;
  for (Index r = 0; r < m.rows(); ++r) {
    for (Index c = 0; c < m.cols(); ++c) magnitude = std::max(magnitude, static_cast<double>(std::abs(m(r, c))));
  }
  return magnitude;
}

// Largest element-wise difference divided by `scale`, or by the larger of 1 and the reference's
// largest magnitude when no scale is given, so that sums of many terms are compared relative to
// their size.
double relative_difference(ConstMatrixView actual, ConstMatrixView expected, double scale = 0.0) {
  if (scale <= 0.0) scale = std::max(1.0, max_magnitude(expected));
  double difference = 0.0;
  for (Index r = 0; r < expected.rows(); ++r) {
    for (Index c = 0; c < expected.cols(); ++c) {
      difference = std::max(difference, static_cast<double>(std::abs(actual(r, c) - expected(r, c))));
    }
  }
  return difference / scale;
}

constexpr double kTolerance = 1e-4;

struct Shape {
  Index n, inputs, outputs;
};

// 1×1, odd sizes, the reference tasks' layer shapes, and sizes around 16/32/64 on each axis.
const std::vector<Shape>& shapes() {
  static const std::vector<Shape> list = {
      {1, 1, 1},    {1, 1, 64},   {1, 64, 1},    {64, 1, 64},  {64, 64, 64},  {64, 64, 1},
      {3, 5, 7},    {17, 33, 9},  {31, 15, 63},  {65, 17, 129}, {256, 2, 128}, {256, 128, 1},
      {128, 200, 10}, {7, 300, 33}, {2, 1, 2},   {33, 64, 65},
      // Up to 4 inputs take the one-pass forward (2000×4×64 in several parts); 5 do not.
      {300, 3, 70},   {40, 4, 129}, {2000, 4, 64}, {19, 5, 40},
      // Backward in column blocks with a partial last one; a forward finished in row chunks.
      {256, 128, 200}, {1024, 64, 64},
      // 2 to 7 outputs: blocks of 24 / outputs rows and the rows left, a partial group of sums.
      {37, 64, 3},    {50, 130, 5}, {1, 20, 2},    {100, 16, 6}, {25, 33, 4},
  };
  return list;
}

std::string describe(const Shape& s, Index pad, Activation activation) {
  return "N=" + std::to_string(s.n) + " I=" + std::to_string(s.inputs) + " O=" + std::to_string(s.outputs) +
         " pad=" + std::to_string(pad) + " activation=" + std::string(to_string(activation));
}

TEST(CpuBackend, DenseForwardMatchesReference) {
  Rng rng(11);
  for (const Shape& s : shapes()) {
    for (const Index pad : {Index{0}, Index{3}}) {
      for (const Activation activation : all_activations()) {
        // Dense computes these as an identity dense_forward followed by activation_forward.
        if (derivative_needs_input(activation)) continue;
        SCOPED_TRACE(describe(s, pad, activation));
        StridedMatrix x(s.n, s.inputs, pad, rng), w(s.inputs, s.outputs, pad, rng), b(1, s.outputs, pad, rng);
        StridedMatrix y_cpu(s.n, s.outputs, pad, rng), y_reference(s.n, s.outputs, pad, rng);
        cpu_backend().dense_forward(activation, x.view, w.view, b.view, y_cpu.view);
        reference_backend().dense_forward(activation, x.view, w.view, b.view, y_reference.view);
        // A bounded activation (sigmoid, tanh) maps a rounding error in the pre-activation z
        // to an output error of about the same size, however small the output, so the error
        // is measured against the magnitude of z. Every activation here has a slope of at most
        // about 1, so that bound carries over to y.
        StridedMatrix z(s.n, s.outputs, pad, rng);
        reference_backend().dense_forward(Activation::identity, x.view, w.view, b.view, z.view);
        const double scale = std::max({1.0, max_magnitude(z.view), max_magnitude(y_reference.view)});
        EXPECT_LE(relative_difference(y_cpu.view, y_reference.view, scale), kTolerance);
      }
    }
  }
}

TEST(CpuBackend, DenseForwardLeavesPaddingAlone) {
  Rng rng(12);
  const Shape s{9, 13, 11};
  StridedMatrix x(s.n, s.inputs, 0, rng), w(s.inputs, s.outputs, 0, rng), b(1, s.outputs, 0, rng);
  StridedMatrix y(s.n, s.outputs, 5, rng);
  const Matrix before = y.storage;
  cpu_backend().dense_forward(Activation::relu, x.view, w.view, b.view, y.view);
  for (Index r = 0; r < s.n; ++r) {
    for (Index c = s.outputs; c < s.outputs + 5; ++c) {
      EXPECT_EQ(y.storage(r, c), before(r, c)) << "row " << r << " column " << c;
    }
  }
}

// A row's output does not depend on the rows around it: forwarded alone, it gets the same bits
// as inside a batch, where the kernels handle blocks of rows (16 at a time for one output) and
// a shorter tail. Every activation is tried, with widths that end in a partial vector.
TEST(CpuBackend, DenseForwardRowIgnoresItsBatch) {
  Rng rng(14);
  for (const Activation activation : all_activations()) {
    if (derivative_needs_input(activation)) continue;  // Dense runs those through activation_forward
    for (const Shape& s : std::vector<Shape>{{37, 64, 1}, {50, 130, 1}, {37, 3, 64}, {70, 64, 64}, {40, 17, 48},
                                             {9, 7, 20}, {9, 2, 33}, {37, 64, 3}, {50, 130, 7}, {33, 20, 2}, {21, 784, 5}}) {
      SCOPED_TRACE(describe(s, 0, activation));
      StridedMatrix x(s.n, s.inputs, 0, rng), w(s.inputs, s.outputs, 0, rng), b(1, s.outputs, 0, rng);
      StridedMatrix batch(s.n, s.outputs, 0, rng), single(1, s.outputs, 0, rng);
      cpu_backend().dense_forward(activation, x.view, w.view, b.view, batch.view);
      for (Index r = 0; r < s.n; ++r) {
        cpu_backend().dense_forward(activation, ConstMatrixView(x.view).middle_rows(r, 1), w.view, b.view,
                                    single.view);
        for (Index c = 0; c < s.outputs; ++c) {
          ASSERT_EQ(single.view(0, c), batch.view(r, c)) << "row " << r << " column " << c;
        }
      }
    }
  }
}

// A layer without inputs outputs act(b) in every row, whichever path its width takes.
TEST(CpuBackend, DenseForwardWithoutInputsIsBias) {
  for (const Index outputs : {Index{1}, Index{3}, Index{12}}) {
    SCOPED_TRACE("outputs=" + std::to_string(outputs));
    const Matrix x = Matrix::zeros(5, 0);
    const Matrix w = Matrix::zeros(0, outputs);
    Matrix b = Matrix::zeros(1, outputs);
    for (Index c = 0; c < outputs; ++c) b(0, c) = static_cast<float>(c) - 1.0f;
    Matrix y = Matrix::zeros(5, outputs);
    cpu_backend().dense_forward(Activation::relu, x, w, b, y);
    for (Index r = 0; r < 5; ++r) {
      for (Index c = 0; c < outputs; ++c) EXPECT_EQ(y(r, c), std::max(0.0f, b(0, c))) << r << ", " << c;
    }
  }
}

// Layers of up to 2^18 weights give a row the same bits in a batch of any size, also where the
// batch takes the product past kMaxSmallProduct, above which the product's size alone would send
// it to OpenBLAS.
TEST(CpuBackend, LargeBatchRowIgnoresItsBatch) {
  Rng rng(16);
  for (const Shape& s : std::vector<Shape>{{700, 784, 256}, {300, 512, 512}, {1100, 256, 256}}) {
    SCOPED_TRACE(describe(s, 0, Activation::relu));
    StridedMatrix x(s.n, s.inputs, 0, rng), w(s.inputs, s.outputs, 0, rng), b(1, s.outputs, 0, rng);
    Matrix batch = Matrix::zeros(s.n, s.outputs);
    cpu_backend().dense_forward(Activation::relu, x.view, w.view, b.view, batch);
    for (const Index rows : {Index{1}, Index{3}, Index{8}, Index{16}, Index{32}, Index{257}, Index{1025}}) {
      if (rows > s.n) continue;
      Matrix part = Matrix::zeros(rows, s.outputs);
      cpu_backend().dense_forward(Activation::relu, ConstMatrixView(x.view).middle_rows(0, rows), w.view, b.view, part);
      EXPECT_TRUE(bitwise_equal(part, ConstMatrixView(batch).middle_rows(0, rows))) << rows << " rows";
    }
  }
}

// A chain of dense layers gives the bits of its layers run one by one, whichever of them the
// backend fuses. It fuses a layer in register tiles with a one-output layer after it, and a
// layer with few inputs before those two. The widths lie on both sides of the limits: at most 4
// inputs and 256 units for the first of three, up to 256 inputs and at least 16 units for the
// tiles, tiles of 6 rows and 64 columns. Some activations have a fused form and some have none.
TEST(CpuBackend, DenseChainForwardMatchesLayerByLayer) {
  Rng rng(15);
  const std::vector<std::vector<Index>> chains = {
      {1, 16, 1},      {3, 20, 1},      {64, 64, 1},     {200, 100, 1},    {2, 130, 1},      {300, 64, 1},
      {8, 10, 1},      {1, 64, 64, 1},  {2, 128, 128, 1}, {4, 256, 64, 1}, {1, 257, 64, 1},  {5, 64, 64, 1},
      {1, 16, 20, 1},  {1, 64, 3, 1},   {1, 64, 64, 2},  {1, 64, 64, 64, 1}, {2, 128, 128, 128, 1}};
  const std::vector<std::vector<Activation>> activations = {
      {Activation::relu, Activation::relu, Activation::relu, Activation::identity},
      {Activation::hard_tanh, Activation::leaky_relu, Activation::identity, Activation::tanh},
      {Activation::leaky_relu, Activation::tanh, Activation::hard_tanh, Activation::sigmoid},
      {Activation::tanh, Activation::relu, Activation::relu, Activation::identity}};
  for (const auto& widths : chains) {
    for (const Index rows : {Index{1}, Index{5}, Index{37}, Index{600}}) {
      for (const auto& acts : activations) {
        const std::size_t count = widths.size() - 1;
        std::string trace = fmt::format("{} rows, widths", rows);
        for (const Index width : widths) trace += fmt::format(" {}", width);
        for (std::size_t k = 0; k < count; ++k) {
          trace += fmt::format(" {}", to_string(k + 1 == count ? acts.back() : acts[k]));
        }
        SCOPED_TRACE(trace);
        StridedMatrix x(rows, widths[0], 1, rng);
        std::vector<StridedMatrix> w, b, fused_y, plain_y;
        std::vector<DenseLink> links;
        for (std::size_t k = 0; k < count; ++k) {
          w.emplace_back(widths[k], widths[k + 1], 1, rng);
          b.emplace_back(1, widths[k + 1], 0, rng);
          fused_y.emplace_back(rows, widths[k + 1], 1, rng);
          plain_y.emplace_back(rows, widths[k + 1], 0, rng);
        }
        ConstMatrixView input = x.view;
        for (std::size_t k = 0; k < count; ++k) {
          const Activation activation = k + 1 == count ? acts.back() : acts[k];
          links.push_back({activation, w[k].view, b[k].view, fused_y[k].view});
          cpu_backend().dense_forward(activation, input, w[k].view, b[k].view, plain_y[k].view);
          input = plain_y[k].view;
        }
        cpu_backend().dense_chain_forward(x.view, links);
        const MatrixView fused = fused_y.back().view;
        const MatrixView plain = plain_y.back().view;
        for (Index r = 0; r < rows; ++r) {
          for (Index c = 0; c < plain.cols(); ++c) ASSERT_EQ(fused(r, c), plain(r, c)) << "row " << r << " column " << c;
        }
      }
    }
  }
}

// The element-wise passes for activations whose derivative needs the input agree with the
// reference's libm values element by element. On the CPU, GELU, SiLU and sine run through
// Eigen's packet math. Inputs go from -12 to 12, row widths lie on both sides of a packet, and
// each row gives the same bits alone as in its batch.
TEST(CpuBackend, ActivationPassesMatchReference) {
  Rng rng(16);
  for (const Activation activation : all_activations()) {
    if (!derivative_needs_input(activation)) continue;
    for (const Index cols : {Index{1}, Index{7}, Index{16}, Index{33}, Index{128}}) {
      SCOPED_TRACE(std::string(to_string(activation)) + ", " + std::to_string(cols) + " columns");
      const Index rows = 37;
      StridedMatrix z(rows, cols, 3, rng);
      for (Index r = 0; r < rows; ++r) {
        for (Index c = 0; c < cols; ++c) z.view(r, c) = rng.uniform(-12.0f, 12.0f);
      }
      StridedMatrix y_cpu(rows, cols, 1, rng), y_reference(rows, cols, 1, rng);
      cpu_backend().activation_forward(activation, z.view, y_cpu.view);
      reference_backend().activation_forward(activation, z.view, y_reference.view);
      StridedMatrix dy_cpu(rows, cols, 2, rng);
      Matrix dy_reference_storage = dy_cpu.storage;
      MatrixView dy_reference(dy_reference_storage.data(), rows, cols, cols + 2);
      const Matrix incoming = Matrix::copy_of(dy_cpu.view);
      cpu_backend().activation_backward(activation, z.view, y_cpu.view, dy_cpu.view);
      reference_backend().activation_backward(activation, z.view, y_reference.view, dy_reference);
      for (Index r = 0; r < rows; ++r) {
        for (Index c = 0; c < cols; ++c) {
          const float y = y_reference.view(r, c), dy = dy_reference(r, c);
          ASSERT_NEAR(y_cpu.view(r, c), y, 1e-5 * std::max(1.0f, std::abs(y))) << "y at " << r << ", " << c;
          ASSERT_NEAR(dy_cpu.view(r, c), dy, 1e-5 * std::max(1.0f, std::abs(dy))) << "dy at " << r << ", " << c;
        }
      }
      StridedMatrix y_row(1, cols, 0, rng), dy_row(1, cols, 0, rng);
      for (Index r = 0; r < rows; ++r) {
        const ConstMatrixView z_row = ConstMatrixView(z.view).middle_rows(r, 1);
        cpu_backend().activation_forward(activation, z_row, y_row.view);
        for (Index c = 0; c < cols; ++c) dy_row.view(0, c) = incoming(r, c);
        cpu_backend().activation_backward(activation, z_row, y_row.view, dy_row.view);
        for (Index c = 0; c < cols; ++c) {
          ASSERT_EQ(y_row.view(0, c), y_cpu.view(r, c)) << "y at " << r << ", " << c;
          ASSERT_EQ(dy_row.view(0, c), dy_cpu.view(r, c)) << "dy at " << r << ", " << c;
        }
      }
    }
  }
}

TEST(CpuBackend, DenseBackwardMatchesReference) {
  Rng rng(13);
  for (const Shape& s : shapes()) {
    for (const Index pad : {Index{0}, Index{2}}) {
      for (const Activation activation : all_activations()) {
        // Dense sends activations that need the input through activation_backward instead.
        if (derivative_needs_input(activation)) continue;
        for (const bool need_dx : {false, true}) {
          SCOPED_TRACE(describe(s, pad, activation) + (need_dx ? " with dx" : " without dx"));
          StridedMatrix x(s.n, s.inputs, pad, rng), w(s.inputs, s.outputs, pad, rng), b(1, s.outputs, pad, rng);
          // Outputs come from a real forward pass, so derivatives read from them are valid.
          StridedMatrix y(s.n, s.outputs, pad, rng);
          reference_backend().dense_forward(activation, x.view, w.view, b.view, y.view);
          StridedMatrix dy_cpu(s.n, s.outputs, pad, rng);
          Matrix dy_reference_storage = dy_cpu.storage;
          MatrixView dy_reference(dy_reference_storage.data(), s.n, s.outputs, s.outputs + pad);

          StridedMatrix dw_cpu(s.inputs, s.outputs, pad, rng), dw_reference(s.inputs, s.outputs, pad, rng);
          StridedMatrix db_cpu(1, s.outputs, pad, rng), db_reference(1, s.outputs, pad, rng);
          StridedMatrix dx_cpu(need_dx ? s.n : 0, s.inputs, pad, rng);
          StridedMatrix dx_reference(need_dx ? s.n : 0, s.inputs, pad, rng);

          cpu_backend().dense_backward(activation, x.view, w.view, y.view, dy_cpu.view, dw_cpu.view, db_cpu.view,
                                       dx_cpu.view);
          reference_backend().dense_backward(activation, x.view, w.view, y.view, dy_reference, dw_reference.view,
                                             db_reference.view, dx_reference.view);
          EXPECT_LE(relative_difference(dy_cpu.view, dy_reference), kTolerance) << "dz";
          EXPECT_LE(relative_difference(dw_cpu.view, dw_reference.view), kTolerance) << "dw";
          EXPECT_LE(relative_difference(db_cpu.view, db_reference.view), kTolerance) << "db";
          if (need_dx) {
            EXPECT_LE(relative_difference(dx_cpu.view, dx_reference.view), kTolerance) << "dx";
          }
        }
      }
    }
  }
}

TEST(CpuBackend, GemmMatchesReferenceForEveryTranspose) {
  Rng rng(14);
  // {256, 128, 128} and {40, 600, 700} are large enough to be cut into parts, by rows and by columns.
  const std::vector<Shape> products = {{1, 1, 1},    {5, 3, 7},       {64, 64, 64},
                                       {33, 17, 65}, {4, 0, 6},       {256, 128, 128},
                                       {40, 600, 700}};
  for (const Shape& s : products) {
    for (const Transpose ta : {Transpose::no, Transpose::yes}) {
      for (const Transpose tb : {Transpose::no, Transpose::yes}) {
        for (const float beta : {0.0f, 0.5f}) {
          SCOPED_TRACE("m=" + std::to_string(s.n) + " k=" + std::to_string(s.inputs) + " n=" +
                       std::to_string(s.outputs) + " trans_a=" + std::to_string(ta == Transpose::yes) +
                       " trans_b=" + std::to_string(tb == Transpose::yes) + " beta=" + std::to_string(beta));
          StridedMatrix a(ta == Transpose::yes ? s.inputs : s.n, ta == Transpose::yes ? s.n : s.inputs, 1, rng);
          StridedMatrix b(tb == Transpose::yes ? s.outputs : s.inputs, tb == Transpose::yes ? s.inputs : s.outputs,
                          1, rng);
          StridedMatrix c_cpu(s.n, s.outputs, 1, rng);
          Matrix c_reference_storage = c_cpu.storage;
          MatrixView c_reference(c_reference_storage.data(), s.n, s.outputs, s.outputs + 1);
          cpu_backend().gemm(ta, tb, 0.75f, a.view, b.view, beta, c_cpu.view);
          reference_backend().gemm(ta, tb, 0.75f, a.view, b.view, beta, c_reference);
          EXPECT_LE(relative_difference(c_cpu.view, c_reference), kTolerance);
        }
      }
    }
  }
}

// The same inputs and thread count give bitwise the same outputs and gradients, call after call.
TEST(CpuBackend, RepeatedPassesAreBitwiseEqual) {
  Rng rng(15);
  const int saved_threads = cpu_backend().threads();
  for (const int threads : {1, 2}) {
    cpu_backend().set_threads(threads);
    for (const Shape& s : {Shape{64, 64, 64}, Shape{256, 128, 128}, Shape{128, 784, 256}}) {
      SCOPED_TRACE("threads=" + std::to_string(threads) + " " + describe(s, 0, Activation::relu));
      StridedMatrix x(s.n, s.inputs, 0, rng), w(s.inputs, s.outputs, 0, rng), b(1, s.outputs, 0, rng);
      StridedMatrix dy_source(s.n, s.outputs, 0, rng);
      Matrix first_y, first_dw, first_db, first_dx;
      for (int run = 0; run < 3; ++run) {
        Matrix y = Matrix::zeros(s.n, s.outputs), dy = dy_source.storage;
        Matrix dw = Matrix::zeros(s.inputs, s.outputs), db = Matrix::zeros(1, s.outputs), dx = Matrix::zeros(s.n, s.inputs);
        cpu_backend().dense_forward(Activation::relu, x.view, w.view, b.view, y);
        cpu_backend().dense_backward(Activation::relu, x.view, w.view, y, dy, dw, db, dx);
        if (run == 0) {
          first_y = y, first_dw = dw, first_db = db, first_dx = dx;
          continue;
        }
        EXPECT_TRUE(bitwise_equal(y, first_y)) << "y, run " << run;
        EXPECT_TRUE(bitwise_equal(dw, first_dw)) << "dw, run " << run;
        EXPECT_TRUE(bitwise_equal(db, first_db)) << "db, run " << run;
        EXPECT_TRUE(bitwise_equal(dx, first_dx)) << "dx, run " << run;
      }
    }
  }
  cpu_backend().set_threads(saved_threads);
}

}  // namespace
}  // namespace protean

namespace protean {
namespace {

// The backend cuts a product into parts by its shape (and the machine's core count) alone, so 1,
// 2 and 3 threads give bitwise the same result. The shapes cover products that stay whole, that
// split by rows and by columns, that run on libxsmm and on OpenBLAS (a medium one too), a
// transposed B on either side of kMaxTransposedB, and a layer of 3 outputs.
TEST(CpuBackend, ThreadCountDoesNotChangeAnyBit) {
  const int saved_threads = cpu_backend().threads();
  const std::vector<Shape> split_shapes = {{64, 64, 64},    {256, 128, 128}, {128, 784, 256},
                                           {37, 300, 1000}, {1000, 200, 9},  {512, 1024, 2048},
                                           {2000, 4, 64},   {256, 128, 200}, {1024, 64, 64},
                                           {4096, 128, 1},  {512, 512, 512}, {300, 64, 3}};
  for (const Shape& s : split_shapes) {
    SCOPED_TRACE(describe(s, 0, Activation::relu));
    Rng rng(21);
    StridedMatrix x(s.n, s.inputs, 3, rng), w(s.inputs, s.outputs, 1, rng), b(1, s.outputs, 0, rng);
    StridedMatrix dy_source(s.n, s.outputs, 0, rng);
    std::vector<Matrix> first;
    for (const int threads : {1, 2, 3}) {
      cpu_backend().set_threads(threads);
      Matrix y = Matrix::zeros(s.n, s.outputs), dy = dy_source.storage;
      Matrix dw = Matrix::zeros(s.inputs, s.outputs), db = Matrix::zeros(1, s.outputs), dx = Matrix::zeros(s.n, s.inputs);
      cpu_backend().dense_forward(Activation::relu, x.view, w.view, b.view, y);
      cpu_backend().dense_backward(Activation::relu, x.view, w.view, y, dy, dw, db, dx);
      Matrix accumulated = Matrix::copy_of(dx);
      cpu_backend().gemm(Transpose::no, Transpose::yes, 1.0f, dy, w.view, 1.0f, accumulated);
      std::vector<Matrix> results;
      results.push_back(std::move(y));
      results.push_back(std::move(dw));
      results.push_back(std::move(db));
      results.push_back(std::move(dx));
      results.push_back(std::move(accumulated));
      if (first.empty()) {
        first = std::move(results);
        continue;
      }
      const char* names[] = {"y", "dw", "db", "dx", "dx + dy·wᵀ"};
      for (std::size_t i = 0; i < results.size(); ++i) {
        EXPECT_TRUE(bitwise_equal(results[i], first[i])) << names[i] << ", threads " << threads;
      }
    }
  }
  cpu_backend().set_threads(saved_threads);
}

}  // namespace
}  // namespace protean
