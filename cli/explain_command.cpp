#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "option_checks.hpp"
#include "data_options.hpp"
#include "protean/error.hpp"
#include "protean/io/model_file.hpp"
#include "protean/report/decomposition.hpp"
#include "protean/report/report.hpp"

namespace protean::cli {

namespace {

struct ExplainOptions {
  std::string model;
  std::string output;  // figure file; empty: print only
  std::string data;    // optional data drawn behind the units, and the range of x
  DataOptions data_options;
  std::string missing = "error";  // --missing
  std::string target;  // target (network output) to explain, by name or 1-based position; empty: every target
  std::vector<double> range;  // LOW HIGH of x; empty: from the data, else mean ± 2 standard deviations
  std::size_t top_units = 0;
  int points = 400;
};

// "+ 1.25" or "- 1.25", for terms after the first.
std::string signed_term(double value) { return fmt::format("{} {:.6g}", value < 0.0 ? '-' : '+', std::abs(value)); }

std::string formula_text(const Decomposition& parts, const std::string& x, const std::string& y) {
  const std::string act(to_string(parts.activation));
  std::string text = fmt::format("{} = {:.6g}", y, parts.output_bias);
  for (const std::size_t k : parts.order_by_span()) {
    const UnitTerm& unit = parts.units[k];
    text += fmt::format("\n    {}*{}({:.6g}*{} {})", signed_term(unit.output_weight), act, unit.input_weight, x,
                        signed_term(unit.input_bias));
  }
  return text;
}

// Formats one output's decomposition: the units sorted by span, then the formula.
std::string decomposition_text(const Model& model, const Decomposition& parts, double low, double high) {
  const std::string x = model.input_names.empty() ? "x" : model.input_names.front();
  const auto target = static_cast<std::size_t>(parts.target);
  const std::string y = target < model.target_names.size() ? model.target_names[target] : "y";
  std::string text;
  text += fmt::format("{} = b + sum over {} hidden units of c_i*{}(w_i*{} + b_i), in the data's units\n", y, parts.units.size(),
                      to_string(parts.activation), x);
  text += fmt::format("b = {:.6g} (output bias)\n", parts.output_bias);
  text += fmt::format("units sorted by span, the max - min of c_i*{}(w_i*x + b_i) for {} in [{:.6g}, {:.6g}]:\n",
                      to_string(parts.activation), x, low, high);
  text += fmt::format("  {:>5}  {:>13}  {:>13}  {:>13}  {:>13}\n", "unit", "c_i", "w_i", "b_i", "span");
  for (const std::size_t k : parts.order_by_span()) {
    const UnitTerm& unit = parts.units[k];
    text += fmt::format("  {:>5}  {:>13.6g}  {:>13.6g}  {:>13.6g}  {:>13.6g}\n", unit.unit + 1, unit.output_weight, unit.input_weight,
                        unit.input_bias, unit.span);
  }
  text += "formula:\n";
  text += formula_text(parts, x, y) + "\n";
  return text;
}

// The 0-based outputs to explain: the one --target names, else every output of the model.
std::vector<Index> explained_targets(const Model& model, const ExplainOptions& options) {
  const Index outputs = model.network.output_width();
  if (options.target.empty()) {
    std::vector<Index> all(static_cast<std::size_t>(outputs));
    for (Index t = 0; t < outputs; ++t) all[static_cast<std::size_t>(t)] = t;
    return all;
  }
  const auto& names = model.target_names;
  const auto found = std::find(names.begin(), names.end(), options.target);
  if (found != names.end()) return {static_cast<Index>(found - names.begin())};
  const bool all_digits = std::all_of(options.target.begin(), options.target.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (all_digits && options.target.size() < 10) {
    const Index position = std::stoll(options.target);
    if (position >= 1 && position <= outputs) return {position - 1};
  }
  throw Error(Location{options.model},
              fmt::format("--target {} is not one of the model's targets ({})", quote_value(options.target),
                          fmt::join(names, ", ")),
              fmt::format("give a target name as the model stores it, or its 1-based position from 1 to {}", outputs));
}

void run_explain(const ExplainOptions& options, const GlobalOptions& global) {
  // Check the figure path before any work, so that a wrong name fails before the printout.
  if (!options.output.empty()) {
    const std::string extension = std::filesystem::path(options.output).extension().string();
    if (extension != ".svg" && extension != ".png") {
      throw Error(Location{options.output}, fmt::format("cannot tell the figure format of '{}'", options.output),
                  "give a file name ending in .svg or .png");
    }
    for (const std::string& input : {options.model, options.data, options.data_options.labels}) {
      std::error_code ignored;
      if (!input.empty() && std::filesystem::equivalent(options.output, input, ignored)) {
        throw Error(Location{options.output}, fmt::format("the figure path is the input file '{}'; writing it would destroy that input", input),
                    "choose another figure path with -o");
      }
    }
  }
  Model model = load_model(options.model);
  if (const auto reason = decomposition_unsupported_reason(model)) {
    throw Error(Location{options.model}, fmt::format("cannot explain the network {}: {}", model.network.describe(), *reason),
                "explain works on a regression network with one input and one hidden layer, for example "
                "'protean fit DATA --hidden 10 -a sigmoid'");
  }

  std::unique_ptr<Dataset> data;
  if (!options.data.empty()) {
    data = std::make_unique<Dataset>(
        model_dataset(model, read_csv(options.data, csv_options(options.data_options)), /*with_targets=*/true,
                      missing_values(options.missing)));
    print_left_out_rows(*data);
  }
  double low = model.input_scaler.mean()(0, 0) - 2.0 * model.input_scaler.scale()(0, 0);
  double high = model.input_scaler.mean()(0, 0) + 2.0 * model.input_scaler.scale()(0, 0);
  if (options.range.size() == 2) {
    low = options.range[0];
    high = options.range[1];
  } else if (data && data->rows() > 0) {
    low = high = data->inputs(0, 0);
    for (Index r = 0; r < data->rows(); ++r) {
      low = std::min<double>(low, data->inputs(r, 0));
      high = std::max<double>(high, data->inputs(r, 0));
    }
  }
  if (!(low < high)) {
    throw Error(fmt::format("invalid input range [{}, {}]", low, high), "give --range LOW HIGH with LOW < HIGH");
  }
  std::vector<float> xs(static_cast<std::size_t>(options.points));
  for (std::size_t k = 0; k < xs.size(); ++k) {
    xs[k] = static_cast<float>(low + (high - low) * static_cast<double>(k) / static_cast<double>(xs.size() - 1));
  }
  const std::vector<Index> targets = explained_targets(model, options);
  std::string text = fmt::format("model: {} ({})\n", options.model, model.network.describe());
  for (std::size_t k = 0; k < targets.size(); ++k) {
    if (k > 0) text += "\n";
    text += decomposition_text(model, decompose(model, xs, targets[k]), low, high);
  }
  std::fputs(text.c_str(), stdout);

  if (options.output.empty()) return;
  // A figure shows one output, the first of those explained.
  const Decomposition parts = decompose(model, xs, targets.front());
  ReportOptions report_options;
  report_options.top_units = options.top_units;
  report_options.inputs = {options.model, options.data};
  const FigureFile figure = write_units_figure(model, parts, data.get(), options.output, report_options);
  if (global.quiet) return;
  std::printf("figure: %s\n", (figure.svg.empty() ? figure.png : figure.svg).c_str());
  if (targets.size() > 1) {
    std::printf("the figure shows target '%s', the first of the model's %zu targets; choose another with --target\n",
                model.target_names.front().c_str(), model.target_names.size());
  }
}

}  // namespace

void add_explain_command(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<ExplainOptions>();
  CLI::App* command = app.add_subcommand(
      "explain", "Print a one-input, one-hidden-layer network as its formula y = b + sum c_i*act(w_i*x + b_i) and draw its units");
  command->add_option("MODEL", options->model, "Model file written by 'protean fit'")->required()->check(non_empty_value());
  command->add_option("-o,--output", options->output, "Figure of the units and their sum to write: a .svg or .png file (needs gnuplot)")
      ->check(non_empty_value());
  command->add_option("--data", options->data, "CSV data to draw behind the units; its inputs also set the range of x")
      ->check(non_empty_value());
  add_data_options(*command, options->data_options, /*with_labels=*/false);
  add_missing_option(*command, options->missing);
  command->add_option("-t,--target", options->target,
                      "Target to explain, by name or 1-based position among the model's targets (default: every target; "
                      "the figure shows the first)")
      ->check(non_empty_value());
  command->add_option("--range", options->range, "LOW HIGH: the range of x to evaluate and draw (default: the data's range, "
                                                 "else the training mean ± 2 standard deviations)")
      ->expected(2)
      ->check(real_number(-kFloatMax, Bound::included, kFloatMax, Bound::included, "-1"));
  command->add_option("--top-units", options->top_units,
                      "Figure: draw only the K units with the largest span, the rest summed (0: all)")
      ->check(whole_number(0, std::numeric_limits<std::int32_t>::max()))
      ->capture_default_str();
  command->add_option("--points", options->points, "Number of x values to evaluate")->check(whole_number(2, 1'000'000))->capture_default_str();
  command->callback([options, &global] { run_explain(*options, global); });
}

}  // namespace protean::cli
