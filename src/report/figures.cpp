#include "figures.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "protean/error.hpp"

namespace protean::report_detail {

namespace {

// One colour per role, the same in every figure.
constexpr const char* kDataColour = "#8c8c8c";
constexpr const char* kFitColour = "#d62728";
constexpr const char* kTrainColour = "#1f77b4";
constexpr const char* kValidationColour = "#ff7f0e";
constexpr const char* kRateColour = "#2ca02c";
constexpr const char* kSumColour = "#000000";
// Hidden units cycle through these: the Tableau 10 colours, with light blue in place of red,
// because red is the fit's colour.
constexpr const char* kUnitColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
                                        "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#aec7e8"};
constexpr const char* kSequentialPalette =
    "set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', 0.75 '#5ec962', 1 '#fde725')\n";
constexpr const char* kDivergingPalette = "set palette defined (0 '#2166ac', 0.5 '#f7f7f7', 1 '#b2182b')\n";

// Scatter plots draw at most this many rows, picked with an even stride, so that a report on a
// large data set stays small. The summary numbers use every row.
constexpr std::size_t kMaxPlottedPoints = 20000;

std::size_t plot_stride(std::size_t rows) { return rows <= kMaxPlottedPoints ? 1 : (rows + kMaxPlottedPoints - 1) / kMaxPlottedPoints; }

std::string rows_label(std::size_t rows) {
  const std::size_t stride = plot_stride(rows);
  if (stride == 1) return fmt::format("data ({} rows)", rows);
  return fmt::format("data (every {}th of {} rows)", stride, rows);
}

std::pair<double, double> value_range(const std::vector<float>& values) {
  double low = std::numeric_limits<double>::infinity();
  double high = -low;
  for (const float v : values) {
    if (!std::isfinite(v)) continue;
    low = std::min(low, static_cast<double>(v));
    high = std::max(high, static_cast<double>(v));
  }
  if (low > high) return {0.0, 1.0};
  return {low, high};
}

std::vector<float> column_values(ConstMatrixView matrix, Index column) {
  std::vector<float> values(static_cast<std::size_t>(matrix.rows()));
  for (Index r = 0; r < matrix.rows(); ++r) values[static_cast<std::size_t>(r)] = matrix(r, column);
  return values;
}

// "[low:high]" with a margin, so that a constant value still gets a visible range.
std::string padded_range(double low, double high, double margin_fraction) {
  double margin = (high - low) * margin_fraction;
  if (margin <= 0.0) margin = std::max(std::abs(low), 1.0) * 0.05;
  return fmt::format("[{}:{}]", low - margin, high + margin);
}

const std::string& input_name(const Model& model, Index column) { return model.input_names.at(static_cast<std::size_t>(column)); }

// A two-input data set is gridded when its rows are every combination of evenly spaced values
// per input, each once. Its target can then be drawn as an image like the fit.
bool is_regular_grid(const Dataset& data) {
  std::set<float> first;
  std::set<float> second;
  std::set<std::pair<float, float>> pairs;
  for (Index r = 0; r < data.rows(); ++r) {
    first.insert(data.inputs(r, 0));
    second.insert(data.inputs(r, 1));
    pairs.emplace(data.inputs(r, 0), data.inputs(r, 1));
  }
  if (first.size() < 2 || second.size() < 2) return false;
  if (first.size() * second.size() != static_cast<std::size_t>(data.rows()) || pairs.size() != first.size() * second.size()) {
    return false;
  }
  const auto evenly_spaced = [](const std::set<float>& values) {
    const double step = (static_cast<double>(*values.rbegin()) - *values.begin()) / static_cast<double>(values.size() - 1);
    double previous = *values.begin();
    for (auto it = std::next(values.begin()); it != values.end(); ++it) {
      if (std::abs((static_cast<double>(*it) - previous) - step) > 1e-3 * step) return false;
      previous = *it;
    }
    return true;
  };
  return evenly_spaced(first) && evenly_spaced(second);
}

// Data rows "x0 x1 value" for a map: sorted into scan lines with blank lines between them when
// gridded (the layout `with image` reads), else one row per data point.
std::string map_rows(const Dataset& data, const std::vector<float>& values, bool gridded) {
  std::vector<Index> order(static_cast<std::size_t>(data.rows()));
  for (Index r = 0; r < data.rows(); ++r) order[static_cast<std::size_t>(r)] = r;
  std::size_t stride = 1;
  if (gridded) {
    std::sort(order.begin(), order.end(), [&](Index a, Index b) {
      if (data.inputs(a, 1) != data.inputs(b, 1)) return data.inputs(a, 1) < data.inputs(b, 1);
      return data.inputs(a, 0) < data.inputs(b, 0);
    });
  } else {
    stride = plot_stride(order.size());
  }
  std::string text;
  for (std::size_t k = 0; k < order.size(); k += stride) {
    const Index r = order[k];
    if (gridded && k > 0 && data.inputs(r, 1) != data.inputs(order[k - 1], 1)) text += '\n';
    text += fmt::format("{} {} {}\n", data_number(data.inputs(r, 0)), data_number(data.inputs(r, 1)),
                        data_number(values[static_cast<std::size_t>(r)]));
  }
  return text;
}

std::string map_axes(const Model& model, const Dataset& data) {
  const auto [x_low, x_high] = value_range(column_values(data.inputs, 0));
  const auto [y_low, y_high] = value_range(column_values(data.inputs, 1));
  std::string commands;
  commands += fmt::format("set xlabel {}\n", gnuplot_string(input_name(model, 0)));
  commands += fmt::format("set ylabel {}\n", gnuplot_string(input_name(model, 1)));
  commands += fmt::format("set xrange {}\n", padded_range(x_low, x_high, 0.02));
  commands += fmt::format("set yrange {}\n", padded_range(y_low, y_high, 0.02));
  commands += "set grid front\nunset key\n";
  return commands;
}

// The colour range shared by the target and fit maps, so that equal colours mean equal values.
std::string shared_colour_range(const TargetColumn& column) {
  const auto [actual_low, actual_high] = value_range(column.actual);
  const auto [predicted_low, predicted_high] = value_range(column.predicted);
  return fmt::format("set cbrange {}\n", padded_range(std::min(actual_low, predicted_low), std::max(actual_high, predicted_high), 0.0));
}

// Grid resolution of the fit map along each input.
constexpr std::size_t kMapGridSize = 120;

double rmse_of(const TargetColumn& column) {
  double sum = 0.0;
  for (std::size_t k = 0; k < column.actual.size(); ++k) {
    const double e = static_cast<double>(column.predicted[k]) - column.actual[k];
    sum += e * e;
  }
  return column.actual.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(column.actual.size()));
}

