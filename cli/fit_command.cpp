#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <sched.h>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "data_options.hpp"
#include "metrics_text.hpp"
#include "option_checks.hpp"
#include "progress.hpp"
#include "protean/data/idx.hpp"
#include "protean/architecture.hpp"
#include "protean/error.hpp"
#include "protean/fit.hpp"
#include "protean/io/atomic_file.hpp"
#include "protean/io/model_file.hpp"
#include "protean/report/report.hpp"
#include "protean/train/schedule.hpp"
#include "protean/train/checkpoint.hpp"
#include "run_control.hpp"

namespace protean::cli {

namespace {

struct FitCommandOptions {
  std::string data;
  DataOptions data_options;
  std::string test;
  std::string test_labels;
  // As given on the command line: each value is one column, or a comma-separated list of them
  // (target_columns() splits it once the header is known).
  std::vector<std::string> targets;
  std::vector<std::string> drop;
  std::vector<std::string> categorical;  // columns to encode as categories although they contain numbers
  std::string missing = "error";          // --missing: "error" or "drop"
  std::string task;
  std::string hidden = "64,64";
  std::string activation = "relu";
  std::string arch;  // architecture text or JSON; empty: --hidden and --activation
  std::string loss;
  std::string optimizer;  // empty: automatic
  double huber_delta = 1.0;
  std::optional<float> weight_decay;
  double clip_norm = 0.0;
  int patience = -1;  // -1: automatic
  int warmup = 0;
  int step_epochs = 0;
  double lr_factor = 0.1;
  int plateau_patience = 5;
  float learning_rate = 0.0f;
  int epochs = 0;
  Index batch_size = 0;
  std::string schedule = "cosine";
  double validation = 0.1;
  std::string search = "auto";
  std::uint64_t seed = 0;
  int threads = 1;
  bool diagnostics = false;
  std::string output = "model.safetensors";
  std::string report;  // folder for the report; empty: none
  int checkpoint_every = 0;     // epochs; 0: checkpoints only when stopped by a signal
  std::string checkpoint_dir;   // empty: the output's folder
  int keep_checkpoints = 3;     // 0: keep all
  std::string resume;           // checkpoint to continue
  bool retry_lower_lr = false;
};

constexpr int kDivergenceRetries = 3;

// The command-line fields that a checkpoint stores besides the library's recipe, so that
// `--resume` alone reads the same data the same way and writes the same outputs.
std::string application_json(const FitCommandOptions& options) {
  nlohmann::json stored;
  stored["data"] = options.data;
  stored["labels"] = options.data_options.labels;
  stored["delimiter"] = options.data_options.delimiter;
  stored["header"] = options.data_options.header;
  stored["no_header"] = options.data_options.no_header;
  stored["decimal_comma"] = options.data_options.decimal_comma;
  stored["test"] = options.test;
  stored["test_labels"] = options.test_labels;
  // One target stays a string, as checkpoints written before several targets existed store it.
  if (options.targets.size() <= 1) {
    stored["target"] = options.targets.empty() ? std::string() : options.targets.front();
  } else {
    stored["target"] = options.targets;
  }
  stored["drop"] = options.drop;
  stored["categorical"] = options.categorical;
  stored["missing"] = options.missing;
  stored["task"] = options.task;
  stored["output"] = options.output;
  stored["report"] = options.report;
  stored["checkpoint_every"] = options.checkpoint_every;
  stored["checkpoint_dir"] = options.checkpoint_dir;
  stored["keep_checkpoints"] = options.keep_checkpoints;
  return stored.dump();
}

// The options of a resumed run: those stored in the checkpoint, with the paths given now (data,
// outputs, checkpoint settings) and the thread count in place of the stored ones. The thread
// count changes no bit of a run, and is not stored. Any other option is rejected, because the
// run must continue with the recipe it started with.
FitCommandOptions resumed_options(const FitCommandOptions& requested, const CLI::App& command, const Checkpoint& checkpoint) {
  const std::set<std::string> changeable = {"DATA",     "--labels",           "--test",           "--test-labels",
                                            "--output", "--report",           "--checkpoint-every", "--checkpoint-dir",
                                            "--keep-checkpoints", "--resume",   "--threads"};
  for (const CLI::Option* option : command.get_options()) {
    if (option->count() > 0 && changeable.count(option->get_name()) == 0) {
      throw Error(fmt::format("{} cannot be combined with --resume, because a resumed run keeps the options stored in its checkpoint",
                              option->get_name()),
                  "drop it, or start a new run without --resume");
    }
  }
  const nlohmann::json stored = nlohmann::json::parse(checkpoint.application, nullptr, /*allow_exceptions=*/false);
  if (!stored.is_object()) {
    throw Error(Location{requested.resume}, "the checkpoint contains no command-line options of 'protean fit'",
                "resume it with the program that wrote it");
  }
  FitCommandOptions options = requested;
  try {
    options.data = stored.at("data").get<std::string>();
    options.data_options.labels = stored.at("labels").get<std::string>();
    options.data_options.delimiter = stored.at("delimiter").get<std::string>();
    options.data_options.header = stored.at("header").get<bool>();
    options.data_options.no_header = stored.at("no_header").get<bool>();
    // Absent in checkpoints written before --decimal-comma existed.
    options.data_options.decimal_comma = stored.value("decimal_comma", false);
    options.test = stored.at("test").get<std::string>();
    options.test_labels = stored.at("test_labels").get<std::string>();
    const nlohmann::json& target = stored.at("target");
    if (target.is_array()) {
      options.targets = target.get<std::vector<std::string>>();
    } else {
      const std::string single = target.get<std::string>();
      options.targets = single.empty() ? std::vector<std::string>{} : std::vector<std::string>{single};
    }
    options.drop = stored.at("drop").get<std::vector<std::string>>();
    // Absent in checkpoints written before --categorical existed.
    options.categorical = stored.value("categorical", std::vector<std::string>{});
    // Absent in checkpoints written before --missing existed.
    options.missing = stored.value("missing", std::string("error"));
    options.task = stored.at("task").get<std::string>();
    options.output = stored.at("output").get<std::string>();
    options.report = stored.at("report").get<std::string>();
    options.checkpoint_every = stored.at("checkpoint_every").get<int>();
    options.checkpoint_dir = stored.at("checkpoint_dir").get<std::string>();
    options.keep_checkpoints = stored.at("keep_checkpoints").get<int>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(Location{requested.resume}, fmt::format("the checkpoint's command-line options are invalid: {}", e.what()),
                "resume from another checkpoint or start the run again");
  }
  auto given = [&](const char* name) { return command.count(name) > 0; };
  if (given("DATA")) options.data = requested.data;
  if (given("--labels")) options.data_options.labels = requested.data_options.labels;
  if (given("--test")) options.test = requested.test;
  if (given("--test-labels")) options.test_labels = requested.test_labels;
  if (given("--output")) options.output = requested.output;
  if (given("--report")) options.report = requested.report;
  if (given("--checkpoint-every")) options.checkpoint_every = requested.checkpoint_every;
  if (given("--checkpoint-dir")) options.checkpoint_dir = requested.checkpoint_dir;
  if (given("--keep-checkpoints")) options.keep_checkpoints = requested.keep_checkpoints;
  return options;
}

// Returns the path for a diverged run's last finite model: "run.safetensors" becomes
// "run.diverged.safetensors", and a name without an extension gets ".diverged" appended.
std::string diverged_model_path(const std::string& output) {
  const std::filesystem::path path(output);
  std::filesystem::path side = path;
  side.replace_filename(path.stem().string() + ".diverged" + path.extension().string());
  return side.string();
}

std::string describe_divergence(const Divergence& divergence) {
  const std::string where = divergence.batch > 0 ? fmt::format("epoch {}, batch {}", divergence.epoch, divergence.batch)
                                                 : fmt::format("the end of epoch {}", divergence.epoch);
  return fmt::format("training diverged at {}: the {} became NaN or infinite", where, divergence.quantity);
}

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

// Splits the --target values into columns at each ','. A value that is exactly a column name
// stays whole, so that a column named "a,b" can still be the target.
std::vector<std::string> target_columns(const std::vector<std::string>& values, const CsvTable& table) {
  std::vector<std::string> columns;
  for (const std::string& value : values) {
    const auto& names = table.column_names;
    if (std::find(names.begin(), names.end(), value) != names.end()) {
      columns.push_back(value);
      continue;
    }
    std::stringstream stream(value);
    std::string item;
    while (std::getline(stream, item, ',')) {
      if (item.empty()) {
        throw Error(fmt::format("invalid --target value {}: it contains an empty column name", quote_value(value)),
                    "give column names or 1-based indexes separated by single commas, such as --target y1,y2");
      }
      columns.push_back(item);
    }
    if (!value.empty() && value.back() == ',') {
      throw Error(fmt::format("invalid --target value {}: it ends with a comma", quote_value(value)),
                  "give column names or 1-based indexes separated by single commas, such as --target y1,y2");
    }
  }
  return columns;
}

// Reads the training data, or with `encoding` and `training_task` (the training data's) test data
// encoded the same way. The test data take the training task, because a small test file cannot
// show it: its 26 rows of 26 letter classes would look like a name column.
Dataset read_data(const std::string& path, const std::string& labels, const FitCommandOptions& options,
                  const InputEncoding* encoding = nullptr, std::optional<Task> training_task = std::nullopt) {
  if (!labels.empty()) return read_idx_dataset(path, labels);
  if (looks_like_idx(path)) {
    throw Error(Location{path}, "this looks like an IDX images file but no labels file was given",
                "add --labels with the matching labels file");
  }
  const CsvTable table = read_csv(path, csv_options(options.data_options));
  DatasetOptions dataset_options;
  std::vector<std::string> targets = target_columns(options.targets, table);
  // One target goes through DatasetOptions::target, exactly as before several were possible.
  if (targets.size() == 1) {
    dataset_options.target = targets.front();
  } else {
    dataset_options.targets = std::move(targets);
  }
  dataset_options.drop = options.drop;
  dataset_options.missing = missing_values(options.missing);
  if (encoding != nullptr) {
    dataset_options.encoding = *encoding;
  } else {
    dataset_options.categorical = options.categorical;
  }
  dataset_options.task = training_task;
  if (options.task == "regression") dataset_options.task = Task::regression;
  if (options.task == "classification") dataset_options.task = Task::classification;
  return to_dataset(table, dataset_options);
}

// Prints one line per categorical input column: its categories and the inputs they became.
void print_categorical_columns(const InputEncoding& encoding) {
  for (const InputColumn& column : encoding.columns()) {
    if (!column.is_categorical()) continue;
    const std::size_t count = column.categories.size();
    std::printf("categorical: column '%s' has %zu categor%s (%s) and became %zu 0/1 input%s\n", column.name.c_str(), count,
                count == 1 ? "y" : "ies", list_categories(column).c_str(), count, count == 1 ? "" : "s");
  }
}

// Returns the number of CPUs this process may run on (its affinity mask), or 0 when unknown.
int usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
  return CPU_COUNT(&set);
}

// Returns --threads, lowered with a warning to the CPUs this process may run on. The backend's
// workers spin for a while before they sleep, so threads beyond the CPUs only take turns with
// the others. Every thread count trains the same model, so lowering it changes only the speed.
int usable_threads(int requested) {
  const int cpus = usable_cpus();
  if (cpus <= 0 || requested <= cpus) return requested;
  std::fprintf(stderr,
               "warning: --threads %d is more than the %d CPU%s this process may use, so %d thread%s used (the "
               "model is the same for any thread count)\n",
               requested, cpus, cpus == 1 ? "" : "s", cpus, cpus == 1 ? " is" : "s are");
  return cpus;
}

// Warns about options given on the command line that the chosen loss or schedule does not read.
void warn_about_unused_options(const FitCommandOptions& options, const CLI::App& command) {
  auto given = [&](const char* name) { return command.count(name) > 0; };
  if (given("--huber-delta") && options.loss != "huber") {
    std::fprintf(stderr, "warning: --huber-delta is not used, because the loss is not huber; give --loss huber to use it\n");
  }
  const std::string& schedule = options.schedule;
  if (given("--lr-factor") && schedule != "step" && schedule != "plateau") {
    std::fprintf(stderr, "warning: --lr-factor is not used by the %s schedule; give --schedule step or plateau to use it\n",
                 schedule.c_str());
  }
  if (given("--step-epochs") && schedule != "step") {
    std::fprintf(stderr, "warning: --step-epochs is not used by the %s schedule; give --schedule step to use it\n",
                 schedule.c_str());
  }
  if (given("--plateau-patience") && schedule != "plateau") {
    std::fprintf(stderr,
                 "warning: --plateau-patience is not used by the %s schedule; give --schedule plateau to use it\n",
                 schedule.c_str());
  }
}

void run_fit(const FitCommandOptions& requested, const GlobalOptions& global, const CLI::App& command) {
  std::unique_ptr<Checkpoint> checkpoint;
  if (!requested.resume.empty()) checkpoint = std::make_unique<Checkpoint>(load_checkpoint(requested.resume));
  const FitCommandOptions options = checkpoint ? resumed_options(requested, command, *checkpoint) : requested;
  if (options.data.empty()) throw CLI::RequiredError("DATA");

  FitOptions fit_options;
  fit_options.hidden = parse_widths(options.hidden);
  const auto activation = parse_activation(options.activation);
  if (!activation) {
    throw Error(fmt::format("unknown activation {}", quote_value(options.activation)), "use one of " + activation_names());
  }
  fit_options.activation = *activation;
  fit_options.architecture = options.arch;
  // Parse now so that a mistake in --arch fails before the data is read.
  if (!options.arch.empty()) parse_architecture(options.arch);
  fit_options.loss = options.loss;
  fit_options.optimizer = options.optimizer;
  fit_options.learning_rate = options.learning_rate;
  fit_options.epochs = options.epochs;
  fit_options.batch_size = options.batch_size;
  fit_options.schedule = parse_schedule_kind(options.schedule).value_or(Schedule::cosine);
  fit_options.schedule.warmup_epochs = options.warmup;
  fit_options.schedule.step_epochs = options.step_epochs;
  fit_options.schedule.factor = options.lr_factor;
  fit_options.schedule.plateau_patience = options.plateau_patience;
  fit_options.huber_delta = options.huber_delta;
  fit_options.weight_decay = options.weight_decay;
  fit_options.clip_norm = options.clip_norm;
  fit_options.patience = options.patience;
  fit_options.validation_fraction = options.validation;
  fit_options.search = parse_search_mode(options.search).value_or(SearchMode::automatic);
  fit_options.seed = options.seed;
  fit_options.threads = usable_threads(options.threads);
  fit_options.diagnostics = options.diagnostics;

  // Check the output path and read everything before training, so that a bad path or test file
  // fails in seconds, not after a long run.
  check_output_path(options.output,
                    {options.data, options.data_options.labels, options.test, options.test_labels, requested.resume});
  if (!options.report.empty()) {
    std::error_code ignored;
    if (std::filesystem::exists(options.report, ignored) && !std::filesystem::is_directory(options.report, ignored)) {
      throw Error(Location{options.report}, "the --report path is a file, not a folder",
                  "give a folder for the report; it is created when missing");
    }
  }
  if (!options.data_options.labels.empty() && !options.categorical.empty()) {
    throw Error(Location{options.data}, "--categorical names CSV columns, but the data are IDX images (--labels)",
                "leave out --categorical; IDX pixels are always numeric inputs");
  }
  const Dataset data = read_data(options.data, options.data_options.labels, options);
  print_left_out_rows(data);
  std::unique_ptr<Dataset> test;
  if (!options.test.empty()) {
    if (!options.data_options.labels.empty() && options.test_labels.empty()) {
      throw Error(Location{options.test}, "a test images file needs its labels file", "add --test-labels");
    }
    test = std::make_unique<Dataset>(
        read_data(options.test, options.test_labels, options, data.encoding.empty() ? nullptr : &data.encoding, data.task));
    print_left_out_rows(*test);
    if (test->inputs.cols() != data.inputs.cols() || test->task != data.task) {
      throw Error(Location{test->source},
                  fmt::format("the test data has {} input columns ({}) but the training data has {} ({})", test->inputs.cols(),
                              to_string(test->task), data.inputs.cols(), to_string(data.task)),
                  "give test data with the same columns as the training data");
    }
    if (test->task == Task::classification) {
      check_known_classes(*test, data.class_names,
                          "remove the rows of that class from the test data, or add examples of it to the training data");
    }
  }

  if (!global.quiet) {
    std::printf("data: %s, %lld row%s, %lld input%s, %s", data.source.c_str(), static_cast<long long>(data.rows()),
                data.rows() == 1 ? "" : "s", static_cast<long long>(data.inputs.cols()), data.inputs.cols() == 1 ? "" : "s",
                to_string(data.task));
    if (data.task == Task::classification) std::printf(" with %lld classes", static_cast<long long>(data.class_count()));
    std::printf("\n");
    print_categorical_columns(data.encoding);
    const bool numeric_classes = std::all_of(data.class_names.begin(), data.class_names.end(),
                                             [](const std::string& name) { return parse_number(name).has_value(); });
    if (options.task.empty() && options.data_options.labels.empty() && data.task == Task::classification &&
        data.class_count() == 2 && numeric_classes) {
      std::printf("task: classification, since target column '%s' contains only the values %s and %s; give --task "
                  "regression to fit it as numbers\n",
                  data.target_names.front().c_str(), data.class_names[0].c_str(), data.class_names[1].c_str());
    }
    std::fflush(stdout);
  }
  if (!options.report.empty() && !program_available("gnuplot")) {
    std::fprintf(stderr, "warning: gnuplot was not found, so --report will fail after training (the model is still saved); "
                         "install it with 'apt-get install gnuplot-nox'\n");
  }
  // Checkpoints: every --checkpoint-every epochs, and when a signal stops the run.
  StopSignals signals;
  const std::filesystem::path output_path(options.output);
  const std::filesystem::path checkpoint_folder =
      !options.checkpoint_dir.empty() ? std::filesystem::path(options.checkpoint_dir)
                                      : (output_path.has_parent_path() ? output_path.parent_path() : std::filesystem::path("."));
  if ((options.checkpoint_every > 0 || !options.checkpoint_dir.empty()) && !std::filesystem::is_directory(checkpoint_folder)) {
    throw Error(Location{checkpoint_folder.string()}, "the checkpoint folder does not exist", "create it first or give another --checkpoint-dir");
  }
  const CheckpointFiles checkpoint_files(checkpoint_folder, output_path, options.keep_checkpoints);
  const std::string application = application_json(options);
  std::filesystem::path last_checkpoint;
  fit_options.checkpoint_every = options.checkpoint_every;
  fit_options.stop_requested = &signals.requested();
  fit_options.resume = checkpoint.get();
  fit_options.on_checkpoint = [&](const Checkpoint& state) {
    Checkpoint stored = state;
    stored.application = application;
    const std::filesystem::path path = checkpoint_files.path_for(state.state.epoch, state.state.batch);
    try {
      UninterruptedWrite guard;
      save_checkpoint(stored, path);
    } catch (const Error& e) {
      // A failed periodic checkpoint must not end a healthy run, but a failed final one is reported.
      if (signals.requested().load()) throw;
      std::fprintf(stderr, "warning: checkpoint not saved, training continues: %s\n", e.what());
      return;
    }
    last_checkpoint = path;
    checkpoint_files.prune();
  };

  if (!global.quiet) {
    if (const std::string reason = search_skipped_because(fit_options, data.rows()); !reason.empty()) {
      std::printf("search: not run, because %s (give --search on to run it anyway)\n", reason.c_str());
    } else if (fit_options.search == SearchMode::automatic && fit_options.resume == nullptr &&
               (!fit_options.optimizer.empty() || fit_options.weight_decay)) {
      // The search chooses exactly these two, so --search on cannot bring it back.
      std::printf("search: not run, because %s was given (the search chooses the optimizer and the weight decay)\n",
                  fit_options.optimizer.empty() ? "--weight-decay" : "--optimizer");
    }
  }
  const auto search_start = std::chrono::steady_clock::now();
  if (!global.quiet && fit_options.search == SearchMode::on && fit_options.checkpoint_every > 0) {
    std::printf("search: the L-BFGS candidates are left out, because L-BFGS runs keep no checkpoints\n");
  }
  if (!global.quiet) {
    // Prints each candidate, then the choice before the final fit starts, by the rule that
    // search_recipe() applies (choose_candidate()).
    fit_options.on_search_candidate = [search_start, task = data.task, scores = std::vector<CandidateScore>{}](
                                          const CandidateScore& score, std::size_t index, std::size_t count) mutable {
      std::printf("search %zu/%zu: %s, weight decay %g: held-out loss %.6g (standard error %.2g)\n", index + 1, count,
                  score.candidate.optimizer.c_str(), static_cast<double>(score.candidate.weight_decay), score.held_out_loss,
                  score.standard_error);
      scores.push_back(score);
      if (index + 1 == count) {
        const CandidateScore& chosen = scores.at(choose_candidate(scores, task));
        // The regression rule is the lowest held-out loss.
        const CandidateScore& lowest = scores.at(choose_candidate(scores, Task::regression));
        const std::string rule =
            &chosen == &lowest
                ? std::string()
                : fmt::format(", the largest weight decay within one standard error of the lowest loss {:.6g}", lowest.held_out_loss);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - search_start).count();
        std::printf("search: chose %s with weight decay %g (held-out loss %.6g%s) by 5-fold cross-validation in %.1f s; "
                    "training it on every row\n",
                    chosen.candidate.optimizer.c_str(), static_cast<double>(chosen.candidate.weight_decay), chosen.held_out_loss,
                    rule.c_str(), seconds);
      }
      std::fflush(stdout);
    };
  }

