#include "protean/activations/activation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace protean {
namespace {

// Points away from each function's kinks (0 for ReLU, ±3 for hard sigmoid), where the
// derivative is defined on both sides.
const float kPoints[] = {-7.5f, -2.9f, -1.3f, -0.4f, -0.05f, 0.07f, 0.6f, 1.9f, 2.7f, 8.0f};

TEST(Activation, DerivativeMatchesFiniteDifferences) {
  for (const Activation activation : all_activations()) {
    for (const float x : kPoints) {
      const double h = 1e-3;
      const double up = activation_value(activation, static_cast<float>(x + h));
      const double down = activation_value(activation, static_cast<float>(x - h));
      const double numeric = (up - down) / (2 * h);
      const float y = activation_value(activation, x);
      const double analytic = activation_derivative(activation, x, y);
      // Relative for large slopes: sine's derivative reaches 30.
      EXPECT_NEAR(analytic, numeric, 2e-3 * std::max(1.0, std::abs(analytic))) << to_string(activation) << " at x = " << x;
    }
  }
}

TEST(Activation, DerivativeReadsOnlyOutput) {
  // For activations with kDerivativeFromOutput, passing a wrong x must not matter.
  for (const Activation activation : all_activations()) {
    if (derivative_needs_input(activation)) continue;
    for (const float x : kPoints) {
      const float y = activation_value(activation, x);
      EXPECT_EQ(activation_derivative(activation, x, y), activation_derivative(activation, 123.0f, y))
          << to_string(activation);
    }
  }
}

TEST(Activation, SigmoidStableAtExtremes) {
  EXPECT_EQ(activation_value(Activation::sigmoid, 1000.0f), 1.0f);
  EXPECT_EQ(activation_value(Activation::sigmoid, -1000.0f), 0.0f);
  EXPECT_FLOAT_EQ(activation_value(Activation::sigmoid, 0.0f), 0.5f);
  EXPECT_TRUE(std::isfinite(activation_derivative(Activation::sigmoid, -1000.0f, 0.0f)));
  // Far in the negative tail the value is tiny but not flushed to zero by cancellation.
  EXPECT_GT(activation_value(Activation::sigmoid, -80.0f), 0.0f);
}

TEST(Activation, SoftplusStableAtExtremes) {
  EXPECT_FLOAT_EQ(activation_value(Activation::softplus, 1000.0f), 1000.0f);
  EXPECT_EQ(activation_value(Activation::softplus, -1000.0f), 0.0f);
  EXPECT_FLOAT_EQ(activation_value(Activation::softplus, 0.0f), std::log(2.0f));
  EXPECT_FLOAT_EQ(activation_derivative(Activation::softplus, 1000.0f, 1000.0f), 1.0f);
}

TEST(Activation, TanhStableAtExtremes) {
  EXPECT_EQ(activation_value(Activation::tanh, 1000.0f), 1.0f);
  EXPECT_EQ(activation_value(Activation::tanh, -1000.0f), -1.0f);
}

TEST(Activation, HardSigmoidShape) {
  EXPECT_EQ(activation_value(Activation::hard_sigmoid, -3.5f), 0.0f);
  EXPECT_EQ(activation_value(Activation::hard_sigmoid, 3.5f), 1.0f);
  EXPECT_FLOAT_EQ(activation_value(Activation::hard_sigmoid, 0.0f), 0.5f);
  EXPECT_FLOAT_EQ(activation_derivative(Activation::hard_sigmoid, 0.0f, 0.5f), 1.0f / 6.0f);
  EXPECT_EQ(activation_derivative(Activation::hard_sigmoid, 5.0f, 1.0f), 0.0f);
}

TEST(Activation, LeakyReluKeepsNegativeSlope) {
  EXPECT_FLOAT_EQ(activation_value(Activation::leaky_relu, -2.0f), -0.02f);
  EXPECT_FLOAT_EQ(activation_derivative(Activation::leaky_relu, -2.0f, -0.02f), 0.01f);
}

TEST(Activation, NewActivationValues) {
  EXPECT_FLOAT_EQ(activation_value(Activation::elu, -1.0f), std::expm1(-1.0f));
  EXPECT_FLOAT_EQ(activation_value(Activation::elu, 2.0f), 2.0f);
  EXPECT_NEAR(activation_value(Activation::gelu, 1.0f), 0.8413447f, 1e-6f);  // 1·Φ(1)
  EXPECT_NEAR(activation_value(Activation::gelu, -1.0f), -0.1586553f, 1e-6f);
  EXPECT_NEAR(activation_value(Activation::silu, 1.0f), 0.7310586f, 1e-6f);  // σ(1)
  EXPECT_FLOAT_EQ(activation_value(Activation::softsign, 1.0f), 0.5f);
  EXPECT_FLOAT_EQ(activation_value(Activation::softsign, -3.0f), -0.75f);
  EXPECT_EQ(activation_value(Activation::hard_tanh, 2.0f), 1.0f);
  EXPECT_EQ(activation_value(Activation::hard_tanh, -2.0f), -1.0f);
  EXPECT_EQ(activation_value(Activation::hard_tanh, 0.25f), 0.25f);
  EXPECT_FLOAT_EQ(activation_value(Activation::sine, 0.1f), std::sin(3.0f));
}

TEST(Activation, StableAtExtremes) {
  for (const Activation activation : {Activation::elu, Activation::gelu, Activation::silu, Activation::softsign}) {
    for (const float x : {-1000.0f, 1000.0f}) {
      const float y = activation_value(activation, x);
      EXPECT_TRUE(std::isfinite(y)) << to_string(activation) << " at " << x;
      EXPECT_TRUE(std::isfinite(activation_derivative(activation, x, y))) << to_string(activation) << " at " << x;
    }
  }
  EXPECT_FLOAT_EQ(activation_value(Activation::elu, -1000.0f), -1.0f);
  EXPECT_EQ(activation_value(Activation::gelu, -1000.0f), 0.0f);
  EXPECT_FLOAT_EQ(activation_value(Activation::silu, 1000.0f), 1000.0f);
}

TEST(Activation, InputDerivativeSet) {
  std::vector<Activation> needs_input;
  for (const Activation activation : all_activations()) {
    if (derivative_needs_input(activation)) needs_input.push_back(activation);
  }
  EXPECT_EQ(needs_input, (std::vector<Activation>{Activation::gelu, Activation::silu, Activation::sine}));
}

TEST(Activation, NamesRoundTrip) {
  for (const Activation activation : all_activations()) {
    const auto parsed = parse_activation(to_string(activation));
    ASSERT_TRUE(parsed.has_value()) << to_string(activation);
    EXPECT_EQ(*parsed, activation);
  }
  EXPECT_FALSE(parse_activation("relu6").has_value());
  EXPECT_EQ(parse_activation("swish"), Activation::silu);
  EXPECT_EQ(activation_names(),
            "identity, sigmoid, hard_sigmoid, relu, leaky_relu, tanh, softplus, elu, gelu, silu, softsign, hard_tanh, sine");
}

}  // namespace
}  // namespace protean