double r2_of(const TargetColumn& column) {
  double mean = 0.0;
  for (const float v : column.actual) mean += v;
  mean /= std::max<std::size_t>(column.actual.size(), 1);
  double residual = 0.0;
  double total = 0.0;
  for (std::size_t k = 0; k < column.actual.size(); ++k) {
    residual += std::pow(static_cast<double>(column.predicted[k]) - column.actual[k], 2);
    total += std::pow(static_cast<double>(column.actual[k]) - mean, 2);
  }
  if (total == 0.0) return residual == 0.0 ? 1.0 : 0.0;
  return 1.0 - residual / total;
}

std::string percent_escaped(std::string_view text) {
  std::string escaped;
  for (const char c : text) {
    escaped += c;
    if (c == '%') escaped += '%';
  }
  return escaped;
}

}  // namespace

std::vector<float> linear_grid(double low, double high, std::size_t count) {
  std::vector<float> grid(count);
  for (std::size_t k = 0; k < count; ++k) {
    const double t = count == 1 ? 0.0 : static_cast<double>(k) / static_cast<double>(count - 1);
    grid[k] = static_cast<float>(low + (high - low) * t);
  }
  return grid;
}

std::optional<GnuplotFigure> loss_figure(const TrainResult& history, const Model& model) {
  GnuplotFigure figure;
  figure.name = "loss";
  figure.title = "Training and validation loss";
  const auto positive = [](double v) { return std::isfinite(v) && v > 0.0 ? v : std::numeric_limits<double>::quiet_NaN(); };
  bool any_train = false;
  bool any_validation = false;
  bool any_rate = false;  // L-BFGS records no learning rate, and gnuplot rejects an empty series
  for (const EpochStats& stats : history.history) {
    const double train = positive(stats.train_loss);
    const double validation = positive(stats.validation_loss);
    any_train = any_train || std::isfinite(train);
    any_validation = any_validation || std::isfinite(validation);
    any_rate = any_rate || std::isfinite(positive(stats.learning_rate));
    figure.data += fmt::format("{} {} {} {}\n", stats.epoch, data_number(train), data_number(validation),
                               data_number(positive(stats.learning_rate)));
  }
  if (!any_train && !any_validation) return std::nullopt;
  if (!any_validation) figure.title = "Training loss";

  const std::string loss_name = model.loss == "cross_entropy" ? "cross-entropy" : model.loss;
  const std::string units = model.task == Task::regression ? ", standardized targets" : "";
  const char* style = history.history.size() <= 30 ? "linespoints pt 7 ps 0.6" : "lines";
  std::string& c = figure.commands;
  c += fmt::format("set title {}\n", gnuplot_string(figure.title));
  c += fmt::format("set xlabel '{}'\n", history_unit(history));
  c += fmt::format("set ylabel {}\n", gnuplot_string(fmt::format("loss ({}{}, log scale)", loss_name, units)));
  c += "set logscale y\nset format y '%g'\n";
  if (any_rate) c += "set y2label 'learning rate (log scale)'\nset logscale y2\nset y2tics\nset format y2 '%.0e'\n";
  c += "set key top right\n";
  if (history.best_epoch > 0) {
    c += fmt::format("set arrow from {0}, graph 0 to {0}, graph 1 nohead dt 3 lw 1.2 lc rgb '#555555'\n", history.best_epoch);
    // Write the label on the side of the line with more room.
    const bool right_half = 2 * static_cast<std::size_t>(history.best_epoch) > history.history.size();
    c += fmt::format("set label {} at {}, graph 0.04 {} tc rgb '#555555'\n",
                     gnuplot_string(fmt::format("kept {} {}", history_unit(history), history.best_epoch)), history.best_epoch,
                     right_half ? "right offset -0.5,0" : "left offset 0.5,0");
  }
  std::vector<std::string> curves;
  if (any_train) {
    curves.push_back(fmt::format("'loss.dat' using 1:2 with {} lw 2 lc rgb '{}' title 'training loss'", style, kTrainColour));
  }
  if (any_validation) {
    curves.push_back(fmt::format("'loss.dat' using 1:3 with {} lw 2 lc rgb '{}' title 'validation loss'", style, kValidationColour));
  }
  if (any_rate) {
    curves.push_back(fmt::format("'loss.dat' using 1:4 axes x1y2 with lines lw 1.5 dt 2 lc rgb '{}' title 'learning rate'", kRateColour));
  }
  c += "plot " + fmt::format("{}", fmt::join(curves, ", \\\n     ")) + "\n";
  return figure;
}

