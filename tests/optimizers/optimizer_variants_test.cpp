// One-step formulas of Nesterov SGD, RMSprop, Adam with L2 decay and AdamW, worked by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "protean/optimizers/adam.hpp"
#include "protean/optimizers/adamw.hpp"
#include "protean/optimizers/rmsprop.hpp"
#include "protean/optimizers/sgd.hpp"

namespace protean {
namespace {

// A 1×1 weight and a 1×1 bias, both starting at 1.
struct WeightAndBias {
  Matrix weight = Matrix::filled(1, 1, 1.0f);
  Matrix weight_grad = Matrix::zeros(1, 1);
  Matrix bias = Matrix::filled(1, 1, 1.0f);
  Matrix bias_grad = Matrix::zeros(1, 1);
  std::vector<Parameter> list() {
    return {{"0.weight", weight.view(), weight_grad.view()}, {"0.bias", bias.view(), bias_grad.view()}};
  }
  void set_gradients(float g) {
    weight_grad(0, 0) = g;
    bias_grad(0, 0) = g;
  }
};

TEST(Sgd, NesterovLooksAhead) {
  WeightAndBias p;
  Sgd sgd(0.1f, 0.9f, /*nesterov=*/true);
  EXPECT_EQ(sgd.name(), "nesterov");
  p.set_gradients(1.0f);
  sgd.step(p.list());  // v = 1, update = g + μv = 1.9
  EXPECT_FLOAT_EQ(p.weight(0, 0), 1.0f - 0.1f * 1.9f);
  p.set_gradients(2.0f);
  sgd.step(p.list());  // v = 0.9 + 2 = 2.9, update = 2 + 0.9·2.9 = 4.61
  EXPECT_NEAR(p.weight(0, 0), 1.0 - 0.19 - 0.1 * 4.61, 1e-6);
}

TEST(Sgd, WeightDecaySkipsBiases) {
  WeightAndBias p;
  Sgd sgd(0.1f, 0.0f, false, /*weight_decay=*/0.5f);
  p.set_gradients(1.0f);
  sgd.step(p.list());
  EXPECT_FLOAT_EQ(p.weight(0, 0), 1.0f - 0.1f * (1.0f + 0.5f * 1.0f));
  EXPECT_FLOAT_EQ(p.bias(0, 0), 1.0f - 0.1f * 1.0f);
}

TEST(RmsProp, FirstStepsMatchFormula) {
  WeightAndBias p;
  RmsProp rmsprop(0.01f);
  double s = 0.0, theta = 1.0;
  const double gradients[] = {0.5, -0.25, 2.0};
  for (int t = 0; t < 3; ++t) {
    const double g = gradients[t];
    p.set_gradients(static_cast<float>(g));
    rmsprop.step(p.list());
    s = 0.99 * s + 0.01 * g * g;
    theta -= 0.01 * g / (std::sqrt(s) + 1e-8);
    EXPECT_NEAR(p.weight(0, 0), theta, 1e-5) << "step " << t + 1;
  }
}

TEST(RmsProp, StateRoundTripContinuesIdentically) {
  WeightAndBias a, b;
  RmsProp first(0.01f), second(0.01f);
  a.set_gradients(0.3f);
  b.set_gradients(0.3f);
  first.step(a.list());
  second.step(b.list());
  RmsProp restored(0.01f);
  restored.set_state(second.state());
  a.set_gradients(-0.7f);
  b.set_gradients(-0.7f);
  first.step(a.list());
  restored.step(b.list());
  EXPECT_EQ(a.weight(0, 0), b.weight(0, 0));
}

TEST(Adam, L2DecayIsAddedToTheGradient) {
  WeightAndBias p;
  Adam adam(0.01f, 0.9f, 0.999f, 1e-8f, /*weight_decay=*/0.1f);
  p.set_gradients(0.0f);
  adam.step(p.list());
  // The weight sees g = 0 + 0.1·1; Adam's first step moves by lr·sign(g), whatever g's size.
  EXPECT_NEAR(p.weight(0, 0), 1.0 - 0.01, 1e-6);
  EXPECT_FLOAT_EQ(p.bias(0, 0), 1.0f);
}

TEST(AdamW, DecayIsDecoupledFromTheGradient) {
  WeightAndBias p;
  AdamW adamw(0.01f, /*weight_decay=*/0.1f);
  EXPECT_EQ(adamw.name(), "adamw");
  double m = 0.0, v = 0.0, theta = 1.0;
  const double gradients[] = {0.5, -0.25, 2.0};
  for (int t = 1; t <= 3; ++t) {
    const double g = gradients[t - 1];
    p.set_gradients(static_cast<float>(g));
    adamw.step(p.list());
    theta *= 1.0 - 0.01 * 0.1;
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    theta -= 0.01 * (m / (1.0 - std::pow(0.9, t))) / (std::sqrt(v / (1.0 - std::pow(0.999, t))) + 1e-8);
    EXPECT_NEAR(p.weight(0, 0), theta, 1e-6) << "step " << t;
  }
}

TEST(AdamW, ZeroGradientStillShrinksWeights) {
  WeightAndBias p;
  AdamW adamw(0.1f, 0.5f);
  p.set_gradients(0.0f);
  adamw.step(p.list());
  EXPECT_FLOAT_EQ(p.weight(0, 0), 1.0f - 0.1f * 0.5f);
  EXPECT_FLOAT_EQ(p.bias(0, 0), 1.0f);
}

TEST(AdamW, StateRoundTripContinuesIdentically) {
  WeightAndBias a, b;
  AdamW first(0.01f), second(0.01f);
  a.set_gradients(0.3f);
  b.set_gradients(0.3f);
  first.step(a.list());
  second.step(b.list());
  AdamW restored(0.01f);
  restored.set_state(second.state());
  a.set_gradients(-0.7f);
  b.set_gradients(-0.7f);
  first.step(a.list());
  restored.step(b.list());
  EXPECT_EQ(a.weight(0, 0), b.weight(0, 0));
  EXPECT_EQ(restored.steps(), 2);
}

TEST(MakeOptimizer, NewNamesAndDefaults) {
  EXPECT_EQ(make_optimizer("nesterov", 0.01f)->name(), "nesterov");
  EXPECT_EQ(make_optimizer("rmsprop", 0.001f)->name(), "rmsprop");
  const auto adamw = make_optimizer("adamw", 0.001f);
  ASSERT_NE(adamw, nullptr);
  EXPECT_EQ(adamw->name(), "adamw");
  EXPECT_FLOAT_EQ(dynamic_cast<AdamW&>(*adamw).weight_decay(), 0.01f);
  EXPECT_FLOAT_EQ(dynamic_cast<Adam&>(*make_optimizer("adam", 0.001f, 0.2f)).weight_decay(), 0.2f);
  EXPECT_EQ(make_optimizer("lbfgs", 1.0f), nullptr);
}

}  // namespace
}  // namespace protean
