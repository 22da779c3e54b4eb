#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "data_options.hpp"
#include "option_checks.hpp"
#include "protean/data/idx.hpp"
#include "protean/error.hpp"
#include "protean/io/atomic_file.hpp"
#include "protean/io/model_file.hpp"

namespace protean::cli {

namespace {

struct PredictOptions {
  std::string model;
  std::string data;
  DataOptions data_options;
  std::string missing = "error";  // --missing: only "error" works here; "drop" gets its own message
  std::string output;
  bool probabilities = false;
};

// Quotes a CSV field when it holds a delimiter, a quote or a line break (RFC 4180).
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

void run_predict(const PredictOptions& options) {
  if (options.missing == "drop") {
    throw Error(Location{options.data},
                "predict writes one prediction for every input row, so it cannot leave out rows with missing values "
                "(--missing drop)",
                "fill in the missing values or remove those rows first; fit, eval, report and explain accept "
                "--missing drop");
  }
  if (!options.output.empty() && options.output != "-") {
    check_output_path(options.output, {options.model, options.data, options.data_options.labels}, "predictions.csv");
  }
  Model model = load_model(options.model);
  if (options.probabilities && model.task != Task::classification) {
    throw Error(Location{options.model},
                fmt::format("--probabilities needs a classification model, and this model predicts {} regression target{}",
                            model.target_names.size(), model.target_names.size() == 1 ? "" : "s"),
                "leave out --probabilities; the output already holds the predicted values");
  }
  Dataset data;
  if (!options.data_options.labels.empty()) {
    data = read_idx_dataset(options.data, options.data_options.labels);
    model.check_inputs(data);
  } else {
    data = model_dataset(model, read_csv(options.data, csv_options(options.data_options)), /*with_targets=*/false);
  }
  const Matrix outputs = model.predict(data.inputs);

  std::string text;
  if (model.task == Task::classification) {
    text += csv_field(model.target_names.empty() ? "class" : model.target_names.front());
    if (options.probabilities) {
      for (const auto& name : model.class_names) text += "," + csv_field("probability_" + name);
    }
    text += '\n';
    for (Index r = 0; r < outputs.rows(); ++r) {
      Index best = 0;
      for (Index c = 1; c < outputs.cols(); ++c) {
        if (outputs(r, c) > outputs(r, best)) best = c;
      }
      text += csv_field(model.class_names.at(static_cast<std::size_t>(best)));
      if (options.probabilities) {
        for (Index c = 0; c < outputs.cols(); ++c) text += fmt::format(",{:.9g}", outputs(r, c));
      }
      text += '\n';
    }
  } else {
    for (std::size_t c = 0; c < model.target_names.size(); ++c) {
      text += (c > 0 ? "," : "") + csv_field(model.target_names[c]);
    }
    text += '\n';
    for (Index r = 0; r < outputs.rows(); ++r) {
      for (Index c = 0; c < outputs.cols(); ++c) text += fmt::format("{}{:.9g}", c > 0 ? "," : "", outputs(r, c));
      text += '\n';
    }
  }

  if (options.output.empty() || options.output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    write_file_atomically(options.output, text);
  }
}

}  // namespace

void add_predict_command(CLI::App& app, const GlobalOptions&) {
  auto options = std::make_shared<PredictOptions>();
  CLI::App* command = app.add_subcommand("predict", "Predict targets for new rows with a saved model");
  command->add_option("MODEL", options->model, "Model file written by 'protean fit'")->required()->check(non_empty_value());
  command->add_option("DATA", options->data, "CSV file with the model's input columns (extra columns are ignored when named)")
      ->required()
      ->check(non_empty_value());
  add_data_options(*command, options->data_options, /*with_labels=*/true);
  add_missing_option(*command, options->missing, /*can_drop=*/false);
  command->add_option("-o,--output", options->output, "CSV file to write (default: standard output)")
      ->check(non_empty_value());
  command->add_flag("--probabilities", options->probabilities, "Classification: add one probability column per class");
  command->callback([options] { run_predict(*options); });
}

}  // namespace protean::cli