std::optional<GnuplotFigure> gradient_norm_figure(const TrainResult& history) {
  const std::size_t layers = history.gradient_norm_names.size();
  if (layers == 0 || history.history.empty()) return std::nullopt;
  GnuplotFigure figure;
  figure.name = "gradient_norms";
  figure.title = "Weight-gradient norm per layer";
  const auto positive = [](double v) { return std::isfinite(v) && v > 0.0 ? v : std::numeric_limits<double>::quiet_NaN(); };
  bool any = false;
  for (const EpochStats& stats : history.history) {
    if (stats.gradient_norms.size() != layers) return std::nullopt;
    figure.data += fmt::format("{}", stats.epoch);
    for (const double norm : stats.gradient_norms) {
      any = any || std::isfinite(positive(norm));
      figure.data += fmt::format(" {}", data_number(positive(norm)));
    }
    figure.data += "\n";
  }
  if (!any) return std::nullopt;

  std::string& c = figure.commands;
  c += fmt::format("set title {}\n", gnuplot_string(figure.title));
  c += fmt::format("set xlabel '{}'\n", history_unit(history));
  c += "set ylabel 'L2 norm of the weight gradient (mean over batches, log scale)'\n";
  c += "set logscale y\nset format y '%g'\nset key outside right top\n";
  const char* style = history.history.size() <= 30 ? "linespoints pt 7 ps 0.5" : "lines";
  std::vector<std::string> curves;
  for (std::size_t k = 0; k < layers; ++k) {
    // The name is "<layer>.weight"; show it as "layer <n>" counted from 1, the input side.
    const std::string& name = history.gradient_norm_names[k];
    const std::string layer = name.substr(0, name.find('.'));
    curves.push_back(fmt::format("'gradient_norms.dat' using 1:{} with {} lw 2 title {}", k + 2, style,
                                 gnuplot_string(fmt::format("layer {}", std::stoi(layer) + 1))));
  }
  c += "plot " + fmt::format("{}", fmt::join(curves, ", \\\n     ")) + "\n";
  return figure;
}