  warn_about_unused_options(options, command);
  ProgressPrinter progress(stdout);
  FitResult result = fit(data, fit_options, global.quiet ? nullptr : &progress);
  if (result.search && command.count("--validation") > 0 && !result.search->interrupted) {
    std::fprintf(stderr, "warning: --validation was not used, because the search trains the final model on every row; give "
                         "--search off to hold out rows\n");
  }
  if (result.search && !result.search->interrupted) {
    // A retry below must keep what the search chose, since a given learning rate turns it off.
    const RecipeCandidate& chosen = result.search->scores.at(result.search->chosen).candidate;
    fit_options.optimizer = chosen.optimizer;
    fit_options.weight_decay = chosen.weight_decay;
    fit_options.validation_fraction = 0.0;
  }
  for (int retry = 1; options.retry_lower_lr && result.training.divergence && retry <= kDivergenceRetries; ++retry) {
    fit_options.learning_rate = result.learning_rate / 10.0f;
    std::fprintf(stderr, "warning: %s; retrying from the start with learning rate %g (retry %d of %d)\n",
                 describe_divergence(*result.training.divergence).c_str(), fit_options.learning_rate, retry, kDivergenceRetries);
    result = fit(data, fit_options, global.quiet ? nullptr : &progress);
  }
  for (const auto& warning : result.warnings) std::fprintf(stderr, "warning: %s\n", warning.c_str());

