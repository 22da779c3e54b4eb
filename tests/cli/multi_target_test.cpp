// `protean fit -t a,b` end to end: several target columns fitted as one regression with an
// output per column, then predict, eval, info, resume and the error cases.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_support.hpp"
#include "data/data_test_support.hpp"
#include "protean/io/model_file.hpp"
#include "protean/report/report.hpp"

namespace protean {
namespace {

using testing_support::read_text;
using testing_support::run_cli;
using testing_support::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

// Two targets that depend on the inputs differently and at scales a thousand times apart:
// y1 = sin(x1) and y2 = 1000·x1·x2, on a grid over [-2, 2]². The input x2 sits between the two
// targets. Targets swapped or one of them ignored would give an r² far below 0.9.
std::string two_target_csv() {
  std::ostringstream csv;
  csv << "x1,y1,x2,y2\n";
  for (int i = 0; i < 20; ++i) {
    for (int j = 0; j < 20; ++j) {
      const double x1 = -2.0 + 4.0 * i / 19.0;
      const double x2 = -2.0 + 4.0 * j / 19.0;
      csv << x1 << ',' << std::sin(x1) << ',' << x2 << ',' << 1000.0 * x1 * x2 << '\n';
    }
  }
  return csv.str();
}

// Splits CSV text without quoted fields into rows of fields.
std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, ',')) fields.push_back(cell);
    rows.push_back(fields);
  }
  return rows;
}

// 1 − SS_res / SS_tot of `predicted` against `actual`.
double r_squared(const std::vector<double>& predicted, const std::vector<double>& actual) {
  double mean = 0.0;
  for (const double value : actual) mean += value;
  mean /= static_cast<double>(actual.size());
  double residual = 0.0, total = 0.0;
  for (std::size_t k = 0; k < actual.size(); ++k) {
    residual += (predicted[k] - actual[k]) * (predicted[k] - actual[k]);
    total += (actual[k] - mean) * (actual[k] - mean);
  }
  return 1.0 - residual / total;
}

// The value after "r2 " in the line of `text` that starts with `line_start`, or NaN.
double r2_on_line(const std::string& text, const std::string& line_start) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(line_start, 0) != 0) continue;
    const std::size_t at = line.find("r2 ");
    if (at == std::string::npos) return std::nan("");
    return std::stod(line.substr(at + 3));
  }
  return std::nan("");
}

constexpr const char* kFitOptions = "--hidden 64,64 -a tanh --epochs 300 --search off -s 1";