GnuplotFigure fit_curve_figure(const std::string& name, Model& model, const Dataset& data, Index target) {
  const std::string& target_name = model.target_names.at(static_cast<std::size_t>(target));
  const std::vector<float> xs = column_values(data.inputs, 0);
  const auto [low, high] = value_range(xs);
  const std::vector<float> grid = linear_grid(low, high, 400);
  const Matrix curve = model.predict(ConstMatrixView(grid.data(), static_cast<Index>(grid.size()), 1));

  GnuplotFigure figure;
  figure.name = name;
  figure.title = fmt::format("Fitted curve: {} against {}", target_name, input_name(model, 0));
  const std::size_t stride = plot_stride(xs.size());
  for (std::size_t r = 0; r < xs.size(); r += stride) {
    figure.data += fmt::format("{} {}\n", data_number(xs[r]), data_number(data.targets(static_cast<Index>(r), target)));
  }
  figure.data += "\n\n";
  for (std::size_t k = 0; k < grid.size(); ++k) {
    figure.data += fmt::format("{} {}\n", data_number(grid[k]), data_number(curve(static_cast<Index>(k), target)));
  }

  std::string& c = figure.commands;
  c += fmt::format("set title {}\n", gnuplot_string(figure.title));
  c += fmt::format("set xlabel {}\nset ylabel {}\n", gnuplot_string(input_name(model, 0)), gnuplot_string(target_name));
  c += "set key top left\n";
  c += fmt::format("plot '{0}.dat' index 0 using 1:2 with points pt 7 ps 0.45 lc rgb '{1}' title {2}, \\\n"
                   "     '{0}.dat' index 1 using 1:2 with lines lw 2.5 lc rgb '{3}' title {4}\n",
                   name, kDataColour, gnuplot_string(rows_label(xs.size())), kFitColour,
                   gnuplot_string(fmt::format("network {}", model.network.describe())));
  return figure;
}

