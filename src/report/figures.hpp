// Internal: the gnuplot figures of a report, one builder per kind. Builders only compute data
// and script text; render_figure() draws them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gnuplot.hpp"
#include "protean/data/dataset.hpp"
#include "protean/model.hpp"
#include "protean/report/decomposition.hpp"
#include "protean/train/trainer.hpp"

namespace protean::report_detail {

// Regression data of one target column, in the target's units.
struct TargetColumn {
  std::string name;
  Index index = 0;  // column in the targets and the predictions
  std::vector<float> actual;
  std::vector<float> predicted;
};

// Returns nothing when no epoch has a positive loss to draw on a log scale.
std::optional<GnuplotFigure> loss_figure(const TrainResult& history, const Model& model);

// Per-layer weight-gradient norms per epoch (log scale); nothing when none were recorded.
std::optional<GnuplotFigure> gradient_norm_figure(const TrainResult& history);

GnuplotFigure fit_curve_figure(const std::string& name, Model& model, const Dataset& data, Index target);

GnuplotFigure units_figure(const std::string& name, const Model& model, const Decomposition& parts, const Dataset* data,
                           std::size_t top_units);

// Heat maps over two inputs: the data's target, the network's prediction on a regular grid, and
// the error (predicted − actual) at the data points.
GnuplotFigure target_map_figure(const std::string& name, Model& model, const Dataset& data, const TargetColumn& column);
GnuplotFigure fit_map_figure(const std::string& name, Model& model, const Dataset& data, const TargetColumn& column);
GnuplotFigure error_map_figure(const std::string& name, const Dataset& data, const TargetColumn& column);

GnuplotFigure parity_figure(const std::string& name, const TargetColumn& column);
GnuplotFigure residuals_figure(const std::string& name, const TargetColumn& column);

// `true_classes` and `predicted_classes` are ids into `class_names`.
GnuplotFigure confusion_figure(const std::string& name, const std::vector<std::string>& class_names,
                               const std::vector<Index>& true_classes, const std::vector<Index>& predicted_classes);

// The grid of `count` evenly spaced points from `low` to `high`, both included.
std::vector<float> linear_grid(double low, double high, std::size_t count);

}  // namespace protean::report_detail