TEST(CliMultiTarget, FitPredictEvalEachTarget) {
  TempDir dir;
  dir.write("data.csv", two_target_csv());
  const auto fit = run_cli(dir.path(), std::string("fit data.csv -t y1,y2 -o m.safetensors ") + kFitOptions + " --test data.csv");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.out, HasSubstr("(mean of 2 targets)\n"));
  EXPECT_THAT(fit.out, HasSubstr("\n  y1: rmse "));
  EXPECT_THAT(fit.out, HasSubstr("\n  y2: rmse "));

  const auto predict = run_cli(dir.path(), "predict m.safetensors data.csv -o predictions.csv");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  const auto predicted = csv_rows(read_text(dir.path() / "predictions.csv"));
  const auto data = csv_rows(two_target_csv());
  ASSERT_EQ(predicted.size(), data.size());
  ASSERT_EQ(predicted.front(), (std::vector<std::string>{"y1", "y2"}));

  // Each prediction column against its own target column: y1 and y2 are the data's 0-based columns 1 and 3.
  std::vector<double> y1, y2, predicted_y1, predicted_y2;
  for (std::size_t r = 1; r < data.size(); ++r) {
    ASSERT_EQ(predicted[r].size(), 2u) << "row " << r;
    y1.push_back(std::stod(data[r][1]));
    y2.push_back(std::stod(data[r][3]));
    predicted_y1.push_back(std::stod(predicted[r][0]));
    predicted_y2.push_back(std::stod(predicted[r][1]));
  }
  const double r2_y1 = r_squared(predicted_y1, y1);
  const double r2_y2 = r_squared(predicted_y2, y2);
  EXPECT_GT(r2_y1, 0.95);
  EXPECT_GT(r2_y2, 0.95);
  // The predictions are in each column's own units: y2 spans thousands, y1 stays within ±1.
  double largest_y1 = 0.0;
  for (const double value : predicted_y1) largest_y1 = std::max(largest_y1, std::abs(value));
  EXPECT_LT(largest_y1, 1.5);

  const auto eval = run_cli(dir.path(), "eval m.safetensors data.csv");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_THAT(eval.out, HasSubstr("data.csv (400 rows): rmse "));
  EXPECT_THAT(eval.out, HasSubstr("(mean of 2 targets)\n"));
  // eval scores each column on its own, so its r² must agree with the one computed here.
  EXPECT_NEAR(r2_on_line(eval.out, "  y1:"), r2_y1, 1e-3) << eval.out;
  EXPECT_NEAR(r2_on_line(eval.out, "  y2:"), r2_y2, 1e-3) << eval.out;

  const auto info = run_cli(dir.path(), "info m.safetensors");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_THAT(info.out, HasSubstr("targets:      y1, y2\n"));
  EXPECT_THAT(info.out, HasSubstr("architecture: 64 tanh x2, 2\n"));
  EXPECT_THAT(info.out, HasSubstr("validation_targets"));
}

TEST(CliMultiTarget, RepeatedOptionAndIndexes) {
  TempDir dir;
  dir.write("data.csv", two_target_csv());
  // Columns 2 and 4 are y1 and y2; the order of --target is the order of the outputs.
  const auto fit = run_cli(dir.path(), "fit data.csv -t 4 --target 2 -o m.safetensors --epochs 2 --search off -q");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  const Model model = load_model(dir.path() / "m.safetensors");
  EXPECT_EQ(model.target_names, (std::vector<std::string>{"y2", "y1"}));
  EXPECT_EQ(model.input_names, (std::vector<std::string>{"x1", "x2"}));
  const auto predict = run_cli(dir.path(), "predict m.safetensors data.csv");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  EXPECT_EQ(predict.out.substr(0, 6), "y2,y1\n");
}

TEST(CliMultiTarget, ColumnNamedWithCommaStaysOneTarget) {
  TempDir dir;
  std::string csv = "x,\"a,b\",b\n";
  for (int i = 0; i < 30; ++i) csv += std::to_string(i) + "," + std::to_string(2 * i) + "," + std::to_string(i % 3) + "\n";
  dir.write("data.csv", csv);
  const auto fit = run_cli(dir.path(), "fit data.csv -t a,b -o m.safetensors --epochs 2 --search off -q");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  const Model model = load_model(dir.path() / "m.safetensors");
  EXPECT_EQ(model.target_names, (std::vector<std::string>{"a,b"}));
  EXPECT_EQ(model.input_names, (std::vector<std::string>{"x", "b"}));
}

TEST(CliMultiTarget, SingleTargetOutputHasNoMeanLine) {
  TempDir dir;
  dir.write("data.csv", two_target_csv());
  const auto fit = run_cli(dir.path(), "fit data.csv -t y2 --drop y1 -o m.safetensors --epochs 2 --search off --test data.csv");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.out, HasSubstr("test (data.csv, 400 rows): rmse "));
  EXPECT_THAT(fit.out, Not(HasSubstr("mean of")));
  const auto eval = run_cli(dir.path(), "eval m.safetensors data.csv");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  // One line, exactly as before several targets existed.
  EXPECT_EQ(eval.out.rfind("data.csv (400 rows): rmse ", 0), 0u) << eval.out;
  EXPECT_EQ(std::count(eval.out.begin(), eval.out.end(), '\n'), 1) << eval.out;
}

