// to_dataset() with several target columns (multi-output regression), and its errors.
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
using ::testing::Not;
using testing_support::error_from;

Dataset dataset_from(std::string_view text, const DatasetOptions& options) {
  return to_dataset(parse_csv(text, "test.csv"), options);
}

DatasetOptions targets_option(const std::vector<std::string>& targets) {
  DatasetOptions options;
  options.targets = targets;
  return options;
}

TEST(CsvTargets, ReadsColumnsInGivenOrder) {
  const Dataset data = dataset_from("y1,x1,y2,x2\n1,2,3,4\n5,6,7,8\n", targets_option({"y2", "y1"}));
  EXPECT_EQ(data.task, Task::regression);
  EXPECT_THAT(data.target_names, ElementsAre("y2", "y1"));
  EXPECT_THAT(data.input_names, ElementsAre("x1", "x2"));
  ASSERT_EQ(data.targets.rows(), 2);
  ASSERT_EQ(data.targets.cols(), 2);
  EXPECT_EQ(data.targets(0, 0), 3.0f);
  EXPECT_EQ(data.targets(0, 1), 1.0f);
  EXPECT_EQ(data.targets(1, 0), 7.0f);
  EXPECT_EQ(data.targets(1, 1), 5.0f);
  ASSERT_EQ(data.inputs.cols(), 2);
  EXPECT_EQ(data.inputs(1, 0), 6.0f);
  EXPECT_EQ(data.inputs(1, 1), 8.0f);
}

TEST(CsvTargets, NamesAndIndexesMix) {
  const Dataset data = dataset_from("a,b,c,d\n1,2,3,4\n", targets_option({"4", "b"}));
  EXPECT_THAT(data.target_names, ElementsAre("d", "b"));
  EXPECT_THAT(data.input_names, ElementsAre("a", "c"));
  EXPECT_EQ(data.targets(0, 0), 4.0f);
  EXPECT_EQ(data.targets(0, 1), 2.0f);
}

TEST(CsvTargets, OneListedTargetMatchesTarget) {
  DatasetOptions single;
  single.target = "y";
  const Dataset listed = dataset_from("x,y\n1,dog\n2,cat\n", targets_option({"y"}));
  const Dataset named = dataset_from("x,y\n1,dog\n2,cat\n", single);
  EXPECT_EQ(listed.task, Task::classification);
  EXPECT_EQ(listed.class_names, named.class_names);
  EXPECT_EQ(listed.target_names, named.target_names);
}

TEST(CsvTargets, DropsOtherColumns) {
  DatasetOptions options = targets_option({"y1", "y2"});
  options.drop = {"id"};
  const Dataset data = dataset_from("id,x,y1,y2\n1,2,3,4\n", options);
  EXPECT_THAT(data.input_names, ElementsAre("x"));
  EXPECT_THAT(data.target_names, ElementsAre("y1", "y2"));
}

