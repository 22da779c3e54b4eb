#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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

// Adam notes a NaN or infinity as it writes the weights, in the vector loop and in its tail.
// Sizes 37 and 5000 cover a partial vector, several chunks and several pieces.
TEST(Adam, ReportsWhetherItsStepWroteOnlyFiniteValues) {
  const float bad_values[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity()};
  for (const Index size : {Index{37}, Index{5000}}) {
    for (const Index where : {Index{0}, Index{17}, size - 1}) {
      for (const float bad : bad_values) {
        Matrix value = Matrix::filled(1, size, 0.5f);
        Matrix grad = Matrix::filled(1, size, 0.25f);
        const std::vector<Parameter> list = {{"w", value.view(), grad.view()}};
        Adam adam(0.01f);
        EXPECT_FALSE(adam.last_step_finite().has_value());
        adam.step(list);
        EXPECT_EQ(adam.last_step_finite(), std::optional<bool>(true));
        grad(0, where) = bad;
        adam.step(list);
        EXPECT_EQ(adam.last_step_finite(), std::optional<bool>(false)) << size << " " << where << " " << bad;
        EXPECT_FALSE(std::isfinite(value(0, where)));
        // The moments now hold the NaN too; start them again from a clean optimizer's.
        grad.fill(0.25f);
        value.fill(0.5f);
        Adam clean(0.01f);
        clean.step(list);
        adam.set_state(clean.state());
        adam.step(list);
        EXPECT_EQ(adam.last_step_finite(), std::optional<bool>(true)) << "the flag is reset every step";
      }
    }
  }
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
