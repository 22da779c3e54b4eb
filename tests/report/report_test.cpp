#include "protean/report/report.hpp"

#include <gtest/gtest.h>

#include "protean/error.hpp"
#include "protean/fit.hpp"
#include "report/report_test_support.hpp"

namespace protean {
namespace {

using report_test::TemporaryFolder;
namespace fs = std::filesystem;

FitResult quick_fit(const Dataset& data, std::vector<Index> hidden, Activation activation) {
  FitOptions options;
  options.hidden = std::move(hidden);
  options.activation = activation;
  options.epochs = 15;
  options.seed = 3;
  return fit(data, options);
}

void expect_figure(const fs::path& folder, const std::string& name, const std::string& title) {
  for (const char* extension : {".svg", ".png", ".dat", ".gp"}) {
    const fs::path path = folder / (name + extension);
    ASSERT_TRUE(fs::exists(path)) << path;
    EXPECT_GT(fs::file_size(path), 0u) << path;
  }
  const std::string svg = report_test::read_file(folder / (name + ".svg"));
  EXPECT_NE(svg.find(title), std::string::npos) << name << ".svg lacks the title " << title;
}

TEST(Report, OneInputWritesEveryFigure) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_report_one_input");
  const Dataset data = report_test::wave_dataset(120);
  FitResult result = quick_fit(data, {6}, Activation::sigmoid);
  const ReportResult report = write_report(result.model, data, &result.training, folder.path() / "out");

  const fs::path out = folder.path() / "out";
  expect_figure(out, "loss", "Training and validation loss");
  expect_figure(out, "fit", "Fitted curve: height against position");
  expect_figure(out, "units", "6 sigmoid units and their sum");
  expect_figure(out, "parity", "Predicted vs actual height");
  expect_figure(out, "residuals", "Residuals of height (predicted - actual)");
  EXPECT_EQ(report.figures.size(), 5u);
  EXPECT_TRUE(report.notes.empty());
  ASSERT_TRUE(fs::exists(out / "report.html"));
  EXPECT_GT(fs::file_size(out / "report.html"), 0u);
  // No temporary file is left behind.
  for (const auto& entry : fs::directory_iterator(out)) EXPECT_EQ(entry.path().filename().string().front() == '.', false) << entry.path();
}

TEST(Report, LbfgsRunDrawsLossWithoutRate) {
  // L-BFGS records no learning rate; the loss figure must leave that series out, since gnuplot
  // fails on a series with no valid point.
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_report_lbfgs");
  const Dataset data = report_test::wave_dataset(120);
  FitOptions options;
  options.hidden = {6};
  options.optimizer = "lbfgs";
  options.epochs = 15;
  options.seed = 3;
  FitResult result = fit(data, options);
  write_report(result.model, data, &result.training, folder.path() / "out");
  expect_figure(folder.path() / "out", "loss", "Training and validation loss");
  EXPECT_EQ(report_test::read_file(folder.path() / "out" / "loss.gp").find("learning rate"), std::string::npos);
  // Each point of an L-BFGS run is one iteration over all rows, not an epoch.
  const std::string commands = report_test::read_file(folder.path() / "out" / "loss.gp");
  EXPECT_NE(commands.find("set xlabel 'iteration'"), std::string::npos) << commands;
  EXPECT_NE(commands.find("kept iteration "), std::string::npos) << commands;
  const std::string html = report_test::read_file(folder.path() / "out" / "report.html");
  EXPECT_NE(html.find(" iterations in "), std::string::npos);
  EXPECT_EQ(html.find(" epochs in "), std::string::npos);
}

TEST(Report, SearchedModelShowsCandidates) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_report_search");
  const Dataset data = report_test::wave_dataset(60);
  FitOptions options;
  options.hidden = {6};
  options.epochs = 5;
  options.search = SearchMode::on;
  FitResult result = fit(data, options);
  write_report(result.model, data, &result.training, folder.path() / "out");
  const std::string html = report_test::read_file(folder.path() / "out" / "report.html");
  EXPECT_NE(html.find("search (held-out loss ± standard error per optimizer and weight decay)"), std::string::npos);
  EXPECT_NE(html.find("adam 0: "), std::string::npos);
  const std::size_t adam = html.find("adam 0: ");
  ASSERT_NE(adam, std::string::npos);
  EXPECT_NE(html.substr(adam, html.find(';', adam) - adam).find(" ± "), std::string::npos)
      << "the standard error of a candidate's loss";
  EXPECT_NE(html.find("chosen by 5-fold cross-validation"), std::string::npos) << "the recipe row";
  // The search trains on every row, so the loss figure has no validation curve in its title.
  expect_figure(folder.path() / "out", "loss", "Training loss");
  EXPECT_EQ(report_test::read_file(folder.path() / "out" / "loss.svg").find("Training and validation loss"), std::string::npos);
}

TEST(Report, TopUnitsSumsTheRest) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_report_top_units");
  const Dataset data = report_test::wave_dataset(80);
  FitResult result = quick_fit(data, {12}, Activation::hard_sigmoid);
  ReportOptions options;
  options.top_units = 3;
  write_report(result.model, data, nullptr, folder.path(), options);
  const std::string svg = report_test::read_file(folder.path() / "units.svg");
  EXPECT_NE(svg.find("12 hard_sigmoid units and their sum (largest 3 drawn)"), std::string::npos);
  EXPECT_NE(svg.find("sum of the other 9 units"), std::string::npos);
  // Without a history the loss figure is left out, with a note saying so.
  EXPECT_FALSE(fs::exists(folder.path() / "loss.svg"));
}

