#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "option_checks.hpp"
#include "data_options.hpp"
#include "metrics_text.hpp"
#include "protean/data/idx.hpp"
#include "protean/io/model_file.hpp"

namespace protean::cli {

namespace {

struct EvalOptions {
  std::string model;
  std::string data;
  DataOptions data_options;
  std::string missing = "error";  // --missing
};

void run_eval(const EvalOptions& options) {
  Model model = load_model(options.model);
  Dataset data;
  if (!options.data_options.labels.empty()) {
    data = read_idx_dataset(options.data, options.data_options.labels);
  } else {
    data = model_dataset(model, read_csv(options.data, csv_options(options.data_options)), /*with_targets=*/true,
                         missing_values(options.missing));
    print_left_out_rows(data);
  }
  const Metrics metrics = model.evaluate(data);
  const std::string prefix = fmt::format("{} ({} row{}): ", data.source, data.rows(), data.rows() == 1 ? "" : "s");
  std::fputs(metrics_text(prefix, metrics, model.target_names).c_str(), stdout);
}

}  // namespace

void add_eval_command(CLI::App& app, const GlobalOptions&) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* command = app.add_subcommand("eval", "Score a saved model on labelled data (RMSE, MAE, R², or accuracy); with several targets, per target and their mean");
  command->add_option("MODEL", options->model, "Model file written by 'protean fit'")->required()->check(non_empty_value());
  command->add_option("DATA", options->data, "CSV file with the input columns and the target column or columns")
      ->required()
      ->check(non_empty_value());
  add_data_options(*command, options->data_options, /*with_labels=*/true);
  add_missing_option(*command, options->missing);
  command->callback([options] { run_eval(*options); });
}

}  // namespace protean::cli
