#include "protean/layers/dense.hpp"

#include <gtest/gtest.h>

#include "gradient_check.hpp"
#include "protean/random.hpp"

namespace protean {
namespace {

Matrix random_matrix(Index rows, Index cols, Rng& rng, float scale = 1.0f) {
  Matrix m = Matrix::zeros(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = scale * rng.normal();
  return m;
}

// L = Σ g ⊙ y for a fixed random g, so ∂L/∂y = g.
double weighted_sum(ConstMatrixView y, ConstMatrixView g) {
  double sum = 0.0;
  for (Index r = 0; r < y.rows(); ++r) {
    for (Index c = 0; c < y.cols(); ++c) sum += static_cast<double>(y(r, c)) * g(r, c);
  }
  return sum;
}

class DenseGradient : public ::testing::TestWithParam<Activation> {};

TEST_P(DenseGradient, MatchesFiniteDifferences) {
  const Activation activation = GetParam();
  for (Backend* backend : {&reference_backend(), &cpu_backend()}) {
    Rng rng(11);
    Dense layer(3, 4, activation);
    layer.set_backend(*backend);
    layer.initialize(rng);
    // Bias away from zero so no unit sits exactly on a ReLU or hard-sigmoid kink.
    for (Index c = 0; c < 4; ++c) layer.bias()(0, c) = 0.3f * static_cast<float>(c) - 0.35f;
    Matrix x = random_matrix(5, 3, rng);
    const Matrix g = random_matrix(5, 4, rng);

    layer.forward(x, Mode::training);
    Matrix dy = g;
    const Matrix dx = Matrix::copy_of(layer.backward(dy, /*need_dx=*/true));
    const auto parameters = layer.parameters();
    const Matrix dweight = Matrix::copy_of(parameters[0].grad);
    const Matrix dbias = Matrix::copy_of(parameters[1].grad);

    auto loss = [&] { return weighted_sum(layer.forward(x, Mode::training), g); };
    const std::string name = std::string(to_string(activation)) + " on " + std::string(backend->name());
    // sin(30·z) curves 30 times faster than the others, so its central difference needs a
    // smaller step to keep the truncation error, of order (30·step)², below the tolerance.
    const double step = activation == Activation::sine ? 1e-3 : 1e-2;
    testing::expect_gradient_matches(name + " weight", layer.weight(), dweight, loss, step);
    testing::expect_gradient_matches(name + " bias", layer.bias(), dbias, loss, step);
    testing::expect_gradient_matches(name + " input", x, dx, loss, step);
  }
}

INSTANTIATE_TEST_SUITE_P(AllActivations, DenseGradient, ::testing::ValuesIn(all_activations()),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(Dense, CpuMatchesReferenceBackend) {
  for (const Activation activation : all_activations()) {
    Rng rng(5);
    Dense cpu(7, 9, activation);
    cpu.initialize(rng);
    Dense reference = cpu;
    reference.set_backend(reference_backend());
    const Matrix x = random_matrix(13, 7, rng);
    const Matrix y_cpu = Matrix::copy_of(cpu.forward(x, Mode::training));
    const Matrix y_reference = Matrix::copy_of(reference.forward(x, Mode::training));
    for (Index i = 0; i < y_cpu.size(); ++i) {
      EXPECT_NEAR(y_cpu.data()[i], y_reference.data()[i], 1e-5f) << to_string(activation);
    }
  }
}

TEST(Dense, PartialBatchReusesBuffers) {
  Rng rng(3);
  Dense layer(2, 3, Activation::tanh);
  layer.initialize(rng);
  const Matrix big = random_matrix(8, 2, rng);
  const Matrix small = Matrix::copy_of(big.middle_rows(0, 3));
  const Matrix y_big = Matrix::copy_of(layer.forward(big, Mode::inference));
  const ConstMatrixView y_small = layer.forward(small, Mode::inference);
  ASSERT_EQ(y_small.rows(), 3);
  for (Index r = 0; r < 3; ++r) {
    for (Index c = 0; c < 3; ++c) EXPECT_EQ(y_small(r, c), y_big(r, c));
  }
}

TEST(Dense, GlorotInitStaysInLimit) {
  Rng rng(1);
  Dense layer(10, 20, Activation::tanh);
  layer.initialize(rng);
  const float limit = std::sqrt(6.0f / 30.0f);
  for (Index i = 0; i < layer.weight().size(); ++i) EXPECT_LE(std::abs(layer.weight().data()[i]), limit);
  for (Index i = 0; i < layer.bias().size(); ++i) EXPECT_EQ(layer.bias().data()[i], 0.0f);
}

TEST(Dense, HeInitHasExpectedSpread) {
  Rng rng(2);
  Dense layer(200, 200, Activation::relu);
  layer.initialize(rng);
  double sum_squares = 0.0;
  for (Index i = 0; i < layer.weight().size(); ++i) sum_squares += layer.weight().data()[i] * layer.weight().data()[i];
  const double variance = sum_squares / static_cast<double>(layer.weight().size());
  EXPECT_NEAR(variance, 2.0 / 200.0, 0.1 * 2.0 / 200.0);
}

TEST(Dense, LecunInitScalesForHardActivations) {
  for (const auto& [activation, deviation] : {std::pair{Activation::hard_tanh, 1.0}, {Activation::hard_sigmoid, 3.0}}) {
    SCOPED_TRACE(std::string(to_string(activation)));
    Rng rng(3);
    Dense layer(4, 2000, activation);
    layer.initialize(rng);
    double sum_squares = 0.0;
    for (Index i = 0; i < layer.weight().size(); ++i) sum_squares += layer.weight().data()[i] * layer.weight().data()[i];
    const double variance = sum_squares / static_cast<double>(layer.weight().size());
    const double expected = deviation * deviation / 4.0;
    EXPECT_NEAR(variance, expected, 0.1 * expected);
  }
}

}  // namespace
}  // namespace protean
