// Model::predict() and predict_classes() on inputs a library caller can get wrong.
#include "protean/model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "protean/error.hpp"

namespace protean {
namespace {

using ::testing::HasSubstr;

Model one_input_regression() {
  Model model;
  model.network = Network(1);
  model.network.add_dense(4, Activation::relu).add_dense(1);
  model.network.initialize(3);
  model.input_names = {"x"};
  model.target_names = {"y"};
  model.loss = "mse";
  return model;
}

TEST(Model, PredictRejectsNaNInput) {
  Model model = one_input_regression();
  Matrix inputs = Matrix::zeros(3, 1);
  inputs(2, 0) = std::numeric_limits<float>::quiet_NaN();
  try {
    model.predict(inputs);
    FAIL() << "a NaN input was accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.problem(), HasSubstr("row 3"));
    EXPECT_THAT(e.problem(), HasSubstr("'x'"));
    EXPECT_THAT(e.problem(), HasSubstr("nan"));
  }
}

TEST(Model, PredictRejectsInfiniteInput) {
  Model model = one_input_regression();
  Matrix inputs = Matrix::filled(1, 1, std::numeric_limits<float>::infinity());
  EXPECT_THROW(model.predict(inputs), Error);
}

TEST(Model, PredictClassesRejectsRegression) {
  Model model = one_input_regression();
  Matrix inputs = Matrix::zeros(1, 1);
  try {
    model.predict_classes(inputs);
    FAIL() << "predict_classes() ran on a regression model";
  } catch (const Error& e) {
    EXPECT_THAT(e.problem(), HasSubstr("classification model"));
    EXPECT_THAT(e.fix(), HasSubstr("predict()"));
  }
}

}  // namespace
}  // namespace protean
