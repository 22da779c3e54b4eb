// End-to-end checks of `protean fit --report`, `protean report` and `protean explain`, and of
// report.html rendered in headless Chromium.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <vector>

#include "report/report_test_support.hpp"

namespace protean {
namespace {

using report_test::TemporaryFolder;
namespace fs = std::filesystem;

const std::string kCli = std::string("'") + PROTEAN_CLI_PATH + "'";

// Writes wave.csv and fits a 1→8→1 sigmoid model to it in `folder`, with a report in report/.
void fit_wave(const fs::path& folder) {
  report_test::write_file(folder / "wave.csv", report_test::wave_csv(150));
  const auto result =
      report_test::run_command(folder, kCli + " fit wave.csv --hidden 8 -a sigmoid -e 20 -o wave.safetensors --report report");
  ASSERT_EQ(result.status, 0) << result.output;
}

TEST(ReportCli, FitWithReportWritesModelAndReport) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_report_cli_fit");
  fit_wave(folder.path());
  EXPECT_TRUE(fs::exists(folder.path() / "wave.safetensors"));
  for (const char* file : {"report.html", "loss.svg", "loss.png", "fit.svg", "units.svg", "parity.png", "residuals.png"}) {
    ASSERT_TRUE(fs::exists(folder.path() / "report" / file)) << file;
    EXPECT_GT(fs::file_size(folder.path() / "report" / file), 0u) << file;
  }
}

TEST(ReportCli, DiagnosticsDrawGradientNorms) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_report_cli_gradients");
  report_test::write_file(folder.path() / "wave.csv", report_test::wave_csv(120));
  const auto result = report_test::run_command(
      folder.path(), kCli + " fit wave.csv --hidden 6,6,6 -a sigmoid -e 5 --diagnostics -o wave.safetensors --report report");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find(" grad "), std::string::npos) << result.output;
  const fs::path svg = folder.path() / "report" / "gradient_norms.svg";
  ASSERT_TRUE(fs::exists(svg));
  const std::string text = report_test::read_file(svg);
  EXPECT_NE(text.find("Weight-gradient norm per layer"), std::string::npos);
  EXPECT_NE(text.find("layer 4"), std::string::npos);
}

// Two categories make two 0/1 inputs, which a heat map of two numeric inputs would misdraw.
TEST(ReportCli, CategoricalInputsSkipHeatMaps) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_report_cli_categorical");
  std::string csv = "kind,y\n";
  for (int r = 0; r < 40; ++r) csv += r % 2 == 0 ? "shell,1\n" : "stone,3\n";
  report_test::write_file(folder.path() / "kinds.csv", csv);
  const auto fit = report_test::run_command(folder.path(), kCli + " fit kinds.csv --task regression --hidden 4 -e 5 --search off -o kinds.safetensors");
  ASSERT_EQ(fit.status, 0) << fit.output;
  const auto result = report_test::run_command(folder.path(), kCli + " report kinds.safetensors kinds.csv -o report");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("input column 'kind' is categorical"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(folder.path() / "report" / "fit_map.svg"));
  EXPECT_TRUE(fs::exists(folder.path() / "report" / "parity.svg"));
  EXPECT_NE(report_test::read_file(folder.path() / "report" / "report.html").find("kind=shell"), std::string::npos);
}

TEST(ReportCli, ReportCommandUsesColumnNames) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_report_cli_report");
  fit_wave(folder.path());
  const auto result = report_test::run_command(folder.path(), kCli + " report wave.safetensors wave.csv -o again --top-units 3");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("report: again/report.html"), std::string::npos) << result.output;
  const std::string fit_svg = report_test::read_file(folder.path() / "again" / "fit.svg");
  EXPECT_NE(fit_svg.find("Fitted curve: height against position"), std::string::npos);
  const std::string units_svg = report_test::read_file(folder.path() / "again" / "units.svg");
  EXPECT_NE(units_svg.find("sum of the other 5 units"), std::string::npos);
  // `protean report` has no training history, so the loss figure is left out with a note.
  EXPECT_FALSE(fs::exists(folder.path() / "again" / "loss.svg"));
  EXPECT_NE(result.output.find("left out: Loss per epoch"), std::string::npos) << result.output;
}

