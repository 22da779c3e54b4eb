// `protean fit --search`: the cross-validated choice of optimizer and weight decay, end to end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "cli/cli_support.hpp"
#include "data/data_test_support.hpp"

namespace protean {
namespace {

using testing_support::run_cli;
using testing_support::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

std::string small_csv() {
  std::string text = "x,y\n";
  for (int i = 0; i < 30; ++i) {
    const double x = i / 29.0;
    text += std::to_string(x) + "," + std::to_string(std::sin(4.0 * x)) + "\n";
  }
  return text;
}

TEST(CliSearch, OnPrintsCandidatesAndChoice) {
  TempDir dir;
  dir.write("data.csv", small_csv());
  const auto fit = run_cli(dir.path(), "fit data.csv -o m.safetensors --hidden 8 --epochs 5 --search on");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.out, HasSubstr("search 1/7: adam, weight decay 0: held-out loss "));
  EXPECT_THAT(fit.out, HasSubstr("search 7/7: lbfgs, weight decay 0.01: held-out loss "));
  EXPECT_THAT(fit.out, HasSubstr("search: chose "));
  // The final fit's first progress line counts epochs, or iterations when L-BFGS was chosen.
  const std::size_t first_progress = std::min(fit.out.find("epoch 1/"), fit.out.find("iteration 1/"));
  ASSERT_NE(first_progress, std::string::npos) << fit.out;
  EXPECT_LT(fit.out.find("search: chose "), first_progress) << "the choice is printed before the final fit";
  EXPECT_THAT(fit.out, HasSubstr("30 train / 0 validation rows; optimizer and weight decay chosen by 5-fold cross-validation"));

  const auto info = run_cli(dir.path(), "info m.safetensors");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_THAT(info.out, HasSubstr("search: 5-fold cross-validation, "));
  EXPECT_THAT(info.out, HasSubstr("  lbfgs  weight decay 0.01     held-out loss "));
  EXPECT_THAT(info.out, HasSubstr(" (standard error "));
  EXPECT_THAT(info.out, HasSubstr("(chosen)"));
}

TEST(CliSearch, GivenValidationIsReportedUnused) {
  TempDir dir;
  dir.write("data.csv", small_csv());
  const auto fit = run_cli(dir.path(), "fit data.csv -o m.safetensors --hidden 8 --epochs 5 --search on --validation 0.3");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.err, HasSubstr("warning: --validation was not used, because the search trains the final model on every row"));
  EXPECT_THAT(fit.out, HasSubstr("30 train / 0 validation rows"));
}

TEST(CliSearch, OffAndGivenEpochsSkipSearch) {
  TempDir dir;
  dir.write("data.csv", small_csv());
  const auto off = run_cli(dir.path(), "fit data.csv -o m.safetensors --hidden 8 --search off --epochs 5");
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_THAT(off.out, Not(HasSubstr("search")));
  const auto automatic = run_cli(dir.path(), "fit data.csv -o m.safetensors --hidden 8 --epochs 5");
  ASSERT_EQ(automatic.exit_code, 0) << automatic.err;
  EXPECT_THAT(automatic.out, HasSubstr("search: not run, because --epochs was given"));
  EXPECT_THAT(automatic.out, Not(HasSubstr("search 1/")));
}

// The search chooses the optimizer and the weight decay, so giving either skips it, and fit prints
// why.
TEST(CliSearch, GivenOptimizerSkipsSearch) {
  TempDir dir;
  dir.write("data.csv", small_csv());
  const auto optimizer = run_cli(dir.path(), "fit data.csv -o m.safetensors --hidden 8 --optimizer sgd");
  ASSERT_EQ(optimizer.exit_code, 0) << optimizer.err;
  EXPECT_THAT(optimizer.out, HasSubstr("search: not run, because --optimizer was given"));
  const auto decay = run_cli(dir.path(), "fit data.csv -o m.safetensors --hidden 8 --weight-decay 0.01");
  ASSERT_EQ(decay.exit_code, 0) << decay.err;
  EXPECT_THAT(decay.out, HasSubstr("search: not run, because --weight-decay was given"));
}

TEST(CliSearch, OnWithWeightDecayIsError) {
  TempDir dir;
  dir.write("data.csv", small_csv());
  const auto fit = run_cli(dir.path(), "fit data.csv -o m.safetensors --search on --weight-decay 0.1");
  EXPECT_NE(fit.exit_code, 0);
  EXPECT_THAT(fit.err, HasSubstr("cannot run with either of them given"));
  EXPECT_THAT(fit.err, HasSubstr("leave out --optimizer and --weight-decay, or give --search off"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "m.safetensors"));
}

TEST(CliSearch, UnknownModeIsError) {
  TempDir dir;
  dir.write("data.csv", small_csv());
  const auto fit = run_cli(dir.path(), "fit data.csv --search maybe");
  EXPECT_NE(fit.exit_code, 0);
  EXPECT_THAT(fit.err, HasSubstr("--search"));
  EXPECT_THAT(fit.err, HasSubstr("maybe"));
}

}  // namespace
}  // namespace protean
