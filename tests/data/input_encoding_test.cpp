#include "protean/data/input_encoding.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data/data_test_support.hpp"
#include "protean/error.hpp"

namespace protean {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_support::error_from;

InputEncoding sex_and_length() {
  return InputEncoding({InputColumn{"sex", {"F", "I", "M"}}, InputColumn{"length", {}}});
}

TEST(InputEncoding, WidthsOffsetsAndNames) {
  const InputEncoding encoding = sex_and_length();
  EXPECT_EQ(encoding.column_count(), 2);
  EXPECT_EQ(encoding.width(), 4);
  EXPECT_EQ(encoding.offset(0), 0);
  EXPECT_EQ(encoding.offset(1), 3);
  EXPECT_TRUE(encoding.has_categorical());
  EXPECT_THAT(encoding.column_names(), ElementsAre("sex", "length"));
  EXPECT_THAT(encoding.input_names(), ElementsAre("sex=F", "sex=I", "sex=M", "length"));
}

TEST(InputEncoding, NumericHasOneInputPerName) {
  const InputEncoding encoding = InputEncoding::numeric({"a", "b"});
  EXPECT_FALSE(encoding.has_categorical());
  EXPECT_EQ(encoding.width(), 2);
  EXPECT_THAT(encoding.input_names(), ElementsAre("a", "b"));
}

TEST(InputEncoding, EncodesRawRows) {
  const Matrix x = sex_and_length().encode({{"M", "0.5"}, {" F ", "1e-1"}, {"I", "-2"}});
  ASSERT_EQ(x.rows(), 3);
  ASSERT_EQ(x.cols(), 4);
  const float expected[3][4] = {{0, 0, 1, 0.5f}, {1, 0, 0, 0.1f}, {0, 1, 0, -2}};
  for (Index r = 0; r < 3; ++r) {
    for (Index c = 0; c < 4; ++c) EXPECT_FLOAT_EQ(x(r, c), expected[r][c]) << "row " << r << ", input " << c;
  }
}

TEST(InputEncoding, NumericCategoriesCompareAsNumbers) {
  const InputEncoding encoding({InputColumn{"code", {"1", "2", "10"}}});
  EXPECT_EQ(encoding.find_category(0, "1.0"), 0);
  EXPECT_EQ(encoding.find_category(0, " 10 "), 2);
  EXPECT_EQ(encoding.find_category(0, "3"), std::nullopt);
}

TEST(InputEncoding, UnknownCategoryNamesRowValueAndKnown) {
  const Error error = error_from([] { sex_and_length().encode({{"M", "1"}, {"X", "2"}}); });
  EXPECT_THAT(error.problem(), HasSubstr("row 2, column 'sex' is the category 'X'"));
  EXPECT_THAT(error.problem(), HasSubstr("3 categories: 'F', 'I', 'M'"));
  EXPECT_THAT(error.fix(), HasSubstr("one of the known categories"));
}

TEST(InputEncoding, BadNumericCellNamesRowAndValue) {
  const Error error = error_from([] { sex_and_length().encode({{"M", "long"}}); });
  EXPECT_THAT(error.problem(), HasSubstr("row 1, column 'length' is 'long', which is not a finite number"));
}

TEST(InputEncoding, MissingAndEmptyCellsAreErrors) {
  const Error missing = error_from([] { sex_and_length().encode({{"NA", "1"}}); });
  EXPECT_THAT(missing.problem(), HasSubstr("row 1, column 'sex' is the missing value 'NA'"));
  const Error empty = error_from([] { sex_and_length().encode({{"M", " "}}); });
  EXPECT_THAT(empty.problem(), HasSubstr("row 1, column 'length' is empty"));
}

TEST(InputEncoding, WrongCellCountIsAnError) {
  const Error error = error_from([] { sex_and_length().encode({{"M"}}); });
  EXPECT_THAT(error.problem(), HasSubstr("row 1 has 1 cells but the encoding has 2 columns (sex, length)"));
}

TEST(InputEncoding, RepeatedCategoryIsRejected) {
  const Error error = error_from([] { InputEncoding({InputColumn{"code", {"1", "1.0"}}}); });
  EXPECT_THAT(error.problem(), HasSubstr("input column 'code' lists the category '1.0' twice"));
}

TEST(InputEncoding, UnnamedCategoricalColumnIsRejected) {
  const Error error = error_from([] { InputEncoding({InputColumn{"a", {}}, InputColumn{"", {"x"}}}); });
  EXPECT_THAT(error.problem(), HasSubstr("categorical input column 2 of the encoding has no name"));
}

// A model built in C++ may have saved an empty input name, and must still load.
TEST(InputEncoding, UnnamedNumericColumnIsAccepted) {
  const InputEncoding encoding = InputEncoding::numeric({"", "b"});
  EXPECT_THAT(encoding.input_names(), ElementsAre("", "b"));
}

TEST(InputEncoding, EmptyCategoryIsRejected) {
  const Error error = error_from([] { InputEncoding({InputColumn{"sex", {"F", " "}}}); });
  EXPECT_THAT(error.problem(), HasSubstr("input column 'sex' has an empty category"));
}

TEST(InputEncoding, ListCategoriesShortensLongLists) {
  InputColumn column{"id", {}};
  for (int k = 0; k < 12; ++k) column.categories.push_back(fmt::format("c{}", k));
  EXPECT_EQ(list_categories(column, 2), "'c0', 'c1', ... (12 in all)");
}

}  // namespace
}  // namespace protean
