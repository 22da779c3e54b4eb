#include "protean/report/decomposition.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "protean/error.hpp"
#include "protean/layers/dense.hpp"

namespace protean {
namespace {

// A 1→10→1 sigmoid network with random weights and standardizers far from identity, so that a
// mistake in undoing the standardization shows.
Model sigmoid_model(Index units = 10) {
  Model model;
  model.task = Task::regression;
  model.network = Network(1);
  model.network.add_dense(units, Activation::sigmoid).add_dense(1);
  model.network.initialize(7);
  // Make the output bias and weights non-trivial.
  auto& output = static_cast<Dense&>(model.network.layer(1));
  output.bias()(0, 0) = 0.3f;
  auto& hidden = static_cast<Dense&>(model.network.layer(0));
  for (Index i = 0; i < units; ++i) hidden.bias()(0, i) = 0.2f * static_cast<float>(i) - 1.0f;
  model.input_scaler = Standardizer(Matrix::filled(1, 1, 3.0f), Matrix::filled(1, 1, 2.0f));
  model.target_scaler = Standardizer(Matrix::filled(1, 1, -5.0f), Matrix::filled(1, 1, 7.0f));
  model.input_names = {"x"};
  model.target_names = {"y"};
  model.loss = "mse";
  return model;
}

std::vector<float> grid(float low, float high, int count) {
  std::vector<float> xs;
  for (int k = 0; k < count; ++k) xs.push_back(low + (high - low) * static_cast<float>(k) / static_cast<float>(count - 1));
  return xs;
}

TEST(Decomposition, SumMatchesPredictOnSigmoidNetwork) {
  Model model = sigmoid_model();
  const std::vector<float> xs = grid(-4.0f, 10.0f, 301);
  const Decomposition parts = decompose(model, xs);
  const Matrix predicted = model.predict(ConstMatrixView(xs.data(), static_cast<Index>(xs.size()), 1));

  const auto [low, high] = std::minmax_element(predicted.data(), predicted.data() + predicted.rows());
  const double range = std::max(static_cast<double>(*high - *low), 1e-6);
  ASSERT_EQ(parts.total.size(), xs.size());
  ASSERT_EQ(parts.units.size(), 10u);
  for (std::size_t k = 0; k < xs.size(); ++k) {
    EXPECT_NEAR(parts.total[k], predicted(static_cast<Index>(k), 0), 1e-5 * range) << "at x = " << xs[k];
  }

  // The total is the output bias plus the sum of the unit terms.
  for (std::size_t k = 0; k < xs.size(); k += 50) {
    double sum = parts.output_bias;
    for (const UnitTerm& unit : parts.units) sum += unit.values[k];
    EXPECT_NEAR(parts.total[k], sum, 1e-5 * range);
  }
}

TEST(Decomposition, TermsUseOriginalUnitParameters) {
  Model model = sigmoid_model();
  const std::vector<float> xs = grid(-1.0f, 7.0f, 9);
  const Decomposition parts = decompose(model, xs);
  const auto& hidden = static_cast<const Dense&>(model.network.layer(0));
  const auto& output = static_cast<const Dense&>(model.network.layer(1));

  EXPECT_NEAR(parts.output_bias, 7.0 * output.bias()(0, 0) - 5.0, 1e-6);
  for (const UnitTerm& unit : parts.units) {
    EXPECT_NEAR(unit.output_weight, 7.0 * output.weight()(unit.unit, 0), 1e-6);
    EXPECT_NEAR(unit.input_weight, hidden.weight()(0, unit.unit) / 2.0, 1e-6);
    EXPECT_NEAR(unit.input_bias, hidden.bias()(0, unit.unit) - hidden.weight()(0, unit.unit) * 3.0 / 2.0, 1e-6);
    for (std::size_t k = 0; k < xs.size(); ++k) {
      const double expected =
          unit.output_weight * (1.0 / (1.0 + std::exp(-(unit.input_weight * xs[k] + unit.input_bias))));
      EXPECT_NEAR(unit.values[k], expected, 1e-5 * std::max(1.0, std::abs(expected)));
    }
  }
}

TEST(Decomposition, OrderBySpanIsDescending) {
  const Decomposition parts = decompose(sigmoid_model(), grid(-4.0f, 10.0f, 101));
  const std::vector<std::size_t> order = parts.order_by_span();
  ASSERT_EQ(order.size(), parts.units.size());
  for (std::size_t k = 1; k < order.size(); ++k) EXPECT_GE(parts.units[order[k - 1]].span, parts.units[order[k]].span);
}

TEST(Decomposition, RejectsTwoHiddenLayers) {
  Model model = sigmoid_model();
  model.network = Network(1);
  model.network.add_dense(4, Activation::relu).add_dense(4, Activation::relu).add_dense(1);
  model.network.initialize(1);
  const auto reason = decomposition_unsupported_reason(model);
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("2 hidden layers"), std::string::npos) << *reason;
  EXPECT_THROW(decompose(model, {0.0f}), Error);
}

TEST(Decomposition, RejectsTwoInputs) {
  Model model = sigmoid_model();
  model.network = Network(2);
  model.network.add_dense(4, Activation::sigmoid).add_dense(1);
  model.network.initialize(1);
  const auto reason = decomposition_unsupported_reason(model);
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("2 inputs"), std::string::npos) << *reason;
}

TEST(Decomposition, RejectsCategoricalInput) {
  Model model = sigmoid_model();
  model.input_encoding = InputEncoding({InputColumn{"kind", {"shell"}}});
  model.input_names = {"kind=shell"};
  const auto reason = decomposition_unsupported_reason(model);
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("input column 'kind' is categorical"), std::string::npos) << *reason;
}

TEST(Decomposition, RejectsClassifier) {
  Model model = sigmoid_model();
  model.task = Task::classification;
  EXPECT_TRUE(decomposition_unsupported_reason(model).has_value());
}

}  // namespace
}  // namespace protean