GnuplotFigure units_figure(const std::string& name, const Model& model, const Decomposition& parts, const Dataset* data,
                           std::size_t top_units) {
  const std::vector<std::size_t> order = parts.order_by_span();
  const std::size_t shown = top_units == 0 ? order.size() : std::min(top_units, order.size());
  const std::size_t hidden_count = order.size() - shown;
  const auto target = static_cast<std::size_t>(parts.target);
  const std::string target_name = target < model.target_names.size() ? model.target_names[target] : "y";
  const bool several_targets = model.target_names.size() > 1;

  GnuplotFigure figure;
  figure.name = name;
  figure.title = fmt::format("{} {} units and their sum", parts.units.size(), to_string(parts.activation));
  if (several_targets) figure.title += fmt::format(" for target {}", target_name);
  if (hidden_count > 0) figure.title += fmt::format(" (largest {} drawn)", shown);

  // Block 0: the data points, when given. Block 1: x, total, then one column per drawn unit,
  // then the sum of the units not drawn.
  std::size_t data_rows = 0;
  if (data != nullptr) {
    data_rows = static_cast<std::size_t>(data->rows());
    const std::size_t stride = plot_stride(data_rows);
    for (std::size_t r = 0; r < data_rows; r += stride) {
      figure.data += fmt::format("{} {}\n", data_number(data->inputs(static_cast<Index>(r), 0)),
                                 data_number(data->targets(static_cast<Index>(r), parts.target)));
    }
  }
  figure.data += "NaN NaN\n\n\n";
  std::vector<float> rest(parts.xs.size(), 0.0f);
  for (std::size_t k = 0; k < parts.xs.size(); ++k) {
    figure.data += fmt::format("{} {}", data_number(parts.xs[k]), data_number(parts.total[k]));
    double other = 0.0;
    for (std::size_t j = 0; j < order.size(); ++j) {
      const float value = parts.units[order[j]].values[k];
      if (j < shown) {
        figure.data += ' ' + data_number(value);
      } else {
        other += value;
      }
    }
    rest[k] = static_cast<float>(other);
    figure.data += ' ' + data_number(other) + '\n';
  }

  // Fit the y range to the sum and the data: units that cancel each other can reach far
  // beyond it, and are clipped rather than squashing the fit into a line.
  auto [low, high] = value_range(parts.total);
  if (data != nullptr) {
    const auto [data_low, data_high] = value_range(column_values(data->targets, parts.target));
    low = std::min(low, data_low);
    high = std::max(high, data_high);
  }
  double unit_low = std::min(low, parts.output_bias);
  double unit_high = std::max(high, parts.output_bias);
  for (std::size_t j = 0; j < shown; ++j) {
    const auto [l, h] = value_range(parts.units[order[j]].values);
    unit_low = std::min(unit_low, l);
    unit_high = std::max(unit_high, h);
  }
  const double span = std::max(high - low, 1e-6);
  low = std::max(unit_low, low - 0.6 * span);
  high = std::min(unit_high, high + 0.6 * span);

  std::string& c = figure.commands;
  c += fmt::format("set title {}\n", gnuplot_string(figure.title));
  c += fmt::format("set xlabel {}\nset ylabel {}\n", gnuplot_string(input_name(model, 0)),
                   gnuplot_string(fmt::format("{} (contribution in target units)", target_name)));
  c += fmt::format("set yrange {}\n", padded_range(low, high, 0.04));
  const bool label_each = shown <= 10;
  c += label_each ? "set key outside right top\n" : "set key top left\n";
  std::vector<std::string> curves;
  if (data != nullptr) {
    curves.push_back(fmt::format("'{}.dat' index 0 using 1:2 with points pt 7 ps 0.4 lc rgb '#c8c8c8' title {}", name,
                                 gnuplot_string(rows_label(data_rows))));
  }
  curves.push_back(fmt::format("{} with lines lw 1.2 dt 3 lc rgb '#555555' title {}", parts.output_bias,
                               gnuplot_string(fmt::format("output bias {:.4g}", parts.output_bias))));
  for (std::size_t j = 0; j < shown; ++j) {
    const UnitTerm& unit = parts.units[order[j]];
    std::string title = "notitle";
    if (label_each) {
      title = "title " + gnuplot_string(fmt::format("unit {}", unit.unit + 1));
    } else if (j == 0) {
      title = "title " + gnuplot_string(fmt::format("{} hidden units, one line each", shown));
    }
    curves.push_back(fmt::format("'{}.dat' index 1 using 1:{} with lines lw 1.2 lc rgb '{}' {}", name, j + 3,
                                 kUnitColours[j % std::size(kUnitColours)], title));
  }
  if (hidden_count > 0) {
    curves.push_back(fmt::format("'{}.dat' index 1 using 1:{} with lines lw 1.5 dt 2 lc rgb '#7f7f7f' title {}", name, shown + 3,
                                 gnuplot_string(fmt::format("sum of the other {} units", hidden_count))));
  }
  curves.push_back(fmt::format("'{}.dat' index 1 using 1:2 with lines lw 3 lc rgb '{}' title 'bias + sum of units = fit'", name,
                               kSumColour));
  c += "plot " + fmt::format("{}", fmt::join(curves, ", \\\n     ")) + "\n";
  return figure;
}

