// --missing through the command line. By default fit and eval stop at a missing value. With
// --missing drop they leave such rows out and print which, while predict rejects drop.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "cli/cli_support.hpp"
#include "data/data_test_support.hpp"

namespace protean {
namespace {

using testing_support::run_cli;
using testing_support::TempDir;
using ::testing::HasSubstr;

// y = 2·a − b on 60 rows; line 5 has '?' in b, line 9 an empty a, line 12 'NA' as the target.
std::string with_gaps() {
  std::string text = "a,b,y\n";
  for (int r = 0; r < 60; ++r) {
    const double a = r / 10.0, b = (r % 7) / 3.0;
    const int line = r + 2;
    const std::string a_text = line == 9 ? "" : fmt::format("{}", a);
    const std::string b_text = line == 5 ? "?" : fmt::format("{:.4f}", b);
    const std::string y_text = line == 12 ? "NA" : fmt::format("{:.4f}", 2 * a - b);
    text += a_text + "," + b_text + "," + y_text + "\n";
  }
  return text;
}

const std::string kFitOptions = "--hidden 8 --epochs 30 --search off --seed 1";

TEST(MissingCli, FitStopsByDefaultAndDropsOnRequest) {
  TempDir dir;
  dir.write("gaps.csv", with_gaps());
  const auto stopped = run_cli(dir.path(), "fit gaps.csv -o m.safetensors " + kFitOptions);
  EXPECT_EQ(stopped.exit_code, 1);
  EXPECT_THAT(stopped.err, HasSubstr("gaps.csv:5:5: missing value '?' in input column 'b'"));
  EXPECT_THAT(stopped.err, HasSubstr("give --missing drop"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "m.safetensors"));

  const auto fit = run_cli(dir.path(), "fit gaps.csv --missing drop -o m.safetensors " + kFitOptions);
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.err, HasSubstr("missing values: left out 3 of 60 rows of gaps.csv (lines 5, 9, 12); missing cells: "
                                 "'a' 1, 'b' 1, 'y' 1"));
  EXPECT_THAT(fit.out, HasSubstr("57 rows"));

  const auto eval_stopped = run_cli(dir.path(), "eval m.safetensors gaps.csv");
  EXPECT_EQ(eval_stopped.exit_code, 1);
  EXPECT_THAT(eval_stopped.err, HasSubstr("gaps.csv:5:5"));
  const auto eval = run_cli(dir.path(), "eval m.safetensors gaps.csv --missing drop");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_THAT(eval.out, HasSubstr("gaps.csv (57 rows)"));
  EXPECT_THAT(eval.err, HasSubstr("left out 3 of 60 rows"));

  // predict writes one row per input row, so it has no --missing and names the cell.
  const auto predict = run_cli(dir.path(), "predict m.safetensors gaps.csv -o out.csv");
  EXPECT_EQ(predict.exit_code, 1);
  EXPECT_THAT(predict.err, HasSubstr("gaps.csv:5:5"));
  EXPECT_THAT(predict.err, ::testing::Not(HasSubstr("--missing")));
  const auto predict_drop = run_cli(dir.path(), "predict m.safetensors gaps.csv --missing drop -o out.csv");
  EXPECT_EQ(predict_drop.exit_code, 1);
  EXPECT_THAT(predict_drop.err, HasSubstr("gaps.csv: predict writes one prediction for every input row"));
  EXPECT_THAT(predict_drop.err, HasSubstr("eval, report and explain accept --missing drop"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "out.csv"));
}

TEST(MissingCli, TestDataFollowsTheOption) {
  TempDir dir;
  dir.write("train.csv", with_gaps());
  dir.write("test.csv", "a,b,y\n1,0.5,1.5\n,1,1\n2,1,3\n");
  const auto fit =
      run_cli(dir.path(), "fit train.csv --test test.csv --missing drop -o m.safetensors " + kFitOptions);
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.err, HasSubstr("left out 1 of 3 rows of test.csv (line 3); missing cells: 'a' 1"));
}

TEST(MissingCli, RejectsOtherValues) {
  TempDir dir;
  dir.write("gaps.csv", with_gaps());
  const auto fit = run_cli(dir.path(), "fit gaps.csv --missing impute -o m.safetensors");
  EXPECT_EQ(fit.exit_code, 2);
  EXPECT_THAT(fit.err, HasSubstr("--missing"));
}

}  // namespace
}  // namespace protean