  if (result.training.interrupted) {
    std::fflush(stdout);
    const TrainState& state = result.training.state;
    const int signal = signals.signal_number();
    const char* signal_name = signal == SIGTERM ? "SIGTERM" : "SIGINT";
    if (result.search && result.search->interrupted) {
      std::fprintf(stderr, "interrupted by %s during the search for the optimizer and weight decay, after %zu of its candidates; "
                           "nothing was saved\n",
                   signal_name, result.search->scores.size());
      throw ExitCode{128 + signal};
    }
    if (last_checkpoint.empty()) {
      std::fprintf(stderr, "interrupted by %s after %zu iterations; an L-BFGS run keeps no checkpoint, so nothing was saved\n",
                   signal_name, result.training.history.size());
      throw ExitCode{128 + signal};
    }
    const std::string epochs = fmt::format("{} finished epoch{}", state.epoch, state.epoch == 1 ? "" : "s");
    const std::string position =
        state.batch > 0 ? fmt::format("{} and {} batch{} of the next", epochs, state.batch, state.batch == 1 ? "" : "es")
                        : epochs;
    std::fprintf(stderr, "interrupted by %s after %s; checkpoint saved to %s\nresume with: protean fit --resume '%s'\n",
                 signal == SIGTERM ? "SIGTERM" : "SIGINT", position.c_str(), last_checkpoint.c_str(), last_checkpoint.c_str());
    throw ExitCode{128 + signal};
  }

