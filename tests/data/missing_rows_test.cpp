// Rows with missing values: to_dataset() stops at the first one by default, or leaves such rows
// out with MissingValues::drop_rows and records which.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "data/data_test_support.hpp"
#include "protean/data/csv.hpp"
#include "protean/error.hpp"

namespace protean {
namespace {

using testing_support::error_from;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

// Six data rows on lines 2-7; line 3 has an empty input, line 5 'NA' in the target, line 6 '?'
// in the other input, and line 7 an empty cell in the column `notes`, which is dropped.
const char* kText =
    "a,b,notes,y\n"
    "1,10,x,100\n"
    ",20,x,200\n"
    "3,30,x,300\n"
    "4,40,x,NA\n"
    "5,?,x,500\n"
    "6,60,,600\n";

DatasetOptions dropping() {
  DatasetOptions options;
  options.drop = {"notes"};
  options.missing = MissingValues::drop_rows;
  return options;
}

DatasetOptions only_missing_dropped() {
  DatasetOptions options;
  options.missing = MissingValues::drop_rows;
  return options;
}

TEST(MissingRows, LeftOutAndRecorded) {
  const Dataset data = to_dataset(parse_csv(kText, "m.csv"), dropping());
  ASSERT_EQ(data.rows(), 3);
  EXPECT_EQ(data.inputs(0, 0), 1.0f);
  EXPECT_EQ(data.inputs(1, 1), 30.0f);
  EXPECT_EQ(data.inputs(2, 0), 6.0f);
  EXPECT_EQ(data.targets(2, 0), 600.0f);
  // Lines of the rows kept, so that later messages still point into the file.
  EXPECT_THAT(data.source_lines, ElementsAre(2, 4, 7));
  EXPECT_THAT(data.left_out.lines, ElementsAre(3, 5, 6));
  EXPECT_EQ(data.left_out.rows_read, 6);
  EXPECT_EQ(data.left_out.count(), 3);
  // Every column read, in table order; the dropped column's empty cell counts nowhere.
  EXPECT_THAT(data.left_out.missing_by_column, ElementsAre(Pair("a", 1), Pair("b", 1), Pair("y", 1)));
}

TEST(MissingRows, CompleteTableLeavesNothingOut) {
  const Dataset data = to_dataset(parse_csv("a,y\n1,2\n3,4\n", "m.csv"), only_missing_dropped());
  EXPECT_EQ(data.rows(), 2);
  EXPECT_EQ(data.left_out.count(), 0);
  EXPECT_TRUE(data.left_out.missing_by_column.empty());
}

TEST(MissingRows, ErrorByDefaultSuggestsDropping) {
  DatasetOptions options;
  options.drop = {"notes"};
  const Error error = error_from([&] { to_dataset(parse_csv(kText, "m.csv"), options); });
  EXPECT_EQ(error.where().line, 3);
  EXPECT_THAT(error.what(), HasSubstr("empty cell in input column 'a'"));
  EXPECT_THAT(error.what(), HasSubstr("give --missing drop to leave out every row with a missing value"));

  // Where rows cannot be left out (prediction), the hint is not given.
  options.rows_can_be_left_out = false;
  const Error fixed = error_from([&] { to_dataset(parse_csv(kText, "m.csv"), options); });
  EXPECT_THAT(fixed.what(), Not(HasSubstr("--missing")));
}

TEST(MissingRows, CategoricalInputsAndClassTargets) {
  // Line 3 has no category, and line 4 has the class 'NA'. Both rows are left out: 'NA' counts as
  // a missing value here, not as a class of its own.
  const std::string text = "color,size,label\nred,1,a\n,2,b\nblue,3,NA\ngreen,4,b\nred,5,a\n";
  DatasetOptions options;
  options.missing = MissingValues::drop_rows;
  const Dataset data = to_dataset(parse_csv(text, "c.csv"), options);
  EXPECT_EQ(data.task, Task::classification);
  EXPECT_THAT(data.class_names, ElementsAre("a", "b"));
  EXPECT_THAT(data.left_out.lines, ElementsAre(3, 4));
  EXPECT_THAT(data.input_names, ElementsAre("color=green", "color=red", "size"));
  EXPECT_THAT(data.left_out.missing_by_column, ElementsAre(Pair("color", 1), Pair("label", 1)));

  // With errors, the empty category names its cell and the option.
  const Error error = error_from([&] { to_dataset(parse_csv(text, "c.csv"), DatasetOptions{}); });
  EXPECT_EQ(error.where().line, 3);
  EXPECT_THAT(error.what(), HasSubstr("--missing drop"));
}

TEST(MissingRows, NoRowLeftIsAnError) {
  const Error error =
      error_from([] { to_dataset(parse_csv("a,b,y\n1,,3\n,2,3\nNA,NA,1\n", "all.csv"), only_missing_dropped()); });
  EXPECT_THAT(error.what(), HasSubstr("all.csv: every one of the 3 rows has a missing value"));
  EXPECT_THAT(error.what(), HasSubstr("'a' 2, 'b' 2"));
  EXPECT_THAT(error.what(), HasSubstr("--drop"));
}

}  // namespace
}  // namespace protean
