#include "protean/data/standardizer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "data/data_test_support.hpp"
#include "protean/error.hpp"

namespace protean {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_support::error_from;

Matrix matrix_of(Index rows, Index cols, const std::vector<float>& values) {
  Matrix m = Matrix::zeros(rows, cols);
  for (Index i = 0; i < rows * cols; ++i) m.data()[i] = values[static_cast<std::size_t>(i)];
  return m;
}

TEST(Standardizer, FitsMeanAndPopulationDeviation) {
  const Matrix data = matrix_of(4, 2, {1, 10, 2, 10, 3, 30, 4, 30});
  const Standardizer standardizer = Standardizer::fit(data);
  EXPECT_TRUE(standardizer.fitted());
  EXPECT_EQ(standardizer.width(), 2);
  EXPECT_FLOAT_EQ(standardizer.mean()(0, 0), 2.5f);
  EXPECT_FLOAT_EQ(standardizer.mean()(0, 1), 20.0f);
  EXPECT_FLOAT_EQ(standardizer.scale()(0, 0), std::sqrt(1.25f));
  EXPECT_FLOAT_EQ(standardizer.scale()(0, 1), 10.0f);
  EXPECT_TRUE(standardizer.constant_columns().empty());
}

TEST(Standardizer, TransformGivesZeroMeanUnitDeviation) {
  Matrix data = matrix_of(5, 1, {2, 4, 4, 5, 10});
  const Standardizer standardizer = Standardizer::fit(data);
  standardizer.transform(data);
  double sum = 0.0;
  double squares = 0.0;
  for (Index r = 0; r < 5; ++r) {
    sum += data(r, 0);
    squares += data(r, 0) * data(r, 0);
  }
  EXPECT_NEAR(sum / 5.0, 0.0, 1e-6);
  EXPECT_NEAR(squares / 5.0, 1.0, 1e-6);
}

TEST(Standardizer, RoundTrip) {
  const Matrix original = matrix_of(4, 3, {1.5f, -200, 0.001f, 2.5f, 300, 0.002f, -7, 12, 0.004f, 9, 0, 0.003f});
  Matrix data = original;
  const Standardizer standardizer = Standardizer::fit(data);
  standardizer.transform(data);
  standardizer.inverse_transform(data);
  for (Index r = 0; r < 4; ++r) {
    for (Index c = 0; c < 3; ++c) {
      EXPECT_NEAR(data(r, c), original(r, c), 1e-5 * std::max(1.0f, std::fabs(original(r, c)))) << r << "," << c;
    }
  }
}

TEST(Standardizer, ConstantColumnIsExactlyZero) {
  Matrix data = matrix_of(7, 2, {0.1f, 1, 0.1f, 2, 0.1f, 3, 0.1f, 4, 0.1f, 5, 0.1f, 6, 0.1f, 7});
  const Standardizer standardizer = Standardizer::fit(data);
  EXPECT_THAT(standardizer.constant_columns(), ElementsAre(0));
  EXPECT_EQ(standardizer.scale()(0, 0), 1.0f);
  standardizer.transform(data);
  for (Index r = 0; r < 7; ++r) EXPECT_EQ(data(r, 0), 0.0f) << "row " << r;
}

TEST(Standardizer, ConstantColumnRoundTrip) {
  Matrix data = matrix_of(3, 1, {-3.25f, -3.25f, -3.25f});
  const Standardizer standardizer = Standardizer::fit(data);
  standardizer.transform(data);
  standardizer.inverse_transform(data);
  EXPECT_EQ(data(1, 0), -3.25f);
}

TEST(Standardizer, TinySpreadNearZeroIsConstant) {
  const Matrix data = matrix_of(2, 1, {0.0f, 1e-20f});
  EXPECT_THAT(Standardizer::fit(data).constant_columns(), ElementsAre(0));
}

TEST(Standardizer, SmallSpreadAroundLargeMeanIsNotConstant) {
  const Matrix data = matrix_of(3, 1, {1e6f, 1e6f + 1, 1e6f + 2});
  const Standardizer standardizer = Standardizer::fit(data);
  EXPECT_TRUE(standardizer.constant_columns().empty());
  EXPECT_FLOAT_EQ(standardizer.scale()(0, 0), std::sqrt(2.0f / 3.0f));
}

TEST(Standardizer, SingleRowIsConstant) {
  const Matrix data = matrix_of(1, 2, {4, 5});
  EXPECT_THAT(Standardizer::fit(data).constant_columns(), ElementsAre(0, 1));
}

TEST(Standardizer, RobustFitIgnoresOutliers) {
  // Column 0: median 3, absolute deviations {2, 1, 0, 1, 999997} with median 1.
  // Column 1: median 2, absolute deviations {1, 0, 2, 3, 1000002} with median 2.
  const Matrix data = matrix_of(5, 2, {1, 1, 2, 2, 3, 4, 4, 5, 1e6f, -1e6f});
  const Standardizer robust = Standardizer::fit_robust(data);
  EXPECT_FLOAT_EQ(robust.mean()(0, 0), 3.0f);
  EXPECT_FLOAT_EQ(robust.scale()(0, 0), 1.4826f);
  EXPECT_FLOAT_EQ(robust.mean()(0, 1), 2.0f);
  EXPECT_FLOAT_EQ(robust.scale()(0, 1), 1.4826f * 2.0f);
  EXPECT_TRUE(robust.constant_columns().empty());
  // The standard deviation of the same data is about 4e5.
  EXPECT_GT(Standardizer::fit(data).scale()(0, 0), 1e5f);
}

TEST(Standardizer, RobustFitMedianOfEvenCount) {
  const Matrix data = matrix_of(4, 1, {1, 2, 4, 100});
  const Standardizer robust = Standardizer::fit_robust(data);
  EXPECT_FLOAT_EQ(robust.mean()(0, 0), 3.0f);
  // Absolute deviations {2, 1, 1, 97}: median 1.5.
  EXPECT_FLOAT_EQ(robust.scale()(0, 0), 1.4826f * 1.5f);
}

TEST(Standardizer, RobustFitZeroMadUsesDeviation) {
  const Matrix data = matrix_of(5, 1, {7, 7, 7, 8, 9});
  const Standardizer robust = Standardizer::fit_robust(data);
  const Standardizer plain = Standardizer::fit(data);
  EXPECT_FLOAT_EQ(robust.mean()(0, 0), plain.mean()(0, 0));
  EXPECT_FLOAT_EQ(robust.scale()(0, 0), plain.scale()(0, 0));
}

TEST(Standardizer, RobustFitKeepsConstantColumns) {
  const Matrix data = matrix_of(3, 2, {5, 1, 5, 2, 5, 3});
  const Standardizer robust = Standardizer::fit_robust(data);
  EXPECT_THAT(robust.constant_columns(), ElementsAre(0));
  EXPECT_FLOAT_EQ(robust.scale()(0, 0), 1.0f);
}

TEST(Standardizer, FitsStridedView) {
  // A 4×3 matrix; the view covers its first two columns only.
  const Matrix data = matrix_of(4, 3, {1, 10, 1000, 2, 20, -1000, 3, 30, 1000, 4, 40, -1000});
  const ConstMatrixView view(data.data(), 4, 2, 3);
  const Standardizer standardizer = Standardizer::fit(view);
  EXPECT_EQ(standardizer.width(), 2);
  EXPECT_FLOAT_EQ(standardizer.mean()(0, 0), 2.5f);
  EXPECT_FLOAT_EQ(standardizer.mean()(0, 1), 25.0f);
}

TEST(Standardizer, TransformsStridedViewInPlace) {
  Matrix data = matrix_of(2, 3, {1, 3, 99, 3, 7, 99});
  const MatrixView view(data.data(), 2, 2, 3);
  const Standardizer standardizer = Standardizer::fit(view);
  standardizer.transform(view);
  EXPECT_FLOAT_EQ(data(0, 0), -1.0f);
  EXPECT_FLOAT_EQ(data(1, 1), 1.0f);
  EXPECT_EQ(data(0, 2), 99.0f);
  EXPECT_EQ(data(1, 2), 99.0f);
}

TEST(Standardizer, FitsMiddleRows) {
  const Matrix data = matrix_of(4, 1, {100, 1, 3, 100});
  const Standardizer standardizer = Standardizer::fit(data.middle_rows(1, 2));
  EXPECT_FLOAT_EQ(standardizer.mean()(0, 0), 2.0f);
  EXPECT_FLOAT_EQ(standardizer.scale()(0, 0), 1.0f);
  EXPECT_TRUE(standardizer.constant_columns().empty());
}

TEST(Standardizer, GivenMeanAndScale) {
  const Standardizer standardizer(matrix_of(1, 2, {1, 2}), matrix_of(1, 2, {2, 4}));
  Matrix data = matrix_of(1, 2, {5, 10});
  standardizer.transform(data);
  EXPECT_EQ(data(0, 0), 2.0f);
  EXPECT_EQ(data(0, 1), 2.0f);
}

TEST(Standardizer, DefaultIsNotFitted) { EXPECT_FALSE(Standardizer().fitted()); }

TEST(Standardizer, WidthMismatchRejected) {
  const Standardizer standardizer = Standardizer::fit(matrix_of(2, 2, {1, 2, 3, 4}));
  Matrix data = Matrix::zeros(2, 3);
  const Error error = error_from([&] { standardizer.transform(data); });
  EXPECT_THAT(error.what(), HasSubstr("data with 3 columns"));
  EXPECT_THAT(error.what(), HasSubstr("fitted on 2 columns"));
  EXPECT_THAT(error.what(), HasSubstr("same input columns"));
  const Error inverse_error = error_from([&] { standardizer.inverse_transform(data); });
  EXPECT_THAT(inverse_error.what(), HasSubstr("fitted on 2 columns"));
}

TEST(Standardizer, ZeroRowsRejected) {
  const Matrix data = Matrix::zeros(0, 3);
  const Error error = error_from([&] { Standardizer::fit(data); });
  EXPECT_THAT(error.what(), HasSubstr("0 rows"));
}

}  // namespace
}  // namespace protean
