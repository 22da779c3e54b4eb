// Model files written by earlier releases must keep loading and predicting the same values.
// tests/fixtures/models/README.md lists the files and how each was made.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "protean/io/model_file.hpp"

namespace protean {
namespace {

const std::filesystem::path kFixtures = std::filesystem::path(PROTEAN_SOURCE_DIR) / "tests" / "fixtures" / "models";

TEST(ModelCompatibility, Version1RegressionLoadsAndPredicts) {
  Model model = load_model(kFixtures / "v1_regression_2-3-1.safetensors");
  EXPECT_EQ(model.task, Task::regression);
  EXPECT_EQ(model.input_names, (std::vector<std::string>{"x1", "x2"}));
  EXPECT_EQ(model.target_names, (std::vector<std::string>{"y"}));
  EXPECT_EQ(model.loss, "mse");
  ASSERT_EQ(model.network.layer_count(), 2u);
  EXPECT_EQ(model.network.input_width(), 2);
  EXPECT_EQ(model.network.output_width(), 1);

  // Inputs and the predictions that Protean 0.1.0 printed for them with `protean predict`.
  const float inputs[4][2] = {{-1.5f, -1.0f}, {0.0f, 0.0f}, {0.75f, 0.4f}, {2.0f, -0.6f}};
  const float expected[4] = {2.68345404f, 0.677968502f, -0.464594156f, 1.34371269f};
  Matrix x = Matrix::zeros(4, 2);
  for (Index r = 0; r < 4; ++r) {
    x(r, 0) = inputs[r][0];
    x(r, 1) = inputs[r][1];
  }
  const Matrix y = model.predict(x);
  ASSERT_EQ(y.rows(), 4);
  ASSERT_EQ(y.cols(), 1);
  // A build with other instructions (FMA, vector widths) may round differently in the last bits.
  for (Index r = 0; r < 4; ++r) EXPECT_NEAR(y(r, 0), expected[r], 1e-5f * (1.0f + std::abs(expected[r]))) << "row " << r;
}

TEST(ModelCompatibility, Version3CategoricalLoadsAndPredicts) {
  Model model = load_model(kFixtures / "v3_categorical_4-3-1.safetensors");
  ASSERT_EQ(model.input_encoding.column_count(), 2);
  EXPECT_EQ(model.input_encoding.columns()[0].name, "color");
  EXPECT_EQ(model.input_encoding.columns()[0].categories, (std::vector<std::string>{"blue", "green", "red"}));
  EXPECT_FALSE(model.input_encoding.columns()[1].is_categorical());
  EXPECT_EQ(model.input_names, (std::vector<std::string>{"color=blue", "color=green", "color=red", "x"}));

  // Rows and the predictions that `protean predict` printed for them when the file was written.
  const CsvTable table = parse_csv("x,color\n-0.5,red\n0.25,green\n1.0,blue\n", "new.csv");
  const Matrix y = model.predict(model_dataset(model, table, /*with_targets=*/false).inputs);
  const float expected[3] = {0.753904223f, 0.427114695f, 1.86897862f};
  ASSERT_EQ(y.rows(), 3);
  for (Index r = 0; r < 3; ++r) EXPECT_NEAR(y(r, 0), expected[r], 1e-5f * (1.0f + std::abs(expected[r]))) << "row " << r;
}

}  // namespace
}  // namespace protean