TEST(ReportCli, MissingGnuplotStillSavesModel) {
  TemporaryFolder folder("protean_report_cli_no_gnuplot");
  report_test::write_file(folder.path() / "wave.csv", report_test::wave_csv(60));
  // An empty PATH hides gnuplot; protean itself is started by its full path.
  const auto result = report_test::run_command(
      folder.path(), "env PATH=/protean-test-empty-path " + kCli + " fit wave.csv --hidden 4 -e 5 -o wave.safetensors --report report");
  EXPECT_EQ(result.status, 1) << result.output;
  EXPECT_NE(result.output.find("'gnuplot' was not found"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("gnuplot-nox"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("the model was saved to wave.safetensors"), std::string::npos) << result.output;
  EXPECT_TRUE(fs::exists(folder.path() / "wave.safetensors"));
}

TEST(ReportCli, NeverWritesOverItsInputs) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_report_cli_inputs");
  fit_wave(folder.path());
  // The data file sits in the report folder under the name of a figure's data file.
  const std::string wave = report_test::read_file(folder.path() / "wave.csv");
  report_test::write_file(folder.path() / "report" / "fit.dat", wave);
  const auto fit = report_test::run_command(
      folder.path(), kCli + " fit report/fit.dat --hidden 4 -e 2 -o again.safetensors --report report");
  EXPECT_NE(fit.status, 0) << fit.output;
  EXPECT_NE(fit.output.find("the report would write over its input file 'report/fit.dat'"), std::string::npos) << fit.output;
  EXPECT_EQ(report_test::read_file(folder.path() / "report" / "fit.dat"), wave);

  // The model as report.html's neighbour: `protean report` must not replace it with figure data.
  fs::copy_file(folder.path() / "wave.safetensors", folder.path() / "report" / "units.dat", fs::copy_options::overwrite_existing);
  const std::string model = report_test::read_file(folder.path() / "report" / "units.dat");
  const auto report = report_test::run_command(folder.path(), kCli + " report report/units.dat wave.csv -o report");
  EXPECT_NE(report.status, 0) << report.output;
  EXPECT_EQ(report_test::read_file(folder.path() / "report" / "units.dat"), model);
}

TEST(ReportCli, FooterNamesFolderWithTrailingSlash) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_report_cli_slash");
  fit_wave(folder.path());
  const auto report = report_test::run_command(folder.path(), kCli + " report wave.safetensors wave.csv -o slashed/");
  ASSERT_EQ(report.status, 0) << report.output;
  const std::string html = report_test::read_file(folder.path() / "slashed" / "report.html");
  EXPECT_NE(html.find("into slashed.</small>"), std::string::npos);
}

TEST(ReportCli, ReportPathThatIsFileFailsBeforeTraining) {
  TemporaryFolder folder("protean_report_cli_file");
  report_test::write_file(folder.path() / "wave.csv", report_test::wave_csv(50));
  report_test::write_file(folder.path() / "afile", "not a folder");
  const auto fit = report_test::run_command(folder.path(), kCli + " fit wave.csv -e 2 --hidden 4 --report afile");
  EXPECT_NE(fit.status, 0);
  EXPECT_NE(fit.output.find("the --report path is a file, not a folder"), std::string::npos) << fit.output;
  EXPECT_EQ(fit.output.find("epoch"), std::string::npos) << "no training before the error";
  EXPECT_FALSE(fs::exists(folder.path() / "model.safetensors"));
}

TEST(ExplainCli, PrintsFormulaAndWritesFigure) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_report_cli_explain");
  fit_wave(folder.path());
  const auto result = report_test::run_command(folder.path(), kCli + " explain wave.safetensors --data wave.csv -o figures/units.svg");
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("height = b + sum over 8 hidden units of c_i*sigmoid(w_i*position + b_i)"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("formula:\nheight = "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("*sigmoid("), std::string::npos) << result.output;
  ASSERT_TRUE(fs::exists(folder.path() / "figures" / "units.svg"));
  EXPECT_FALSE(fs::exists(folder.path() / "figures" / "units.png")) << "only the requested format is drawn";
  const std::string svg = report_test::read_file(folder.path() / "figures" / "units.svg");
  EXPECT_NE(svg.find("8 sigmoid units and their sum"), std::string::npos);
}

