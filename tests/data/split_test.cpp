#include "protean/data/split.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "data/data_test_support.hpp"
#include "protean/error.hpp"

namespace protean {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_support::error_from;

Dataset regression_rows(Index rows) {
  Dataset data;
  data.inputs = Matrix::zeros(rows, 1);
  data.targets = Matrix::zeros(rows, 1);
  for (Index r = 0; r < rows; ++r) data.inputs(r, 0) = static_cast<float>(r);
  data.source = "rows.csv";
  return data;
}

// A classification dataset with class_sizes[c] rows of class c, classes interleaved, and
// source lines starting at 2 as below a header.
Dataset class_rows(const std::vector<Index>& class_sizes) {
  std::vector<float> ids;
  std::vector<Index> left = class_sizes;
  bool added = true;
  while (added) {
    added = false;
    for (std::size_t c = 0; c < left.size(); ++c) {
      if (left[c] == 0) continue;
      ids.push_back(static_cast<float>(c));
      --left[c];
      added = true;
    }
  }
  Dataset data;
  data.task = Task::classification;
  const auto rows = static_cast<Index>(ids.size());
  data.inputs = Matrix::zeros(rows, 1);
  data.targets = Matrix::zeros(rows, 1);
  for (Index r = 0; r < rows; ++r) data.targets(r, 0) = ids[static_cast<std::size_t>(r)];
  for (std::size_t c = 0; c < class_sizes.size(); ++c) data.class_names.push_back("class" + std::to_string(c));
  data.source = "flowers.csv";
  for (Index r = 0; r < rows; ++r) data.source_lines.push_back(r + 2);
  return data;
}

std::vector<Index> sorted_union(const Split& split) {
  std::vector<Index> all = split.train;
  all.insert(all.end(), split.held_out.begin(), split.held_out.end());
  std::sort(all.begin(), all.end());
  return all;
}

std::vector<Index> all_rows(Index rows) {
  std::vector<Index> indices(static_cast<std::size_t>(rows));
  std::iota(indices.begin(), indices.end(), Index{0});
  return indices;
}

Index count_class(const Dataset& data, const std::vector<Index>& rows, int class_id) {
  return std::count_if(rows.begin(), rows.end(),
                       [&](Index r) { return data.targets(r, 0) == static_cast<float>(class_id); });
}

TEST(Split, SameSeedSameSplit) {
  const Dataset data = regression_rows(50);
  const Split first = split_rows(data, 0.2, 7);
  const Split second = split_rows(data, 0.2, 7);
  EXPECT_EQ(first.train, second.train);
  EXPECT_EQ(first.held_out, second.held_out);
}

TEST(Split, OtherSeedOtherSplit) {
  const Dataset data = regression_rows(50);
  EXPECT_NE(split_rows(data, 0.2, 7).held_out, split_rows(data, 0.2, 8).held_out);
}

// mt19937_64 is fully specified by the C++ standard and the shuffle uses only its raw output, so
// this order must be the same with every compiler and standard library.
TEST(Split, OrderIsPortable) {
  const Split split = split_rows(regression_rows(10), 0.3, 42);
  EXPECT_THAT(split.held_out, ElementsAre(1, 7, 9));
  EXPECT_THAT(split.train, ElementsAre(0, 3, 8, 4, 2, 5, 6));
}

TEST(Split, PartsAreDisjointAndCoverAllRows) {
  const Split split = split_rows(regression_rows(100), 0.2, 1);
  EXPECT_EQ(split.held_out.size(), 20u);
  EXPECT_EQ(split.train.size(), 80u);
  EXPECT_EQ(sorted_union(split), all_rows(100));
}

TEST(Split, PartsAreShuffled) {
  const Split split = split_rows(regression_rows(100), 0.2, 1);
  EXPECT_FALSE(std::is_sorted(split.train.begin(), split.train.end()));
}

TEST(Split, HeldOutCountIsRounded) {
  EXPECT_EQ(split_rows(regression_rows(10), 0.25, 3).held_out.size(), 3u);  // 2.5 rounds up
  EXPECT_EQ(split_rows(regression_rows(7), 0.3, 3).held_out.size(), 2u);    // 2.1 rounds down
  EXPECT_EQ(split_rows(regression_rows(9), 0.5, 3).held_out.size(), 5u);    // 4.5 rounds up
}

TEST(Split, ZeroFractionKeepsAllRowsInTrain) {
  const Split split = split_rows(regression_rows(5), 0.0, 3);
  EXPECT_TRUE(split.held_out.empty());
  EXPECT_EQ(sorted_union(split), all_rows(5));
}

TEST(Split, ZeroFractionOnEmptyData) {
  const Split split = split_rows(regression_rows(0), 0.0, 3);
  EXPECT_TRUE(split.train.empty());
  EXPECT_TRUE(split.held_out.empty());
}

TEST(Split, FractionOutsideRange) {
  const Dataset data = regression_rows(10);
  for (double fraction : {-0.1, 1.0, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    const Error error = error_from([&] { split_rows(data, fraction, 1); });
    EXPECT_THAT(error.what(), HasSubstr("is outside [0, 1)")) << fraction;
    EXPECT_THAT(error.what(), HasSubstr("such as 0.2")) << fraction;
  }
}

TEST(Split, EmptyHeldOutRejected) {
  const Error error = error_from([] { split_rows(regression_rows(3), 0.1, 1); });
  EXPECT_THAT(error.what(), HasSubstr("0.1 of 3 rows leaves 3 rows for training and 0 held out"));
  EXPECT_THAT(error.what(), HasSubstr("--validation 0"));
}

TEST(Split, EmptyTrainRejected) {
  const Error error = error_from([] { split_rows(regression_rows(2), 0.9, 1); });
  EXPECT_THAT(error.what(), HasSubstr("leaves 0 rows for training and 2 held out"));
}

TEST(SplitStratified, KeepsClassShares) {
  const Dataset data = class_rows({60, 30, 10});
  const Split split = split_rows(data, 0.2, 5);
  EXPECT_EQ(split.held_out.size(), 20u);
  EXPECT_EQ(count_class(data, split.held_out, 0), 12);
  EXPECT_EQ(count_class(data, split.held_out, 1), 6);
  EXPECT_EQ(count_class(data, split.held_out, 2), 2);
  EXPECT_EQ(sorted_union(split), all_rows(100));
}

TEST(SplitStratified, TotalMatchesRoundedFraction) {
  // Each class's share is 1.5 rows; the floors give 3, and round(0.3 × 15) = 5 needs 2 more.
  const Dataset data = class_rows({5, 5, 5});
  const Split split = split_rows(data, 0.3, 5);
  EXPECT_EQ(split.held_out.size(), 5u);
  for (int c = 0; c < 3; ++c) {
    EXPECT_GE(count_class(data, split.held_out, c), 1) << "class " << c;
    EXPECT_LE(count_class(data, split.held_out, c), 2) << "class " << c;
  }
}

TEST(SplitStratified, EveryClassKeepsTrainingRow) {
  const Dataset data = class_rows({2, 2, 50});
  const Split split = split_rows(data, 0.9, 5);
  for (int c = 0; c < 3; ++c) EXPECT_GE(count_class(data, split.train, c), 1) << "class " << c;
  EXPECT_EQ(sorted_union(split), all_rows(54));
}

TEST(SplitStratified, MixesClassesInEachPart) {
  const Dataset data = class_rows({20, 20, 20});
  const Split split = split_rows(data, 0.5, 5);
  std::vector<float> held_classes;
  for (Index r : split.held_out) held_classes.push_back(data.targets(r, 0));
  EXPECT_FALSE(std::is_sorted(held_classes.begin(), held_classes.end()));
}

TEST(SplitStratified, SameSeedSameSplit) {
  const Dataset data = class_rows({7, 9, 4});
  EXPECT_EQ(split_rows(data, 0.25, 11).held_out, split_rows(data, 0.25, 11).held_out);
}

TEST(SplitStratified, SingleSampleClassRejected) {
  const Dataset data = class_rows({3, 1, 3});
  const Error error = error_from([&] { split_rows(data, 0.2, 1); });
  // Rows alternate classes 0, 1, 2, so class1's one row is row 1, on line 3.
  EXPECT_THAT(error.what(), HasSubstr("class 'class1' has a single sample"));
  EXPECT_THAT(error.what(), HasSubstr("flowers.csv:3"));
  EXPECT_THAT(error.what(), HasSubstr("add samples of this class"));
  EXPECT_THAT(error.what(), HasSubstr("remove the class"));
  EXPECT_THAT(error.what(), HasSubstr("--validation 0"));
}

// Every class with a single sample is named, the first in the file first.
TEST(SplitStratified, SingleSampleClassesListedInFileOrder) {
  Dataset data = class_rows({3, 1, 3, 1});
  data.class_names = {"delta", "zulu", "alpha", "bravo"};
  const Error error = error_from([&] { split_rows(data, 0.2, 1); });
  // Rows go through the classes in turn: zulu's one row is on line 3 and bravo's on line 5.
  EXPECT_THAT(error.what(), HasSubstr("2 classes have a single sample: 'zulu' (flowers.csv:3), 'bravo' (flowers.csv:5)"));
  EXPECT_THAT(error.what(), HasSubstr("--validation 0"));
}

TEST(SplitStratified, SingleSampleClassWithoutLines) {
  Dataset data = class_rows({3, 1});
  data.source_lines.clear();
  const Error error = error_from([&] { split_rows(data, 0.2, 1); });
  EXPECT_THAT(error.what(), HasSubstr("row 2 of flowers.csv"));
}

TEST(SplitStratified, SingleSampleClassAllowedWithoutValidation) {
  const Dataset data = class_rows({3, 1});
  const Split split = split_rows(data, 0.0, 1);
  EXPECT_EQ(split.train.size(), 4u);
  EXPECT_TRUE(split.held_out.empty());
}

TEST(SplitStratified, ClassWithoutSamplesIsSkipped) {
  Dataset data = class_rows({4, 4});
  data.class_names.push_back("unused");
  const Split split = split_rows(data, 0.5, 1);
  EXPECT_EQ(split.held_out.size(), 4u);
}

TEST(FoldRows, EveryRowHeldOutOnce) {
  const Dataset data = regression_rows(23);
  const std::vector<Split> folds = fold_rows(data, 5, 3);
  ASSERT_EQ(folds.size(), 5u);
  std::vector<Index> held_out;
  for (const Split& fold : folds) {
    EXPECT_EQ(sorted_union(fold), all_rows(23));
    EXPECT_GE(fold.held_out.size(), 4u);
    EXPECT_LE(fold.held_out.size(), 5u);
    held_out.insert(held_out.end(), fold.held_out.begin(), fold.held_out.end());
  }
  std::sort(held_out.begin(), held_out.end());
  EXPECT_EQ(held_out, all_rows(23));
}

TEST(FoldRows, SameSeedSameFolds) {
  const Dataset data = regression_rows(40);
  const std::vector<Split> first = fold_rows(data, 4, 9);
  const std::vector<Split> again = fold_rows(data, 4, 9);
  const std::vector<Split> other = fold_rows(data, 4, 10);
  for (std::size_t k = 0; k < first.size(); ++k) {
    EXPECT_EQ(first[k].held_out, again[k].held_out);
    EXPECT_EQ(first[k].train, again[k].train);
  }
  EXPECT_NE(first[0].held_out, other[0].held_out);
}

TEST(FoldRows, ClassSharesKeptInEveryFold) {
  const Dataset data = class_rows({30, 10, 5});
  for (const Split& fold : fold_rows(data, 5, 2)) {
    EXPECT_EQ(count_class(data, fold.held_out, 0), 6);
    EXPECT_EQ(count_class(data, fold.held_out, 1), 2);
    EXPECT_EQ(count_class(data, fold.held_out, 2), 1);
  }
}

TEST(FoldRows, InvalidFoldCount) {
  const Dataset data = regression_rows(3);
  const Error too_few = error_from([&] { fold_rows(data, 1, 1); });
  EXPECT_THAT(too_few.what(), HasSubstr("cannot split 3 rows into 1 cross-validation folds"));
  const Error too_many = error_from([&] { fold_rows(data, 4, 1); });
  EXPECT_THAT(too_many.what(), HasSubstr("into 4 cross-validation folds"));
  EXPECT_THAT(too_many.what(), HasSubstr("no more folds than rows"));
}

}  // namespace
}  // namespace protean
