#include <gtest/gtest.h>

#include <cmath>

#include "protean/optimizers/adam.hpp"
#include "protean/optimizers/sgd.hpp"

namespace protean {
namespace {

struct OneParameter {
  Matrix value = Matrix::filled(1, 2, 1.0f);
  Matrix grad = Matrix::zeros(1, 2);
  std::vector<Parameter> list() { return {{"p", value.view(), grad.view()}}; }
};

TEST(Sgd, MomentumAccumulates) {
  OneParameter p;
  Sgd sgd(0.1f, 0.9f);
  p.grad(0, 0) = 1.0f;
  p.grad(0, 1) = -2.0f;
  sgd.step(p.list());  // v = g
  EXPECT_FLOAT_EQ(p.value(0, 0), 1.0f - 0.1f);
  EXPECT_FLOAT_EQ(p.value(0, 1), 1.0f + 0.2f);
  sgd.step(p.list());  // v = 0.9 g + g
  EXPECT_FLOAT_EQ(p.value(0, 0), 1.0f - 0.1f - 0.1f * 1.9f);
}

TEST(Adam, FirstStepsMatchFormula) {
  OneParameter p;
  Adam adam(0.01f);
  double m = 0.0, v = 0.0, theta = 1.0;
  const double gradients[] = {0.5, -0.25, 2.0};
  for (int t = 1; t <= 3; ++t) {
    const double g = gradients[t - 1];
    p.grad(0, 0) = static_cast<float>(g);
    adam.step(p.list());
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    const double m_hat = m / (1.0 - std::pow(0.9, t));
    const double v_hat = v / (1.0 - std::pow(0.999, t));
    theta -= 0.01 * m_hat / (std::sqrt(v_hat) + 1e-8);
    EXPECT_NEAR(p.value(0, 0), theta, 1e-6) << "step " << t;
  }
  EXPECT_EQ(adam.steps(), 3);
}

TEST(Adam, StateRoundTripContinuesIdentically) {
  OneParameter a, b;
  Adam first(0.01f), second(0.01f);
  a.grad(0, 0) = 0.3f;
  b.grad(0, 0) = 0.3f;
  first.step(a.list());
  second.step(b.list());
  Adam restored(0.01f);
  restored.set_state(second.state());
  a.grad(0, 0) = -0.7f;
  b.grad(0, 0) = -0.7f;
  first.step(a.list());
  restored.step(b.list());
  EXPECT_EQ(a.value(0, 0), b.value(0, 0));
  EXPECT_EQ(restored.steps(), 2);
}

TEST(MakeOptimizer, KnownAndUnknownNames) {
  EXPECT_EQ(make_optimizer("adam", 1e-3f)->name(), "adam");
  EXPECT_EQ(make_optimizer("sgd", 1e-2f)->learning_rate(), 1e-2f);
  EXPECT_EQ(make_optimizer("lion", 1e-3f), nullptr);
}

}  // namespace
}  // namespace protean