TEST(ExplainCli, NeverWritesOverItsInputs) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  TemporaryFolder folder("protean_explain_cli_inputs");
  fit_wave(folder.path());
  // The data under the name of the figure's data file: explain must not replace it.
  const std::string wave = report_test::read_file(folder.path() / "wave.csv");
  report_test::write_file(folder.path() / "units.dat", wave);
  const auto with_data =
      report_test::run_command(folder.path(), kCli + " explain wave.safetensors --data units.dat -o units.png");
  EXPECT_NE(with_data.status, 0) << with_data.output;
  EXPECT_NE(with_data.output.find("would write over its input file 'units.dat'"), std::string::npos) << with_data.output;
  EXPECT_EQ(report_test::read_file(folder.path() / "units.dat"), wave);

  // The model under the name of the figure's gnuplot script.
  fs::copy_file(folder.path() / "wave.safetensors", folder.path() / "units.gp");
  const std::string model = report_test::read_file(folder.path() / "units.gp");
  const auto with_model = report_test::run_command(folder.path(), kCli + " explain units.gp -o units.svg");
  EXPECT_NE(with_model.status, 0) << with_model.output;
  EXPECT_EQ(report_test::read_file(folder.path() / "units.gp"), model);
}

TEST(ExplainCli, BadFigureNameFailsBeforePrinting) {
  TemporaryFolder folder("protean_explain_cli_extension");
  fit_wave(folder.path());
  const auto explain = report_test::run_command(folder.path(), kCli + " explain wave.safetensors -o units.txt");
  EXPECT_NE(explain.status, 0);
  EXPECT_NE(explain.output.find("cannot tell the figure format of 'units.txt'"), std::string::npos) << explain.output;
  EXPECT_EQ(explain.output.find("formula"), std::string::npos) << explain.output;
}

TEST(ExplainCli, RejectsTwoHiddenLayers) {
  TemporaryFolder folder("protean_report_cli_explain_deep");
  report_test::write_file(folder.path() / "wave.csv", report_test::wave_csv(60));
  ASSERT_EQ(report_test::run_command(folder.path(), kCli + " fit wave.csv --hidden 4,4 -e 3 -o deep.safetensors").status, 0);
  const auto result = report_test::run_command(folder.path(), kCli + " explain deep.safetensors");
  EXPECT_EQ(result.status, 1) << result.output;
  EXPECT_NE(result.output.find("2 hidden layers"), std::string::npos) << result.output;
}

// --- PNG decoding, enough to tell a blank screenshot from a drawn one -------------------------

std::uint32_t big_endian(const unsigned char* bytes) {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) | (std::uint32_t{bytes[2]} << 8) | bytes[3];
}

int paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a);
  const int pb = std::abs(p - b);
  const int pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

