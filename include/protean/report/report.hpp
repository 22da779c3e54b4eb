// Reports: figures that show what a fitted network learned, drawn with gnuplot.
//
// write_report() writes, into one folder, every figure that suits the model and the data:
//   loss        training and validation loss per epoch (log scale) with the learning rate
//   fit         one input, regression: the data and the fitted curve
//   units       one input, one hidden Dense layer: each unit's contribution and their sum
//   target_map, fit_map, error_map   two inputs, regression: heat maps over the inputs
//   parity, residuals                regression: predicted against actual, residual histogram
//   confusion   classification: confusion matrix with per-class accuracy (recall)
// Each figure is saved as NAME.svg and NAME.png, with the data (NAME.dat) and the gnuplot script
// (NAME.gp) that drew it, and report.html shows them all with the SVGs inlined, so that it opens
// offline and loads nothing. Every file is written atomically (temporary file, then rename).
//
//   protean::FitResult result = protean::fit(data, options);
//   protean::write_report(result.model, data, &result.training, "report");
//
// gnuplot 5.4 (Debian package gnuplot-nox) must be on PATH, with its svg and pngcairo terminals.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "protean/data/dataset.hpp"
#include "protean/model.hpp"
#include "protean/report/decomposition.hpp"
#include "protean/train/trainer.hpp"

namespace protean {

struct ReportOptions {
  // Units figure: draw the k units with the largest span on their own and the rest as one
  // summed curve; 0 draws every unit.
  std::size_t top_units = 0;
  int width = 960;    // figure size in pixels (SVG user units)
  int height = 600;
  std::string gnuplot = "gnuplot";  // program name, looked up on PATH, or a path
  // Files the report must not write over (the data and model it reads). write_report() and
  // write_units_figure() throw before writing anything when one of them has the name of a file
  // they would write.
  std::vector<std::filesystem::path> inputs;
};

struct FigureFile {
  std::string name;   // file stem, for example "loss"
  std::string title;  // the figure's title as drawn
  std::filesystem::path svg;  // empty when not written
  std::filesystem::path png;  // empty when not written
};

struct ReportResult {
  std::filesystem::path html;
  std::vector<FigureFile> figures;
  std::vector<std::string> notes;  // figures left out and why, also listed in the HTML
};

// Writes report.html and the figures into `directory` (created when missing). `history` may be
// null, and then the loss figure is left out. For classification the data's class names must be
// among the model's. Errors: gnuplot missing (names the Debian package), gnuplot failing (quotes
// its message), data that does not match the model, a folder that cannot be written.
ReportResult write_report(Model& model, const Dataset& data, const TrainResult* history,
                          const std::filesystem::path& directory, const ReportOptions& options = {});

// Draws the units figure of a decomposition into `path`, which must end in .svg or .png; the
// data and script go beside it as STEM.dat and STEM.gp. `data` (may be null) adds the data
// points. Errors: as write_report (including a file to write that is one of options.inputs),
// plus an unsupported extension.
FigureFile write_units_figure(const Model& model, const Decomposition& parts, const Dataset* data,
                              const std::filesystem::path& path, const ReportOptions& options = {});

// Returns true when `program` (a name on PATH, or a path) exists and can be executed.
bool program_available(const std::string& program);

}  // namespace protean