GnuplotFigure target_map_figure(const std::string& name, Model& model, const Dataset& data, const TargetColumn& column) {
  GnuplotFigure figure;
  figure.name = name;
  figure.title = fmt::format("Target {} in the data", column.name);
  const bool gridded = is_regular_grid(data);
  figure.data = map_rows(data, column.actual, gridded);

  std::string& c = figure.commands;
  c += fmt::format("set title {}\n", gnuplot_string(figure.title));
  c += map_axes(model, data);
  c += kSequentialPalette;
  c += shared_colour_range(column);
  c += fmt::format("set cblabel {}\n", gnuplot_string(column.name));
  if (gridded) {
    c += fmt::format("plot '{}.dat' using 1:2:3 with image notitle\n", name);
  } else {
    c += fmt::format("plot '{}.dat' using 1:2:3 with points pt 5 ps 0.7 lc palette notitle\n", name);
  }
  return figure;
}

GnuplotFigure fit_map_figure(const std::string& name, Model& model, const Dataset& data, const TargetColumn& column) {
  const auto [x_low, x_high] = value_range(column_values(data.inputs, 0));
  const auto [y_low, y_high] = value_range(column_values(data.inputs, 1));
  const std::vector<float> xs = linear_grid(x_low, x_high, kMapGridSize);
  const std::vector<float> ys = linear_grid(y_low, y_high, kMapGridSize);
  Matrix grid = Matrix::zeros(static_cast<Index>(xs.size() * ys.size()), 2);
  for (std::size_t j = 0; j < ys.size(); ++j) {
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const auto row = static_cast<Index>(j * xs.size() + i);
      grid(row, 0) = xs[i];
      grid(row, 1) = ys[j];
    }
  }
  const Matrix predicted = model.predict(grid);

  GnuplotFigure figure;
  figure.name = name;
  figure.title = fmt::format("Network fit of {}", column.name);
  for (std::size_t j = 0; j < ys.size(); ++j) {
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const auto row = static_cast<Index>(j * xs.size() + i);
      figure.data += fmt::format("{} {} {}\n", data_number(xs[i]), data_number(ys[j]),
                                 data_number(predicted(row, column.index)));
    }
    figure.data += '\n';
  }

  std::string& c = figure.commands;
  c += fmt::format("set title {}\n", gnuplot_string(figure.title));
  c += map_axes(model, data);
  c += kSequentialPalette;
  c += shared_colour_range(column);
  c += fmt::format("set cblabel {}\n", gnuplot_string(fmt::format("predicted {}", column.name)));
  c += fmt::format("plot '{}.dat' using 1:2:3 with image notitle\n", name);
  return figure;
}

GnuplotFigure error_map_figure(const std::string& name, const Dataset& data, const TargetColumn& column) {
  std::vector<float> errors(column.actual.size());
  double largest = 0.0;
  for (std::size_t k = 0; k < errors.size(); ++k) {
    errors[k] = column.predicted[k] - column.actual[k];
    if (std::isfinite(errors[k])) largest = std::max(largest, std::abs(static_cast<double>(errors[k])));
  }
  if (largest == 0.0) largest = 1.0;

  GnuplotFigure figure;
  figure.name = name;
  figure.title = fmt::format("Error of {} (predicted - actual)", column.name);
  const bool gridded = is_regular_grid(data);
  figure.data = map_rows(data, errors, gridded);

  std::string& c = figure.commands;
  c += fmt::format("set title {}\n", gnuplot_string(figure.title));
  c += fmt::format("set xlabel {}\nset ylabel {}\n", gnuplot_string(data.input_names.at(0)), gnuplot_string(data.input_names.at(1)));
  const auto [x_low, x_high] = value_range(column_values(data.inputs, 0));
  const auto [y_low, y_high] = value_range(column_values(data.inputs, 1));
  c += fmt::format("set xrange {}\nset yrange {}\n", padded_range(x_low, x_high, 0.02), padded_range(y_low, y_high, 0.02));
  c += "set grid front\nunset key\n";
  c += kDivergingPalette;
  // Symmetric around zero, so that white means no error.
  c += fmt::format("set cbrange [{}:{}]\n", -largest, largest);
  c += fmt::format("set cblabel {}\n", gnuplot_string(fmt::format("error in {} units", column.name)));
  if (gridded) {
    c += fmt::format("plot '{}.dat' using 1:2:3 with image notitle\n", name);
  } else {
    c += fmt::format("plot '{}.dat' using 1:2:3 with points pt 5 ps 0.7 lc palette notitle\n", name);
  }
  return figure;
}

