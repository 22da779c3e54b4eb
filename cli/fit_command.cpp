#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "data_options.hpp"
#include "progress.hpp"
#include "protean/data/idx.hpp"
#include "protean/error.hpp"
#include "protean/fit.hpp"
#include "protean/io/atomic_file.hpp"
#include "protean/io/model_file.hpp"
#include "protean/report/report.hpp"

namespace protean::cli {

namespace {

struct FitCommandOptions {
  std::string data;
  DataOptions data_options;
  std::string test;
  std::string test_labels;
  std::string target;
  std::vector<std::string> drop;
  std::string task;
  std::string hidden = "64,64";
  std::string activation = "relu";
  std::string loss;
  std::string optimizer = "adam";
  float learning_rate = 0.0f;
  int epochs = 0;
  Index batch_size = 0;
  std::string schedule = "cosine";
  double validation = 0.1;
  std::uint64_t seed = 0;
  int threads = 1;
  bool diagnostics = false;
  std::string output = "model.safetensors";
  std::string report;  // folder for the report; empty: none
};

std::vector<Index> parse_widths(const std::string& text) {
  std::vector<Index> widths;
  if (text.empty() || text == "none") return widths;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    Index width = 0;
    std::size_t used = 0;
    try {
      width = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || width <= 0) {
      throw Error(fmt::format("invalid --hidden value {}: {} is not a positive layer width", quote_value(text), quote_value(item)),
                  "give comma-separated widths such as --hidden 64,64, or --hidden none for a linear model");
    }
    widths.push_back(width);
  }
  return widths;
}

Dataset read_data(const std::string& path, const std::string& labels, const FitCommandOptions& options) {
  if (!labels.empty()) return read_idx_dataset(path, labels);
  if (looks_like_idx(path)) {
    throw Error(Location{path}, "this looks like an IDX images file but no labels file was given",
                "add --labels with the matching labels file");
  }
  DatasetOptions dataset_options;
  dataset_options.target = options.target;
  dataset_options.drop = options.drop;
  if (options.task == "regression") dataset_options.task = Task::regression;
  if (options.task == "classification") dataset_options.task = Task::classification;
  return to_dataset(read_csv(path, csv_options(options.data_options)), dataset_options);
}

void run_fit(const FitCommandOptions& options, const GlobalOptions& global) {
  FitOptions fit_options;
  fit_options.hidden = parse_widths(options.hidden);
  const auto activation = parse_activation(options.activation);
  if (!activation) {
    throw Error(fmt::format("unknown activation {}", quote_value(options.activation)),
                "use identity, sigmoid, hard_sigmoid, relu, leaky_relu, tanh or softplus");
  }
  fit_options.activation = *activation;
  fit_options.loss = options.loss;
  fit_options.optimizer = options.optimizer;
  fit_options.learning_rate = options.learning_rate;
  fit_options.epochs = options.epochs;
  fit_options.batch_size = options.batch_size;
  fit_options.schedule = options.schedule == "constant" ? Schedule::constant : Schedule::cosine;
  fit_options.validation_fraction = options.validation;
  fit_options.seed = options.seed;
  fit_options.threads = options.threads;
  fit_options.diagnostics = options.diagnostics;

  // Check the output path and read everything before training, so that a bad path or test file
  // fails in seconds, not after a long run.
  check_output_path(options.output, {options.data, options.data_options.labels, options.test, options.test_labels});
  const Dataset data = read_data(options.data, options.data_options.labels, options);
  std::unique_ptr<Dataset> test;
  if (!options.test.empty()) {
    if (!options.data_options.labels.empty() && options.test_labels.empty()) {
      throw Error(Location{options.test}, "a test images file needs its labels file", "add --test-labels");
    }
    test = std::make_unique<Dataset>(read_data(options.test, options.test_labels, options));
    if (test->inputs.cols() != data.inputs.cols() || test->task != data.task) {
      throw Error(Location{test->source},
                  fmt::format("the test data has {} input columns ({}) but the training data has {} ({})", test->inputs.cols(),
                              to_string(test->task), data.inputs.cols(), to_string(data.task)),
                  "give test data with the same columns as the training data");
    }
  }

  if (!global.quiet) {
    std::printf("data: %s, %lld row%s, %lld input%s, %s", data.source.c_str(), static_cast<long long>(data.rows()),
                data.rows() == 1 ? "" : "s", static_cast<long long>(data.inputs.cols()), data.inputs.cols() == 1 ? "" : "s",
                to_string(data.task));
    if (data.task == Task::classification) std::printf(" with %lld classes", static_cast<long long>(data.class_count()));
    std::printf("\n");
    std::fflush(stdout);
  }
  if (!options.report.empty() && !program_available("gnuplot")) {
    std::fprintf(stderr, "warning: gnuplot was not found, so --report will fail after training (the model is still saved); "
                         "install it with 'apt-get install gnuplot-nox'\n");
  }
  ProgressPrinter progress(stdout);
  FitResult result = fit(data, fit_options, global.quiet ? nullptr : &progress);
  for (const auto& warning : result.warnings) std::fprintf(stderr, "warning: %s\n", warning.c_str());

  save_model(result.model, options.output);
  if (!options.report.empty()) {
    try {
      const ReportResult report = write_report(result.model, data, &result.training, options.report);
      if (!global.quiet) std::printf("report: %s (%zu figures)\n", report.html.c_str(), report.figures.size());
    } catch (const Error& e) {
      throw Error(e.where(), fmt::format("{} (the model was saved to {}; 'protean report' can draw the figures later)", e.problem(),
                                         options.output),
                  e.fix());
    }
  }
  if (global.quiet) return;
  std::printf("recipe: %s\n", result.recipe.c_str());
  const auto& history = result.training.history;
  if (!history.empty()) {
    const EpochStats& best = history.at(static_cast<std::size_t>(std::max(1, result.training.best_epoch) - 1));
    std::printf("kept epoch %d: loss %.6g", best.epoch, best.train_loss);
    const std::string metrics = best.validation_metrics.to_string();
    if (!metrics.empty()) std::printf("  validation %s", metrics.c_str());
    std::printf("\n");
  }
  if (test) {
    std::printf("test (%s, %lld rows): %s\n", test->source.c_str(), static_cast<long long>(test->rows()),
                result.model.evaluate(*test).to_string().c_str());
  }
  std::printf("trained in %.1f s; model saved to %s\n", result.training.seconds, options.output.c_str());
}

}  // namespace