TEST(Report, TwoInputsWritesHeatMaps) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_report_two_inputs");
  const Dataset data = report_test::surface_dataset();
  FitResult result = quick_fit(data, {16, 16}, Activation::tanh);
  const ReportResult report = write_report(result.model, data, &result.training, folder.path());
  expect_figure(folder.path(), "target_map", "Target elevation in the data");
  expect_figure(folder.path(), "fit_map", "Network fit of elevation");
  expect_figure(folder.path(), "error_map", "Error of elevation (predicted - actual)");
  expect_figure(folder.path(), "parity", "Predicted vs actual elevation");
  const std::string gridded = report_test::read_file(folder.path() / "target_map.gp");
  EXPECT_NE(gridded.find("with image"), std::string::npos) << "a regular grid is drawn as an image";
  // Two hidden layers cannot be decomposed, and two inputs have no curve.
  EXPECT_FALSE(fs::exists(folder.path() / "units.svg"));
  EXPECT_EQ(report.figures.size(), 6u);
}

TEST(Report, ClassificationWritesConfusionMatrix) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_report_classes");
  const Dataset data = report_test::halves_dataset();
  FitResult result = quick_fit(data, {8}, Activation::relu);
  const ReportResult report = write_report(result.model, data, &result.training, folder.path());
  expect_figure(folder.path(), "confusion", "Confusion matrix: accuracy");
  const std::string svg = report_test::read_file(folder.path() / "confusion.svg");
  EXPECT_NE(svg.find("left ("), std::string::npos) << "per-class accuracy of 'left'";
  EXPECT_NE(svg.find("right ("), std::string::npos) << "per-class accuracy of 'right'";
  EXPECT_FALSE(fs::exists(folder.path() / "parity.svg"));
}

TEST(Report, HtmlIsSelfContained) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_report_html");
  const Dataset data = report_test::wave_dataset(60);
  FitResult result = quick_fit(data, {4}, Activation::sigmoid);
  const ReportResult report = write_report(result.model, data, &result.training, folder.path());
  const std::string html = report_test::read_file(report.html);

  std::size_t svg_count = 0;
  for (std::size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) ++svg_count;
  EXPECT_EQ(svg_count, report.figures.size());
  EXPECT_EQ(html.find("<?xml"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos) << "the page forbids loading anything";
  for (const char* reference : {"src=\"http", "src='http", "href=\"http", "href='http", "url(http", "@import"}) {
    EXPECT_EQ(html.find(reference), std::string::npos) << reference;
  }
  // Each figure's ids carry a prefix, so the inlined SVGs do not share ids.
  EXPECT_NE(html.find("id=\"f0_gnuplot_canvas\""), std::string::npos);
  EXPECT_NE(html.find("id=\"f1_gnuplot_canvas\""), std::string::npos);
  EXPECT_NE(html.find("<title>Fitted curve: height against position</title>"), std::string::npos);
}

TEST(Report, MissingGnuplotNamesPackage) {
  TemporaryFolder folder("protean_report_no_gnuplot");
  const Dataset data = report_test::wave_dataset(40);
  FitResult result = quick_fit(data, {3}, Activation::sigmoid);
  ReportOptions options;
  options.gnuplot = "protean-test-no-such-gnuplot";
  try {
    write_report(result.model, data, &result.training, folder.path(), options);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("protean-test-no-such-gnuplot"), std::string::npos) << message;
    EXPECT_NE(message.find("gnuplot-nox"), std::string::npos) << message;
  }
}

TEST(Report, UnitsFigureRejectsUnknownExtension) {
  const Dataset data = report_test::wave_dataset(40);
  FitResult result = quick_fit(data, {3}, Activation::sigmoid);
  const Decomposition parts = decompose(result.model, {0.0f, 1.0f});
  EXPECT_THROW(write_units_figure(result.model, parts, nullptr, "units.pdf"), Error);
}

TEST(Report, UnitsFigureSparesItsInputs) {
  TemporaryFolder folder("protean_units_inputs");
  const Dataset data = report_test::wave_dataset(40);
  FitResult result = quick_fit(data, {3}, Activation::sigmoid);
  const Decomposition parts = decompose(result.model, {0.0f, 1.0f});
  // Each file the figure writes (the figure, STEM.dat and STEM.gp) in turn is an input.
  for (const char* input_name : {"units.png", "units.dat", "units.gp"}) {
    const std::filesystem::path input = folder.path() / input_name;
    report_test::write_file(input, "x,y\n1,2\n");
    ReportOptions options;
    options.inputs = {input};
    try {
      write_units_figure(result.model, parts, nullptr, folder.path() / "units.png", options);
      ADD_FAILURE() << "the figure wrote over its input " << input_name;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("would write over its input file"), std::string::npos) << e.what();
    }
    EXPECT_EQ(report_test::read_file(input), "x,y\n1,2\n") << input_name;
    std::filesystem::remove(input);
  }
}

TEST(Report, RejectsDataWithOtherInputs) {
  TemporaryFolder folder("protean_report_mismatch");
  const Dataset wave = report_test::wave_dataset(40);
  FitResult result = quick_fit(wave, {3}, Activation::sigmoid);
  EXPECT_THROW(write_report(result.model, report_test::surface_dataset(), nullptr, folder.path()), Error);
}

}  // namespace
}  // namespace protean
