// to_dataset() with categorical input columns: detection, --categorical, limits and cell errors.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data/data_test_support.hpp"
#include "protean/data/csv.hpp"
#include "protean/error.hpp"

namespace protean {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_support::error_from;

Dataset dataset_from(std::string_view text, const DatasetOptions& options = {}) {
  return to_dataset(parse_csv(text, "test.csv"), options);
}

DatasetOptions categorical_option(const std::vector<std::string>& columns) {
  DatasetOptions options;
  options.categorical = columns;
  return options;
}

DatasetOptions encoding_option(const InputEncoding& encoding) {
  DatasetOptions options;
  options.encoding = encoding;
  return options;
}

const char* const kSexData = "sex,length,y\nM,1,2\nF,2,3\nI,3,4\n M ,4,5\n";

TEST(CategoricalColumns, TextColumnBecomesOneInputPerCategory) {
  const Dataset data = dataset_from(kSexData);
  ASSERT_EQ(data.encoding.column_count(), 2);
  EXPECT_THAT(data.encoding.columns()[0].categories, ElementsAre("F", "I", "M"));
  EXPECT_FALSE(data.encoding.columns()[1].is_categorical());
  EXPECT_THAT(data.input_names, ElementsAre("sex=F", "sex=I", "sex=M", "length"));
  ASSERT_EQ(data.inputs.cols(), 4);
  const float expected[4][4] = {{0, 0, 1, 1}, {1, 0, 0, 2}, {0, 1, 0, 3}, {0, 0, 1, 4}};
  for (Index r = 0; r < 4; ++r) {
    for (Index c = 0; c < 4; ++c) EXPECT_EQ(data.inputs(r, c), expected[r][c]) << "row " << r << ", input " << c;
  }
}

TEST(CategoricalColumns, NumericColumnsKeepEmptyCategories) {
  const Dataset data = dataset_from("a,b,y\n1,2,3\n4,5,6\n");
  EXPECT_FALSE(data.encoding.has_categorical());
  EXPECT_THAT(data.input_names, ElementsAre("a", "b"));
}

TEST(CategoricalColumns, NumbersInTextColumnAreCategories) {
  const Dataset data = dataset_from("kind,y\nb,1\na,2\n3,3\na,4\n");
  EXPECT_THAT(data.encoding.columns()[0].categories, ElementsAre("3", "a", "b"));
  EXPECT_EQ(data.inputs(2, 0), 1.0f);
}

TEST(CategoricalColumns, ForcedByNameSortsNumerically) {
  const Dataset data = dataset_from("code,x,y\n10,1,2\n2,2,3\n10.0,3,4\n1,4,5\n", categorical_option({"code"}));
  EXPECT_THAT(data.encoding.columns()[0].categories, ElementsAre("1", "2", "10"));
  EXPECT_THAT(data.input_names, ElementsAre("code=1", "code=2", "code=10", "x"));
  EXPECT_EQ(data.inputs(2, 2), 1.0f) << "10.0 is category 10";
}

TEST(CategoricalColumns, ForcedByIndex) {
  const Dataset data = dataset_from("x,code,y\n1,7,2\n2,8,3\n", categorical_option({"2"}));
  EXPECT_THAT(data.input_names, ElementsAre("x", "code=7", "code=8"));
}

TEST(CategoricalColumns, ForcedTargetIsRejected) {
  const Error error = error_from([] { dataset_from("x,y\n1,2\n2,3\n", categorical_option({"y"})); });
  EXPECT_THAT(error.problem(), HasSubstr("column 'y' is a target"));
  EXPECT_THAT(error.fix(), HasSubstr("--task classification"));
}

TEST(CategoricalColumns, ForcedAndDroppedIsRejected) {
  DatasetOptions options = categorical_option({"code"});
  options.drop = {"code"};
  const Error error = error_from([&] { dataset_from("code,x,y\n1,1,2\n2,2,3\n", options); });
  EXPECT_THAT(error.problem(), HasSubstr("column 'code' is both dropped and in --categorical"));
}

TEST(CategoricalColumns, UnknownForcedColumnIsNamed) {
  const Error error = error_from([] { dataset_from("x,y\n1,2\n", categorical_option({"zip"})); });
  EXPECT_THAT(error.problem(), HasSubstr("categorical column 'zip' not found"));
}

// 150 distinct names are more than 100 categories.
TEST(CategoricalColumns, TooManyCategoriesNamesColumnAndCount) {
  std::string text = "x,name,y\n";
  for (int r = 0; r < 300; ++r) text += fmt::format("{},name{},1\n", r, r % 150);
  const Error error = error_from([&] { dataset_from(text); });
  EXPECT_EQ(error.where().file, "test.csv");
  EXPECT_THAT(error.problem(), HasSubstr("input column 'name' has 150 distinct values in its 300 filled cells"));
  EXPECT_THAT(error.problem(), HasSubstr("'name0'"));
  EXPECT_THAT(error.fix(), HasSubstr("--drop 2"));
  EXPECT_THAT(error.fix(), HasSubstr("--categorical 'name'"));
}

// 30 distinct values in 40 rows look like ids, although 30 is below 100; --categorical accepts them.
TEST(CategoricalColumns, IdLikeColumnNeedsForcing) {
  std::string text = "id,y\n";
  for (int r = 0; r < 40; ++r) text += fmt::format("id{},{}\n", r % 30, r);
  const Error error = error_from([&] { dataset_from(text); });
  EXPECT_THAT(error.problem(), HasSubstr("input column 'id' has 30 distinct values in its 40 filled cells"));
  EXPECT_THAT(error.problem(), HasSubstr("looks like a name, an id or free text"));

  const Dataset forced = dataset_from(text, categorical_option({"id"}));
  EXPECT_EQ(forced.inputs.cols(), 30);
}

TEST(CategoricalColumns, ForcedLimitIsEnforced) {
  std::string text = "code,y\n";
  for (int r = 0; r < 10'001; ++r) text += fmt::format("{},1\n", r);
  const Error error = error_from([&] { dataset_from(text, categorical_option({"code"})); });
  EXPECT_THAT(error.problem(), HasSubstr("input column 'code' has 10001 distinct values"));
  EXPECT_THAT(error.problem(), HasSubstr("more than the 10000 categories --categorical encodes"));
  EXPECT_THAT(error.fix(), HasSubstr("--drop 1"));
}

// 110,000 rows × 10,000 inputs would be 4.1 GiB of float32, above the 4 GiB limit.
TEST(CategoricalColumns, HugeEncodingIsRejectedBeforeAllocation) {
  std::string text = "code,y\n";
  for (int r = 0; r < 110'000; ++r) text += fmt::format("{},1\n", r % 10'000);
  const Error error = error_from([&] { dataset_from(text, categorical_option({"code"})); });
  EXPECT_EQ(error.where().file, "test.csv");
  EXPECT_THAT(error.problem(), HasSubstr("the 110000 rows would take 10000 inputs each after one-hot encoding, 4.1 GiB"));
  EXPECT_THAT(error.problem(), HasSubstr("column 'code' alone has 10000 categories"));
  EXPECT_THAT(error.fix(), HasSubstr("--drop"));
}

TEST(CategoricalColumns, TenCategoriesInTwentyRowsAreAccepted) {
  std::string text = "kind,y\n";
  for (int r = 0; r < 20; ++r) text += fmt::format("k{},{}\n", r % 10, r);
  EXPECT_EQ(dataset_from(text).inputs.cols(), 10);
}

TEST(CategoricalColumns, MissingMarkerIsLocated) {
  const Error error = error_from([] { dataset_from("color,x,y\nred,1,2\ngreen,2,3\n?,3,4\nblue,4,5\n"); });
  EXPECT_EQ(error.where().to_string(), "test.csv:4:1");
  EXPECT_THAT(error.problem(), HasSubstr("missing value '?' in categorical input column 'color'"));
  EXPECT_THAT(error.fix(), HasSubstr("fill in a category or remove the row"));
  EXPECT_THAT(error.fix(), HasSubstr("--drop"));
}

TEST(CategoricalColumns, EmptyCellIsLocated) {
  const Error error = error_from([] { dataset_from("x,color,y\n1,red,2\n2,,3\n3,blue,4\n"); });
  EXPECT_EQ(error.where().to_string(), "test.csv:3:3");
  EXPECT_THAT(error.problem(), HasSubstr("empty cell in categorical input column 'color'"));
}

TEST(CategoricalColumns, EncodingAppliesKnownCategories) {
  const InputEncoding encoding({InputColumn{"sex", {"F", "I", "M"}}, InputColumn{"length", {}}});
  const Dataset data = dataset_from("sex,length,y\nI,1,2\nI,2,3\n", encoding_option(encoding));
  EXPECT_EQ(data.inputs.cols(), 4) << "the unseen categories F and M keep their inputs";
  EXPECT_EQ(data.inputs(0, 1), 1.0f);
  EXPECT_EQ(data.inputs(0, 0), 0.0f);
}

TEST(CategoricalColumns, EncodingRejectsUnknownCategory) {
  const InputEncoding encoding({InputColumn{"sex", {"F", "I", "M"}}, InputColumn{"length", {}}});
  const Error error = error_from([&] { dataset_from("sex,length,y\nM,1,2\nX,2,3\n", encoding_option(encoding)); });
  EXPECT_EQ(error.where().to_string(), "test.csv:3:1");
  EXPECT_THAT(error.problem(), HasSubstr("unknown category 'X' in input column 'sex'"));
  EXPECT_THAT(error.problem(), HasSubstr("3 categories ('F', 'I', 'M')"));
  EXPECT_THAT(error.fix(), HasSubstr("train the model again"));
}

TEST(CategoricalColumns, EncodingKeepsNumericColumnsNumeric) {
  const InputEncoding encoding({InputColumn{"a", {}}});
  const Error error = error_from([&] { dataset_from("a,y\nx,1\ny,2\n", encoding_option(encoding)); });
  EXPECT_EQ(error.where().to_string(), "test.csv:2:1");
  EXPECT_THAT(error.problem(), HasSubstr("input column 'a' contains text such as 'x'"));
  EXPECT_THAT(error.fix(), HasSubstr("give numbers in this column"));
}

TEST(CategoricalColumns, EncodingWithOtherColumnCountIsRejected) {
  const InputEncoding encoding({InputColumn{"a", {}}});
  const Error error = error_from([&] { dataset_from("a,b,y\n1,2,3\n", encoding_option(encoding)); });
  EXPECT_THAT(error.problem(), HasSubstr("the data has 2 input columns ('a', 'b') but the model was trained on 1 ('a')"));
}

TEST(CategoricalColumns, EncodingWithCategoricalOptionIsRejected) {
  DatasetOptions options = encoding_option(InputEncoding({InputColumn{"a", {}}}));
  options.categorical = {"a"};
  const Error error = error_from([&] { dataset_from("a,y\n1,2\n", options); });
  EXPECT_THAT(error.problem(), HasSubstr("DatasetOptions::categorical is set together with an encoding"));
}

// Categories go into the model file's JSON, which must be UTF-8, so a Latin-1 "è" (byte 0xE8) is
// rejected at its cell instead of failing the save after training.
TEST(CategoricalColumns, Latin1CategoryIsLocated) {
  const Error error = error_from([] { dataset_from("town,y\nParis,1\nS\xe8te,2\nParis,3\n"); });
  EXPECT_EQ(error.where().to_string(), "test.csv:3:1");
  EXPECT_THAT(error.problem(), HasSubstr("category 'S\xe8te' is not valid UTF-8 (byte 0xE8 at offset 1)"));
}

TEST(CategoricalColumns, StrayTextSuggestsCategorical) {
  const Error error = error_from([] { dataset_from("a,y\n1,2\n2,3\nabc,4\n"); });
  EXPECT_EQ(error.where().line, 4);
  EXPECT_THAT(error.fix(), HasSubstr("--categorical"));
}

}  // namespace
}  // namespace protean