  if (result.training.divergence) {
    // A diverged run failed, so it never replaces what --output names, which may be a good model
    // from an earlier run. The last epoch that ended finite goes to a file of its own instead;
    // without one there is nothing worth saving.
    const int kept = result.training.best_epoch;
    std::string saved = fmt::format("nothing was saved, and {} was left as it was", options.output);
    if (kept > 0) {
      const std::string side_path = diverged_model_path(options.output);
      {
        UninterruptedWrite guard;
        save_model(result.model, side_path);
      }
      saved = fmt::format("the model of epoch {}, the last that ended finite, was saved to {}, and {} was left as it was",
                          kept, side_path, options.output);
    }
    throw Error(fmt::format("{}; {}", describe_divergence(*result.training.divergence), saved),
                fmt::format("the learning rate {:g} is likely too high, or the data hold extreme values: lower --lr "
                            "(for example to {:g}){}",
                            result.learning_rate, result.learning_rate / 10.0f,
                            options.retry_lower_lr ? "" : ", or add --retry-lower-lr to retry with lower rates automatically"));
  }
  {
    UninterruptedWrite guard;
    save_model(result.model, options.output);
  }
  if (!options.report.empty()) {
    try {
      ReportOptions report_options;
      report_options.inputs = {options.data, options.data_options.labels, options.test, options.test_labels, options.output};
      const ReportResult report = write_report(result.model, data, &result.training, options.report, report_options);
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
    const std::string kept_line = fmt::format("kept {} {}: loss {:.6g}", history_unit(result.training), best.epoch, best.train_loss);
    if (best.validation_metrics.to_string().empty()) {
      std::printf("%s\n", kept_line.c_str());
    } else {
      std::fputs(metrics_text(kept_line + "  validation ", best.validation_metrics, result.model.target_names).c_str(), stdout);
    }
  }
  if (test) {
    const std::string prefix = fmt::format("test ({}, {} row{}): ", test->source, test->rows(), test->rows() == 1 ? "" : "s");
    std::fputs(metrics_text(prefix, result.model.evaluate(*test), result.model.target_names).c_str(), stdout);
  }
  std::printf("trained in %.1f s; model saved to %s\n", result.training.seconds, options.output.c_str());
}

}  // namespace