// Decodes an 8-bit RGB or RGBA, non-interlaced PNG into its pixel rows. Returns an empty vector
// for anything else.
std::vector<std::vector<unsigned char>> decode_png_rows(const std::string& file, int& channels) {
  const auto* data = reinterpret_cast<const unsigned char*>(file.data());
  if (file.size() < 33 || file.compare(1, 3, "PNG") != 0) return {};
  const std::uint32_t width = big_endian(data + 16);
  const std::uint32_t height = big_endian(data + 20);
  const int bit_depth = data[24];
  const int colour_type = data[25];
  const int interlace = data[28];
  if (bit_depth != 8 || (colour_type != 2 && colour_type != 6) || interlace != 0) return {};
  channels = colour_type == 6 ? 4 : 3;

  std::string compressed;
  for (std::size_t at = 8; at + 12 <= file.size();) {
    const std::uint32_t length = big_endian(data + at);
    const std::string type = file.substr(at + 4, 4);
    if (type == "IDAT") compressed += file.substr(at + 8, length);
    at += 12 + length;
  }
  const std::size_t stride = static_cast<std::size_t>(width) * channels;
  std::vector<unsigned char> raw((stride + 1) * height);
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(compressed.data()), compressed.size()) != Z_OK) return {};

  std::vector<std::vector<unsigned char>> rows(height, std::vector<unsigned char>(stride));
  for (std::uint32_t y = 0; y < height; ++y) {
    const unsigned char filter = raw[y * (stride + 1)];
    const unsigned char* line = &raw[y * (stride + 1) + 1];
    for (std::size_t i = 0; i < stride; ++i) {
      const int left = i >= static_cast<std::size_t>(channels) ? rows[y][i - channels] : 0;
      const int up = y > 0 ? rows[y - 1][i] : 0;
      const int up_left = (y > 0 && i >= static_cast<std::size_t>(channels)) ? rows[y - 1][i - channels] : 0;
      int predictor = 0;
      switch (filter) {
        case 1: predictor = left; break;
        case 2: predictor = up; break;
        case 3: predictor = (left + up) / 2; break;
        case 4: predictor = paeth(left, up, up_left); break;
        default: predictor = 0;
      }
      rows[y][i] = static_cast<unsigned char>(line[i] + predictor);
    }
  }
  return rows;
}

TEST(ReportBrowser, HeadlessChromiumRendersReportOffline) {
  if (!report_test::gnuplot_installed()) GTEST_SKIP() << "gnuplot is not installed (Debian package gnuplot-nox)";
  if (!program_available("chromium")) GTEST_SKIP() << "chromium is not installed (Debian package chromium)";
  TemporaryFolder folder("protean_report_browser");
  fit_wave(folder.path());
  const fs::path html = folder.path() / "report" / "report.html";
  const std::string page = report_test::read_file(html);
  for (const char* reference : {"src=\"http", "href=\"http", "src='http", "href='http"}) {
    ASSERT_EQ(page.find(reference), std::string::npos) << "the page references " << reference;
  }

  // These flags keep Chromium from contacting any host: no background networking, component
  // updates or sync, and a fresh profile per run.
  const auto flags = [&](const char* profile) {
    return "--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking --disable-component-update "
           "--disable-sync --user-data-dir='" + (folder.path() / profile).string() + "'";
  };
  const auto shot = report_test::run_command(
      folder.path(), "timeout 120 chromium " + flags("profile") + " --screenshot=shot.png --window-size=1100,2400 'file://" + html.string() + "'");
  ASSERT_EQ(shot.status, 0) << shot.output;
  ASSERT_TRUE(fs::exists(folder.path() / "shot.png")) << shot.output;

  int channels = 0;
  const auto rows = decode_png_rows(report_test::read_file(folder.path() / "shot.png"), channels);
  ASSERT_FALSE(rows.empty()) << "the screenshot is not an 8-bit RGB(A) PNG";
  EXPECT_EQ(rows.size(), 2400u);
  std::size_t pixels = 0;
  std::size_t differing = 0;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i + 2 < row.size(); i += static_cast<std::size_t>(channels)) {
      ++pixels;
      if (row[i] != rows[0][0] || row[i + 1] != rows[0][1] || row[i + 2] != rows[0][2]) ++differing;
    }
  }
  EXPECT_GT(differing, pixels / 50) << "fewer than 2% of the pixels differ from the background: the page looks blank";

  const auto dom = report_test::run_command(folder.path(), "timeout 120 chromium " + flags("profile_dom") +
                                                               " --dump-dom 'file://" + html.string() + "' 2>/dev/null");
  ASSERT_EQ(dom.status, 0) << dom.output;
  std::size_t svg_count = 0;
  for (std::size_t at = dom.output.find("<svg"); at != std::string::npos; at = dom.output.find("<svg", at + 1)) ++svg_count;
  EXPECT_EQ(svg_count, 5u) << "loss, fit, units, parity and residuals";
  EXPECT_NE(dom.output.find("8 sigmoid units and their sum"), std::string::npos);
  EXPECT_NE(dom.output.find("Fitted curve: height against position"), std::string::npos);
}

}  // namespace
}  // namespace protean
