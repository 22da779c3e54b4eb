// `protean fit --arch` end to end: the architecture text in, the same text out of `info`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "cli/cli_support.hpp"
#include "data/data_test_support.hpp"

namespace protean {
namespace {

using testing_support::run_cli;
using testing_support::TempDir;
using ::testing::HasSubstr;

std::string curve_csv() {
  std::string text = "x,y\n";
  for (int i = 0; i < 200; ++i) {
    const double x = i / 199.0;
    text += std::to_string(x) + "," + std::to_string(std::sin(6.0 * x)) + "\n";
  }
  return text;
}

TEST(CliArch, FitWithEveryLayerAndInfoPrintsIt) {
  TempDir dir;
  dir.write("data.csv", curve_csv());
  const std::string arch = "fourier:4, 32 gelu, res(32 relu)x2, bn, ln, dropout:0.1, 16 sine";
  const auto fit = run_cli(dir.path(), "fit data.csv -o m.safetensors --epochs 3 -q --arch '" + arch + "'");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  const auto info = run_cli(dir.path(), "info m.safetensors");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_THAT(info.out, HasSubstr("architecture: " + arch + ", 1\n"));
  const auto predict = run_cli(dir.path(), "predict m.safetensors data.csv -o out.csv");
  EXPECT_EQ(predict.exit_code, 0) << predict.err;

  // The printed text, output layer included, builds the same network again.
  const auto again = run_cli(dir.path(), "fit data.csv -o m2.safetensors --epochs 1 -q --arch '" + arch + ", 1'");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(run_cli(dir.path(), "info m2.safetensors").out, HasSubstr("architecture: " + arch + ", 1\n"));
}

TEST(CliArch, JsonForm) {
  TempDir dir;
  dir.write("data.csv", curve_csv());
  const auto fit = run_cli(dir.path(),
                           "fit data.csv -o m.safetensors --epochs 1 -q --arch "
                           "'[{\"type\": \"dense\", \"units\": 8, \"activation\": \"tanh\"}, {\"type\": \"layer_norm\"}]'");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(run_cli(dir.path(), "info m.safetensors").out, HasSubstr("architecture: 8 tanh, ln, 1\n"));
}

TEST(CliArch, ParseErrorNamesColumn) {
  TempDir dir;
  dir.write("data.csv", curve_csv());
  const auto fit = run_cli(dir.path(), "fit data.csv -o m.safetensors --arch '64 relux, 1'");
  EXPECT_EQ(fit.exit_code, 1);
  EXPECT_THAT(fit.err, HasSubstr("at column 4, expected an activation"));
  EXPECT_THAT(fit.err, HasSubstr("'relux'"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "m.safetensors"));
}

TEST(CliArch, ExcludesHiddenAndActivation) {
  TempDir dir;
  dir.write("data.csv", curve_csv());
  const auto fit = run_cli(dir.path(), "fit data.csv --arch '8 relu' --hidden 4");
  EXPECT_EQ(fit.exit_code, 2);
  EXPECT_THAT(fit.err, HasSubstr("--hidden"));
}

}  // namespace
}  // namespace protean
