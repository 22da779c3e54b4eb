// Model::predict(), predict_classes() and evaluate() on inputs a library caller can get wrong.
#include "protean/model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "protean/error.hpp"

namespace protean {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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


TEST(Model, EmptyModelSaysHowToGetOne) {
  Model model;
  const Matrix inputs = Matrix::zeros(2, 3);
  for (int call = 0; call < 2; ++call) {
    try {
      if (call == 0) model.predict(inputs);
      if (call == 1) model.predict_classes(inputs);
      FAIL() << "an empty model predicted, call " << call;
    } catch (const Error& e) {
      EXPECT_THAT(e.problem(), HasSubstr("the model is empty")) << call;
      EXPECT_THAT(e.problem(), Not(HasSubstr("expects 0 input columns"))) << call;
      EXPECT_THAT(e.fix(), HasSubstr("load_model()")) << call;
      EXPECT_THAT(e.fix(), HasSubstr("fit()")) << call;
    }
  }
}

TEST(Model, EmptyModelEvaluateSaysHowToGetOne) {
  Model model;
  Dataset data;
  data.inputs = Matrix::zeros(2, 1);
  data.targets = Matrix::zeros(2, 1);
  data.input_names = {"x"};
  data.target_names = {"y"};
  try {
    model.evaluate(data);
    FAIL() << "an empty model was evaluated";
  } catch (const Error& e) {
    EXPECT_THAT(e.problem(), HasSubstr("the model is empty"));
  }
}

TEST(Model, EvaluateRejectsRowMismatch) {
  Model model = one_input_regression();
  Dataset data;
  data.inputs = Matrix::zeros(5, 1);
  data.targets = Matrix::zeros(3, 1);
  data.input_names = {"x"};
  data.target_names = {"y"};
  try {
    model.evaluate(data);
    FAIL() << "5 input rows and 3 target rows were accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.problem(), HasSubstr("5 input rows but 3 target rows"));
  }
}

TEST(Model, EvaluateRejectsNaNTarget) {
  Model model = one_input_regression();
  Dataset data;
  data.inputs = Matrix::zeros(4, 1);
  data.targets = Matrix::zeros(4, 1);
  data.targets(2, 0) = std::numeric_limits<float>::quiet_NaN();
  data.input_names = {"x"};
  data.target_names = {"y"};
  try {
    model.evaluate(data);
    FAIL() << "a NaN target was scored";
  } catch (const Error& e) {
    EXPECT_THAT(e.problem(), HasSubstr("row 3, target column 'y'"));
  }
}

// Two classes: logit 1 is x and logit 0 is -x, so a positive x predicts class 1.
Model sign_classifier(std::vector<std::string> class_names) {
  Model model;
  model.network = Network(1);
  model.network.add_dense(2);
  model.network.initialize(3);
  std::vector<Parameter> parameters = model.network.parameters();
  parameters.at(0).value(0, 0) = -1.0f;  // weight, I×O
  parameters.at(0).value(0, 1) = 1.0f;
  parameters.at(1).value(0, 0) = 0.0f;  // bias
  parameters.at(1).value(0, 1) = 0.0f;
  model.task = Task::classification;
  model.input_names = {"x"};
  model.target_names = {"label"};
  model.class_names = std::move(class_names);
  model.loss = "cross_entropy";
  return model;
}

TEST(Model, EvaluateMatchesNumericLabelsAsNumbers) {
  Model model = sign_classifier({"0", "1"});
  Dataset data;
  data.task = Task::classification;
  data.inputs = Matrix::zeros(4, 1);
  data.inputs(0, 0) = -1.0f;
  data.inputs(1, 0) = 2.0f;
  data.inputs(2, 0) = 3.0f;
  data.inputs(3, 0) = -4.0f;
  // The data's own class list, written as another export would: "0.0" is the model's "0".
  data.class_names = {"0.0", "1.00"};
  data.targets = Matrix::zeros(4, 1);
  data.targets(1, 0) = 1.0f;
  data.targets(2, 0) = 1.0f;
  data.input_names = {"x"};
  data.target_names = {"label"};
  const Metrics metrics = model.evaluate(data);
  ASSERT_TRUE(metrics.accuracy.has_value());
  EXPECT_DOUBLE_EQ(*metrics.accuracy, 1.0);
}

}  // namespace
}  // namespace protean