TEST(CliMultiTarget, EvalNeedsEveryTargetColumn) {
  TempDir dir;
  dir.write("data.csv", two_target_csv());
  ASSERT_EQ(run_cli(dir.path(), "fit data.csv -t y1,y2 -o m.safetensors --epochs 2 --search off -q").exit_code, 0);
  dir.write("part.csv", "x1,x2,y1\n1,2,0.8\n");
  const auto eval = run_cli(dir.path(), "eval m.safetensors part.csv");
  EXPECT_EQ(eval.exit_code, 1);
  EXPECT_THAT(eval.err, HasSubstr("part.csv"));
  EXPECT_THAT(eval.err, HasSubstr("the target column 'y2' the model was trained on is missing"));

  // Without a header the targets are the last columns, in the model's order.
  dir.write("plain.csv", "1,2,0.8,2000\n-1,0.5,-0.8,-500\n");
  const auto plain = run_cli(dir.path(), "eval m.safetensors plain.csv");
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_THAT(plain.out, HasSubstr("(mean of 2 targets)"));
  dir.write("short.csv", "1,2,0.8\n-1,0.5,-0.8\n");
  const auto short_file = run_cli(dir.path(), "eval m.safetensors short.csv");
  EXPECT_EQ(short_file.exit_code, 1);
  EXPECT_THAT(short_file.err, HasSubstr("expected 4 columns (2 input columns and the 2 targets, last) but found 3"));
}

TEST(CliMultiTarget, ResumeKeepsTargets) {
  TempDir dir;
  dir.write("data.csv", two_target_csv());
  const auto straight = run_cli(dir.path(), "fit data.csv -t y1,y2 -e 4 --checkpoint-every 2 -o m.safetensors");
  ASSERT_EQ(straight.exit_code, 0) << straight.err;
  const auto resumed = run_cli(dir.path(), "fit --resume m-checkpoint-epoch-000002.safetensors -o resumed.safetensors");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const Model model = load_model(dir.path() / "resumed.safetensors");
  EXPECT_EQ(model.target_names, (std::vector<std::string>{"y1", "y2"}));

  // The resumed run keeps the same epoch and prints the same per-target lines for it.
  const auto per_target_lines = [](const std::string& out) {
    const std::size_t start = out.find("kept epoch");
    const std::size_t end = out.find("trained in");
    return start == std::string::npos || end == std::string::npos ? std::string() : out.substr(start, end - start);
  };
  EXPECT_THAT(per_target_lines(straight.out), HasSubstr("\n  y2: rmse "));
  EXPECT_EQ(per_target_lines(resumed.out), per_target_lines(straight.out));
}

TEST(CliMultiTarget, ClassificationIsRejected) {
  TempDir dir;
  dir.write("data.csv", two_target_csv());
  dir.write("keep.safetensors", "previous model");
  const auto fit = run_cli(dir.path(), "fit data.csv -t y1,y2 --task classification -o keep.safetensors --epochs 2");
  EXPECT_EQ(fit.exit_code, 1);
  EXPECT_THAT(fit.err, HasSubstr("data.csv: classification takes one target column, but 2 were given ('y1', 'y2')"));
  EXPECT_THAT(fit.err, HasSubstr("leave out --task classification"));
  EXPECT_EQ(read_text(dir.path() / "keep.safetensors"), "previous model");
}

TEST(CliMultiTarget, TextCellIsLocated) {
  TempDir dir;
  std::string csv = two_target_csv();
  csv += "0.5,0.48,1,oops\n";
  dir.write("data.csv", csv);
  const auto fit = run_cli(dir.path(), "fit data.csv -t y1,y2 -o m.safetensors --epochs 2");
  EXPECT_EQ(fit.exit_code, 1);
  EXPECT_THAT(fit.err, HasSubstr("data.csv:402:12: cannot parse 'oops' as a number in target column 'y2'"));
  EXPECT_THAT(fit.err, HasSubstr("several targets must contain numbers"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "m.safetensors"));
}

