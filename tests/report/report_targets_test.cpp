// write_report() for a model with several targets: each figure once per target, named by it.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "protean/fit.hpp"
#include "protean/report/report.hpp"
#include "report/report_test_support.hpp"

namespace protean {
namespace {

using report_test::TemporaryFolder;
namespace fs = std::filesystem;

// height = sin(2x) and slope = 100·x on [-2, 2].
Dataset two_target_dataset(Index rows) {
  Dataset data;
  data.task = Task::regression;
  data.inputs = Matrix::zeros(rows, 1);
  data.targets = Matrix::zeros(rows, 2);
  for (Index r = 0; r < rows; ++r) {
    const float x = -2.0f + 4.0f * static_cast<float>(r) / static_cast<float>(rows - 1);
    data.inputs(r, 0) = x;
    data.targets(r, 0) = std::sin(2.0f * x);
    data.targets(r, 1) = 100.0f * x;
  }
  data.input_names = {"position"};
  data.target_names = {"height", "slope"};
  data.source = "memory";
  return data;
}

TEST(ReportTargets, DrawsEachTarget) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_report_two_targets");
  const Dataset data = two_target_dataset(80);
  FitOptions options;
  options.hidden = {6};
  options.activation = Activation::sigmoid;
  options.epochs = 10;
  options.search = SearchMode::off;
  FitResult result = fit(data, options);
  const ReportResult report = write_report(result.model, data, &result.training, folder.path() / "out");

  const fs::path out = folder.path() / "out";
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"fit_1", "Fitted curve: height against position"},
      {"fit_2", "Fitted curve: slope against position"},
      {"units_1", "6 sigmoid units and their sum for target height"},
      {"units_2", "6 sigmoid units and their sum for target slope"},
      {"parity_1", "Predicted vs actual height"},
      {"parity_2", "Predicted vs actual slope"},
      {"residuals_1", "Residuals of height"},
      {"residuals_2", "Residuals of slope"},
  };
  for (const auto& [name, title] : expected) {
    ASSERT_TRUE(fs::exists(out / (name + ".svg"))) << name;
    const std::string svg = report_test::read_file(out / (name + ".svg"));
    EXPECT_NE(svg.find(title), std::string::npos) << name << ".svg lacks the title " << title;
  }
  EXPECT_EQ(report.figures.size(), expected.size() + 1);  // and the loss
  const std::string html = report_test::read_file(out / "report.html");
  EXPECT_NE(html.find("(mean of 2 targets)"), std::string::npos);
  EXPECT_NE(html.find("metrics of target height"), std::string::npos);
  EXPECT_NE(html.find("metrics of target slope"), std::string::npos);
}

}  // namespace
}  // namespace protean