GnuplotFigure parity_figure(const std::string& name, const TargetColumn& column) {
  GnuplotFigure figure;
  figure.name = name;
  figure.title = fmt::format("Predicted vs actual {}", column.name);
  const std::size_t stride = plot_stride(column.actual.size());
  for (std::size_t k = 0; k < column.actual.size(); k += stride) {
    figure.data += fmt::format("{} {}\n", data_number(column.actual[k]), data_number(column.predicted[k]));
  }
  auto [low, high] = value_range(column.actual);
  const auto [predicted_low, predicted_high] = value_range(column.predicted);
  low = std::min(low, predicted_low);
  high = std::max(high, predicted_high);
  figure.data += fmt::format("\n\n{0} {0}\n{1} {1}\n", low, high);

  std::string& c = figure.commands;
  c += fmt::format("set title {}\n", gnuplot_string(figure.title));
  c += fmt::format("set xlabel {}\nset ylabel {}\n", gnuplot_string(fmt::format("actual {}", column.name)),
                   gnuplot_string(fmt::format("predicted {}", column.name)));
  const std::string range = padded_range(low, high, 0.03);
  c += fmt::format("set xrange {0}\nset yrange {0}\nset size ratio -1\nset key top left\n", range);
  c += fmt::format("plot '{0}.dat' index 0 using 1:2 with points pt 7 ps 0.45 lc rgb '{1}' title {2}, \\\n"
                   "     '{0}.dat' index 1 using 1:2 with lines lw 1.5 dt 2 lc rgb '{3}' title 'predicted = actual'\n",
                   name, kTrainColour,
                   gnuplot_string(fmt::format("{} (RMSE {:.4g}, R² {:.4f})", rows_label(column.actual.size()), rmse_of(column),
                                              r2_of(column))),
                   kFitColour);
  return figure;
}

GnuplotFigure residuals_figure(const std::string& name, const TargetColumn& column) {
  std::vector<float> residuals(column.actual.size());
  double mean = 0.0;
  for (std::size_t k = 0; k < residuals.size(); ++k) {
    residuals[k] = column.predicted[k] - column.actual[k];
    mean += residuals[k];
  }
  mean /= std::max<std::size_t>(residuals.size(), 1);
  double variance = 0.0;
  for (const float r : residuals) variance += (r - mean) * (r - mean);
  const double deviation = std::sqrt(variance / std::max<std::size_t>(residuals.size(), 1));

  // The square-root rule for the bin count, kept between 5 and 60 bins.
  const auto [low, high] = value_range(residuals);
  const std::size_t bins = std::clamp<std::size_t>(static_cast<std::size_t>(std::ceil(std::sqrt(residuals.size()))), 5, 60);
  const double width = high > low ? (high - low) / static_cast<double>(bins) : 1.0;
  std::vector<std::size_t> counts(bins, 0);
  for (const float r : residuals) {
    if (!std::isfinite(r)) continue;
    const auto bin = static_cast<std::size_t>(std::clamp((r - low) / width, 0.0, static_cast<double>(bins - 1)));
    ++counts[bin];
  }

  GnuplotFigure figure;
  figure.name = name;
  figure.title = fmt::format("Residuals of {} (predicted - actual)", column.name);
  for (std::size_t b = 0; b < bins; ++b) figure.data += fmt::format("{} {}\n", low + (static_cast<double>(b) + 0.5) * width, counts[b]);

  std::string& c = figure.commands;
  c += fmt::format("set title {}\n", gnuplot_string(figure.title));
  c += fmt::format("set xlabel {}\nset ylabel 'rows'\n", gnuplot_string(fmt::format("residual in {} units", column.name)));
  c += "set yrange [0:*]\nset style fill solid 0.75 border rgb '#ffffff'\nset boxwidth 1.0 relative\nset key top right\n";
  c += "set arrow from 0, graph 0 to 0, graph 1 nohead dt 2 lw 1.2 lc rgb '#555555'\n";
  c += fmt::format("plot '{}.dat' using 1:2 with boxes lc rgb '{}' title {}\n", name, kTrainColour,
                   gnuplot_string(fmt::format("{} rows, mean {:.3g}, standard deviation {:.3g}", residuals.size(), mean, deviation)));
  return figure;
}

