#include "protean/layers/residual.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "layer_test_support.hpp"

namespace protean {
namespace {

using testing::random_matrix;

TEST(ResidualBlock, GradientsMatchFiniteDifferences) {
  for (Backend* backend : {&reference_backend(), &cpu_backend()}) {
    for (const Index inputs : {Index{4}, Index{3}}) {  // identity skip, then a projection
      for (const Activation activation : {Activation::tanh, Activation::gelu}) {
        Rng rng(21);
        ResidualBlock block(inputs, 4, activation);
        block.set_backend(*backend);
        block.initialize(rng);
        // initialize() zeroes W₂, which would make the first layer's gradients zero, so draw W₂ here.
        block.second().weight() = random_matrix(4, 4, rng);
        const std::string name = "residual " + std::to_string(inputs) + "->4 " + std::string(to_string(activation)) + " on " +
                                 std::string(backend->name());
        testing::expect_layer_gradients(name, block, random_matrix(5, inputs, rng), Mode::training);
      }
    }
  }
}

TEST(ResidualBlock, ZeroResidualIsSkipPath) {
  Rng rng(4);
  ResidualBlock same(3, 3, Activation::relu);
  same.initialize(rng);
  same.second().weight().fill(0.0f);
  same.second().bias().fill(0.0f);
  const Matrix x = random_matrix(6, 3, rng);
  EXPECT_TRUE(bitwise_equal(same.forward(x, Mode::inference), x));
  EXPECT_FALSE(same.has_projection());

  ResidualBlock widening(3, 5, Activation::relu);
  widening.initialize(rng);
  widening.second().weight().fill(0.0f);
  widening.second().bias().fill(0.0f);
  ASSERT_TRUE(widening.has_projection());
  const Matrix y = Matrix::copy_of(widening.forward(x, Mode::inference));
  for (Index r = 0; r < 6; ++r) {
    for (Index c = 0; c < 5; ++c) {
      float expected = 0.0f;
      for (Index i = 0; i < 3; ++i) expected += x(r, i) * widening.projection()(i, c);
      EXPECT_NEAR(y(r, c), expected, 1e-5f);
    }
  }
}

TEST(ResidualBlock, FreshBlockIsSkipPath) {
  Rng rng(12);
  ResidualBlock block(4, 4, Activation::relu);
  block.initialize(rng);
  const Matrix x = random_matrix(5, 4, rng);
  EXPECT_TRUE(bitwise_equal(block.forward(x, Mode::inference), x));
  float first_magnitude = 0.0f;
  for (Index i = 0; i < block.first().weight().size(); ++i) first_magnitude += std::abs(block.first().weight().data()[i]);
  EXPECT_GT(first_magnitude, 0.0f) << "only W₂ starts at zero";
}

TEST(ResidualBlock, ParameterNamesAndCount) {
  ResidualBlock block(3, 5, Activation::relu);
  std::vector<std::string> names;
  for (const auto& parameter : block.parameters()) names.push_back(parameter.name);
  EXPECT_EQ(names, (std::vector<std::string>{"first.weight", "first.bias", "second.weight", "second.bias", "projection.weight"}));
  EXPECT_EQ(block.parameter_count(), 3 * 5 + 5 + 5 * 5 + 5 + 3 * 5);
  EXPECT_EQ(ResidualBlock(5, 5, Activation::relu).parameters().size(), 4u);
}

TEST(ResidualBlock, ModesGiveSameOutput) {
  Rng rng(8);
  ResidualBlock block(4, 4, Activation::silu);
  block.initialize(rng);
  const Matrix x = random_matrix(7, 4, rng);
  const Matrix training = Matrix::copy_of(block.forward(x, Mode::training));
  EXPECT_TRUE(bitwise_equal(block.forward(x, Mode::inference), training));
}

}  // namespace
}  // namespace protean