void add_fit_command(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<FitCommandOptions>();
  CLI::App* command = app.add_subcommand("fit", "Train a network on a CSV file (or IDX images) and save it");
  command->add_option("DATA", options->data, "Training data: a CSV file, or an IDX images file with --labels")
      ->required();
  add_data_options(*command, options->data_options, /*with_labels=*/true);
  command->add_option("--test", options->test, "Data to score after training (same format as DATA); not used for training");
  command->add_option("--test-labels", options->test_labels, "IDX labels file for --test");
  command->add_option("-t,--target", options->target, "Target column: a name or a 1-based index (default: the last column)");
  command->add_option("--drop", options->drop, "Columns to ignore, by name or 1-based index; repeat it or separate with commas")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->delimiter(',');
  command->add_option("--task", options->task,
                      "regression or classification (default: classification when the target holds text)")
      ->check(CLI::IsMember({"regression", "classification"}));
  command->add_option("--hidden", options->hidden, "Hidden layer widths, comma-separated, or 'none'")->capture_default_str();
  command->add_option("-a,--activation", options->activation,
                      "Hidden activation: relu, leaky_relu, sigmoid, hard_sigmoid, tanh, softplus, identity")
      ->capture_default_str();
  command->add_option("--loss", options->loss, "mse or cross_entropy (default: by target type)")
      ->check(CLI::IsMember({"mse", "cross_entropy"}));
  command->add_option("--optimizer", options->optimizer, "adam or sgd (SGD uses momentum 0.9)")
      ->check(CLI::IsMember({"adam", "sgd"}))
      ->capture_default_str();
  command->add_option("--lr", options->learning_rate, "Learning rate (default: 0.001 for adam, 0.01 for sgd)")
      ->check([](const std::string& text) {
        try {
          const double rate = std::stod(text);
          if (rate > 0 && std::isfinite(rate)) return std::string();
        } catch (const std::exception&) {
        }
        return "invalid learning rate '" + text + "': give a positive number such as 0.001";
      });
  command->add_option("-e,--epochs", options->epochs,
                      "Passes over the training rows (default: from the data size, about 60000 steps, 10 to 2000 epochs, at most 5 million rows visited)")
      ->check(CLI::Range(1, 1'000'000));
  command->add_option("-b,--batch-size", options->batch_size,
                      "Rows per optimizer step (default: 32 up to 10000 training rows, else 128)")
      ->check(CLI::Range(Index{1}, Index{1} << 30));
  command->add_option("--schedule", options->schedule, "Learning-rate schedule: cosine (decays to 1%) or constant")
      ->check(CLI::IsMember({"cosine", "constant"}))
      ->capture_default_str();
  command->add_option("--validation", options->validation,
                      "Fraction of rows held out to choose the best epoch, in [0, 1)")
      ->check(CLI::Range(0.0, 0.99))
      ->capture_default_str();
  command->add_option("-s,--seed", options->seed, "Random seed: the same seed, data and threads give the same model")
      ->capture_default_str();
  command->add_flag("--diagnostics", options->diagnostics,
                    "Record each layer's weight-gradient norm per epoch; printed with the progress and drawn by --report");
  command->add_option("-j,--threads", options->threads, "Threads for matrix products")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  command->add_option("-o,--output", options->output, "Model file to write (safetensors)")->capture_default_str();
  command->add_option("--report", options->report,
                      "After saving the model, write figures of the fit and report.html into this folder (needs gnuplot)");
  command->callback([options, &global] { run_fit(*options, global); });
}

}  // namespace protean::cli