TEST(CliMultiTarget, TargetGivenTwice) {
  TempDir dir;
  dir.write("data.csv", two_target_csv());
  const auto fit = run_cli(dir.path(), "fit data.csv -t y1,y2 -t 2 -o m.safetensors --epochs 2");
  EXPECT_EQ(fit.exit_code, 1);
  EXPECT_THAT(fit.err, HasSubstr("target column 'y1' (column 2) is given twice, as 'y1' and as '2'"));
}

TEST(CliMultiTarget, TargetAlsoDropped) {
  TempDir dir;
  dir.write("data.csv", two_target_csv());
  const auto fit = run_cli(dir.path(), "fit data.csv -t y1,y2 --drop y2 -o m.safetensors --epochs 2");
  EXPECT_EQ(fit.exit_code, 1);
  EXPECT_THAT(fit.err, HasSubstr("column 'y2' is both a target and in the list of dropped columns"));
}

TEST(CliMultiTarget, EmptyListEntryIsRejected) {
  TempDir dir;
  dir.write("data.csv", two_target_csv());
  const auto doubled = run_cli(dir.path(), "fit data.csv -t y1,,y2 -o m.safetensors --epochs 2");
  EXPECT_EQ(doubled.exit_code, 1);
  EXPECT_THAT(doubled.err, HasSubstr("invalid --target value 'y1,,y2'"));
  const auto trailing = run_cli(dir.path(), "fit data.csv -t y1, -o m.safetensors --epochs 2");
  EXPECT_EQ(trailing.exit_code, 1);
  EXPECT_THAT(trailing.err, HasSubstr("invalid --target value 'y1,': it ends with a comma"));
}

TEST(CliMultiTarget, ExplainShowsEachTarget) {
  TempDir dir;
  std::string csv = "x,wave,ramp\n";
  for (int i = 0; i < 40; ++i) {
    const double x = i / 10.0;
    csv += std::to_string(x) + "," + std::to_string(std::sin(x)) + "," + std::to_string(100.0 * x) + "\n";
  }
  dir.write("data.csv", csv);
  ASSERT_EQ(run_cli(dir.path(), "fit data.csv -t wave,ramp --hidden 5 -a sigmoid -o m.safetensors --epochs 5 -q").exit_code, 0);
  const auto both = run_cli(dir.path(), "explain m.safetensors");
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_THAT(both.out, HasSubstr("\nwave = b + sum over 5 hidden units"));
  EXPECT_THAT(both.out, HasSubstr("\nramp = b + sum over 5 hidden units"));
  const auto one = run_cli(dir.path(), "explain m.safetensors --target 2");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_THAT(one.out, HasSubstr("\nramp = b + sum over 5 hidden units"));
  EXPECT_THAT(one.out, Not(HasSubstr("\nwave = b + sum")));
  const auto unknown = run_cli(dir.path(), "explain m.safetensors --target slope");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("--target 'slope' is not one of the model's targets (wave, ramp)"));

  if (!program_available("gnuplot")) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  const auto figure = run_cli(dir.path(), "explain m.safetensors -o units.svg");
  ASSERT_EQ(figure.exit_code, 0) << figure.err;
  EXPECT_THAT(figure.out, HasSubstr("the figure shows target 'wave', the first of the model's 2 targets"));
  EXPECT_THAT(read_text(dir.path() / "units.svg"), HasSubstr("for target wave"));
  const auto chosen = run_cli(dir.path(), "explain m.safetensors -o ramp.svg --target ramp");
  ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
  EXPECT_THAT(chosen.out, Not(HasSubstr("the figure shows target")));
  EXPECT_THAT(read_text(dir.path() / "ramp.svg"), HasSubstr("for target ramp"));
}

}  // namespace
}  // namespace protean