void add_fit_command(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<FitCommandOptions>();
  CLI::App* command = app.add_subcommand("fit", "Train a network on a CSV file (or IDX images) and save it");
  // Required unless --resume gives it; run_fit() checks.
  command->add_option("DATA", options->data, "Training data: a CSV file, or an IDX images file with --labels")
      ->check(non_empty_value());
  add_data_options(*command, options->data_options, /*with_labels=*/true);
  command->add_option("--test", options->test, "Data to score after training (same format as DATA); not used for training")
      ->check(non_empty_value());
  command->add_option("--test-labels", options->test_labels, "IDX labels file for --test")
      ->check(non_empty_value());
  command
      ->add_option("-t,--target", options->targets,
                   "Target column: a name or a 1-based index (default: the last column). Several columns, comma-separated "
                   "or with the option repeated, fit a regression with one output per column")
      ->check(non_empty_value())
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  command->add_option("--drop", options->drop, "Columns to ignore, by name or 1-based index; repeat it or separate with commas")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->delimiter(',');
  add_missing_option(*command, options->missing);
  command->add_option("--categorical", options->categorical,
                      "Input columns to encode as one 0/1 input per category although they contain numbers (zip codes, "
                      "1/2/3 codes), by name or 1-based index; repeat it or separate with commas. Columns whose filled "
                      "cells are mostly text are encoded this way without it")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->delimiter(',');
  command->add_option("--task", options->task,
                      "regression or classification (default: classification when the target holds text)")
      ->check(CLI::IsMember({"regression", "classification"}));
  CLI::Option* hidden = command->add_option("--hidden", options->hidden, "Hidden layer widths, comma-separated, or 'none'")
                            ->check(non_empty_value())
                            ->capture_default_str();
  CLI::Option* activation = command->add_option("-a,--activation", options->activation, "Hidden activation: " + activation_names())
                                ->capture_default_str();
  command
      ->add_option("--arch", options->arch,
                   "Hidden layers as architecture text, e.g. 'fourier:8, 128 relu, res(128 relu)x3, bn, dropout:0.1' "
                   "(docs/architecture-text.md), or its JSON form; replaces --hidden and --activation. A linear output "
                   "layer is appended unless the text ends with one of the right width")
      ->check(non_empty_value())
      ->excludes(hidden)
      ->excludes(activation);
  command->add_option("--loss", options->loss,
                      "Loss: mse, mae or huber for numbers; cross_entropy, or bce for two classes with one output unit "
                      "(default: mse for numbers, cross_entropy for classes)")
      ->check(CLI::IsMember({"mse", "mae", "huber", "cross_entropy", "bce"}));
  command->add_option("--huber-delta", options->huber_delta,
                      "Huber loss threshold δ, in units of the target's scale (1.4826 × its median absolute deviation, or its standard deviation where that is 0): errors beyond it count linearly")
      ->check(positive_number("1"))
      ->capture_default_str();
  command->add_option("--optimizer", options->optimizer,
                      "sgd (momentum 0.9), nesterov (SGD with Nesterov momentum 0.9), rmsprop, adam, adamw, or lbfgs "
                      "(full-batch L-BFGS, --epochs counts iterations; for small data) (default: chosen by --search, else adam)")
      ->check(CLI::IsMember({"sgd", "nesterov", "rmsprop", "adam", "adamw", "lbfgs"}));
  command->add_option("--lr", options->learning_rate,
                      "Learning rate (default: 0.01 for sgd and nesterov, 0.001 otherwise; not used by lbfgs)")
      ->check(positive_number("0.001"));
  command->add_option("-e,--epochs", options->epochs,
                      "Passes over the training rows (default: from the data size, about 120000 steps, 10 to 2000 epochs, at most 5 million rows visited)")
      ->check(whole_number(1, 1'000'000));
  command->add_option("-b,--batch-size", options->batch_size,
                      "Rows per optimizer step (default: 32 up to 10000 training rows, else 128)")
      ->check(whole_number(1, std::int64_t{1} << 30));
  command->add_option("--schedule", options->schedule,
                      "Learning-rate schedule: cosine (decays to 1% at the last epoch), step (×--lr-factor every "
                      "--step-epochs), exponential (a constant factor per epoch, to 1% at the last), plateau (×--lr-factor "
                      "after --plateau-patience epochs without a lower validation loss) or constant")
      ->check(CLI::IsMember({"cosine", "step", "exponential", "plateau", "constant"}))
      ->capture_default_str();
  command->add_option("--warmup", options->warmup,
                      "Epochs of linear learning-rate warm-up before the schedule, from lr/N to lr (default: 0, none)")
      ->check(whole_number(0, std::numeric_limits<std::int32_t>::max()));
  command->add_option("--step-epochs", options->step_epochs,
                      "Epochs between reductions of the step schedule (default: a third of the epochs after warm-up)")
      ->check(whole_number(0, std::numeric_limits<std::int32_t>::max()));
  command->add_option("--lr-factor", options->lr_factor, "Factor applied to the learning rate at each step or plateau reduction, in (0, 1]")
      ->check(real_number(0.0, Bound::excluded, 1.0, Bound::included, "0.1"))
      ->capture_default_str();
  command->add_option("--plateau-patience", options->plateau_patience,
                      "Epochs without a lower validation loss before the plateau schedule reduces the rate")
      ->check(whole_number(0, std::numeric_limits<std::int32_t>::max()))
      ->capture_default_str();
  command->add_option("--weight-decay", options->weight_decay,
                      "Weight decay of all weights (not biases): L2 coefficient added to the gradient for sgd, nesterov, "
                      "rmsprop and adam, decoupled decay rate for adamw, (λ/2)·Σw² added to the loss for lbfgs "
                      "(default: chosen by --search, else 0; 0.01 for adamw)")
      ->check(nonnegative_number("0.0001"));
  command->add_option("--clip-norm", options->clip_norm,
                      "Rescale each step's gradients so that their global L2 norm is at most this (default: 0, off; not used by lbfgs)")
      ->check(nonnegative_number("1"));
  command->add_option("--patience", options->patience,
                      "Stop after this many epochs without a lower validation loss and keep the best epoch; 0 turns it off "
                      "(default: 10 above 10000 training rows, else off)")
      ->check(whole_number(0, std::numeric_limits<std::int32_t>::max()));
  command->add_option("--validation", options->validation,
                      "Fraction of rows held out to choose the best epoch, from 0 to 0.99; not used when the search runs, "
                      "which trains the final model on every row")
      ->check(real_number(0.0, Bound::included, 0.99, Bound::included, "0.1"))
      ->capture_default_str();
  command->add_option("--search", options->search,
                      "Choose the optimizer and weight decay by 5-fold cross-validation over 7 candidates, then train on "
                      "every row: auto (only when --optimizer, --weight-decay, --lr and --epochs are all left out, on "
                      "20 to 10000 rows, without checkpoints), on (whenever --optimizer and --weight-decay are left out) "
                      "or off")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
  command->add_option("-s,--seed", options->seed, "Random seed: the same seed and data give the same model for any thread count")
      ->check(unsigned_64_number())
      ->capture_default_str();
  command->add_flag("--diagnostics", options->diagnostics,
                    "Record each layer's weight-gradient norm and activation statistics per epoch, warn about vanishing or "
                    "exploding gradients and dead units; norms are printed with the progress and drawn by --report");
  command->add_option("-j,--threads", options->threads, "Threads for matrix products, and fits that the search runs at once")
      ->check(whole_number(1, 1024))
      ->capture_default_str();
  command->add_option("-o,--output", options->output, "Model file to write (safetensors)")
      ->check(non_empty_value())->capture_default_str();
  command->add_option("--report", options->report,
                      "After saving the model, write figures of the fit and report.html into this folder (needs gnuplot)")
      ->check(non_empty_value());
  command->add_option("--checkpoint-every", options->checkpoint_every,
                      "Save a checkpoint every N epochs (default: only when stopped by Ctrl-C or SIGTERM)")
      ->check(whole_number(1, 1'000'000));
  command->add_option("--checkpoint-dir", options->checkpoint_dir,
                      "Folder for checkpoints, named <model>-checkpoint-epoch-NNNNNN.safetensors, the epoch in six digits (default: the output's folder)")
      ->check(non_empty_value());
  command->add_option("--keep-checkpoints", options->keep_checkpoints, "Keep only the newest K checkpoints of this run; 0 keeps all")
      ->check(whole_number(0, 1'000'000))
      ->capture_default_str();
  command->add_option("--resume", options->resume,
                      "Continue the run saved in this checkpoint with its stored options; DATA, the output paths and --threads may be given anew")
      ->check(non_empty_value());
  command->add_flag("--retry-lower-lr", options->retry_lower_lr,
                    "When training diverges (NaN or infinity), start again with a 10x lower learning rate, up to 3 times");
  command->callback([options, &global, command] { run_fit(*options, global, *command); });
}

}  // namespace protean::cli