GnuplotFigure confusion_figure(const std::string& name, const std::vector<std::string>& class_names,
                               const std::vector<Index>& true_classes, const std::vector<Index>& predicted_classes) {
  const std::size_t classes = class_names.size();
  std::vector<std::size_t> counts(classes * classes, 0);
  std::size_t correct = 0;
  for (std::size_t k = 0; k < true_classes.size(); ++k) {
    const auto actual = static_cast<std::size_t>(true_classes[k]);
    const auto predicted = static_cast<std::size_t>(predicted_classes[k]);
    ++counts[actual * classes + predicted];
    if (actual == predicted) ++correct;
  }
  const double accuracy = true_classes.empty() ? 0.0 : static_cast<double>(correct) / static_cast<double>(true_classes.size());

  GnuplotFigure figure;
  figure.name = name;
  figure.title = fmt::format("Confusion matrix: accuracy {:.1f}% on {} rows", 100.0 * accuracy, true_classes.size());
  // Rows "predicted true count share", where share is the count over the true class's rows.
  std::vector<std::string> row_labels;
  for (std::size_t actual = 0; actual < classes; ++actual) {
    std::size_t row_total = 0;
    for (std::size_t predicted = 0; predicted < classes; ++predicted) row_total += counts[actual * classes + predicted];
    for (std::size_t predicted = 0; predicted < classes; ++predicted) {
      const std::size_t count = counts[actual * classes + predicted];
      const double share = row_total == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(row_total);
      figure.data += fmt::format("{} {} {} {}\n", predicted, actual, count, share);
    }
    figure.data += '\n';
    const std::size_t hits = counts[actual * classes + actual];
    row_labels.push_back(row_total == 0 ? fmt::format("{} (no rows)", class_names[actual])
                                        : fmt::format("{} ({:.1f}%)", class_names[actual],
                                                      100.0 * static_cast<double>(hits) / static_cast<double>(row_total)));
  }

  std::vector<std::string> x_tics;
  std::vector<std::string> y_tics;
  for (std::size_t k = 0; k < classes; ++k) {
    // gnuplot reads a tic label as a format string, so a literal '%' is written '%%'.
    x_tics.push_back(fmt::format("{} {}", gnuplot_string(percent_escaped(class_names[k])), k));
    y_tics.push_back(fmt::format("{} {}", gnuplot_string(percent_escaped(row_labels[k])), k));
  }
  std::string& c = figure.commands;
  c += fmt::format("set title {}\n", gnuplot_string(figure.title));
  c += "set xlabel 'predicted class'\nset ylabel 'true class (accuracy on its rows)'\n";
  c += fmt::format("set xtics ({}) rotate by -40 left\n", fmt::join(x_tics, ", "));
  c += fmt::format("set ytics ({})\n", fmt::join(y_tics, ", "));
  c += fmt::format("set xrange [-0.5:{0}]\nset yrange [{0}:-0.5]\n", static_cast<double>(classes) - 0.5);
  c += "unset grid\nunset key\nset size ratio -1\n";
  c += "set palette defined (0 '#f7fbff', 0.5 '#6baed6', 1 '#08306b')\nset cbrange [0:1]\n";
  c += "set cblabel 'share of the true class'\n";
  // Counts are written on the cells while they stay readable; dark cells get white text.
  if (classes <= 30) {
    c += fmt::format("plot '{0}.dat' using 1:2:4 with image notitle, \\\n"
                     "     '{0}.dat' using 1:2:($4 < 0.55 ? sprintf('%d', $3) : '') with labels tc rgb '#000000' notitle, \\\n"
                     "     '{0}.dat' using 1:2:($4 >= 0.55 ? sprintf('%d', $3) : '') with labels tc rgb '#ffffff' notitle\n",
                     name);
  } else {
    c += fmt::format("plot '{}.dat' using 1:2:4 with image notitle\n", name);
  }
  return figure;
}

}  // namespace protean::report_detail