TEST(CsvTargets, TextCellNamesPlaceAndValue) {
  const Error error = error_from([] { dataset_from("x,y1,y2\n1,2,3\n4,5,abc\n7,8,9\n", targets_option({"y1", "y2"})); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:3:5"));
  EXPECT_THAT(error.what(), HasSubstr("'abc'"));
  EXPECT_THAT(error.what(), HasSubstr("target column 'y2'"));
  EXPECT_THAT(error.what(), HasSubstr("several targets must contain numbers"));
}

TEST(CsvTargets, TextColumnPointsToSingleTarget) {
  const Error error =
      error_from([] { dataset_from("x,y1,kind\n1,2,dog\n4,5,cat\n7,8,dog\n", targets_option({"y1", "kind"})); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:2:5"));
  EXPECT_THAT(error.what(), HasSubstr("'dog'"));
  EXPECT_THAT(error.what(), HasSubstr("target column 'kind' contains text"));
  EXPECT_THAT(error.what(), HasSubstr("multi-label classification is not supported"));
  EXPECT_THAT(error.what(), HasSubstr("remove column 3 from --target"));
}

TEST(CsvTargets, EmptyCellNamesPlace) {
  const Error error = error_from([] { dataset_from("x,y1,y2\n1,2,3\n4,,6\n", targets_option({"y1", "y2"})); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:3:3"));
  EXPECT_THAT(error.what(), HasSubstr("empty cell in target column 'y1'"));
}

TEST(CsvTargets, ClassificationIsRejected) {
  DatasetOptions options = targets_option({"y1", "y2"});
  options.task = Task::classification;
  const Error error = error_from([&] { dataset_from("x,y1,y2\n1,a,b\n2,c,d\n", options); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv"));
  EXPECT_THAT(error.what(), HasSubstr("classification takes one target column, but 2 were given ('y1', 'y2')"));
  EXPECT_THAT(error.what(), HasSubstr("multi-label classification is not supported"));
  EXPECT_THAT(error.what(), HasSubstr("leave out --task classification"));
}

TEST(CsvTargets, SameColumnTwiceByName) {
  const Error error = error_from([] { dataset_from("x,y1,y2\n1,2,3\n", targets_option({"y1", "y2", "y1"})); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv"));
  EXPECT_THAT(error.what(), HasSubstr("target column 'y1' (column 2) is given twice"));
  EXPECT_THAT(error.what(), HasSubstr("give each target column once"));
}

TEST(CsvTargets, SameColumnTwiceByNameAndIndex) {
  const Error error = error_from([] { dataset_from("x,y1,y2\n1,2,3\n", targets_option({"y2", "3"})); });
  EXPECT_THAT(error.what(), HasSubstr("target column 'y2' (column 3) is given twice, as 'y2' and as '3'"));
}

TEST(CsvTargets, TargetAlsoDropped) {
  DatasetOptions options = targets_option({"y1", "y2"});
  options.drop = {"y2"};
  const Error error = error_from([&] { dataset_from("x,y1,y2\n1,2,3\n", options); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv"));
  EXPECT_THAT(error.what(), HasSubstr("column 'y2' is both a target and in the list of dropped columns"));
  EXPECT_THAT(error.what(), HasSubstr("remove it from --drop or from --target"));
}

TEST(CsvTargets, TargetAlsoDroppedByPosition) {
  DatasetOptions options = targets_option({"y1", "y2"});
  options.drop_positions = {2};
  const Error error = error_from([&] { dataset_from("x,y1,y2\n1,2,3\n", options); });
  EXPECT_THAT(error.what(), HasSubstr("invalid drop position 3"));
}

TEST(CsvTargets, UnknownColumnIsNamed) {
  const Error error = error_from([] { dataset_from("x,y1,y2\n1,2,3\n", targets_option({"y1", "y3"})); });
  EXPECT_THAT(error.what(), HasSubstr("target column 'y3' not found"));
  EXPECT_THAT(error.what(), HasSubstr("'x', 'y1', 'y2'"));
}

TEST(CsvTargets, NoInputsLeftCountsTargets) {
  const Error error = error_from([] { dataset_from("y1,y2\n1,2\n", targets_option({"y1", "y2"})); });
  EXPECT_THAT(error.what(), HasSubstr("no input columns are left: the file has 2 columns, 0 dropped and 2 used as targets"));
}

TEST(CsvTargets, TargetAndTargetsTogetherAreRejected) {
  DatasetOptions options = targets_option({"y1", "y2"});
  options.target = "y1";
  const Error error = error_from([&] { dataset_from("x,y1,y2\n1,2,3\n", options); });
  EXPECT_THAT(error.what(), HasSubstr("the target column is given twice"));
  EXPECT_THAT(error.what(), HasSubstr("not both"));
}

TEST(CsvTargets, ModelColumnsDoNotSuggestTarget) {
  // Prediction and evaluation read the columns a model fixes, where --target is no option.
  DatasetOptions options = targets_option({"y1", "y2"});
  options.task = Task::regression;
  options.task_can_be_set = false;
  options.inputs_can_be_dropped = false;
  const Error error = error_from([&] { dataset_from("x,y1,y2\n1,2,3\n4,5,oops\n", options); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:3:5"));
  EXPECT_THAT(error.what(), HasSubstr("'oops'"));
  EXPECT_THAT(error.what(), Not(HasSubstr("--target")));
}

}  // namespace
}  // namespace protean
