#include "protean/fit.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "protean/architecture.hpp"
#include "protean/data/csv.hpp"
#include "protean/data/split.hpp"
#include "protean/error.hpp"
#include "protean/losses/huber.hpp"
#include "protean/optimizers/lbfgs.hpp"
#include "protean/train/diagnostics.hpp"
#include "protean/train/full_batch.hpp"
#include "protean/train/checkpoint.hpp"

namespace protean {

namespace {

// Automatic epochs: about 120,000 optimizer steps. With 60,000, 1-D curves with sharp kinks were
// sometimes left under-fitted. The noiseless 2-D sine2d of docs/sklearn-comparison.md ended at
// a test RMSE of 0.0064 to 0.0081 over three seeds, and 120,000 took it to 0.0042 to 0.0057.
// With the libxsmm kernels 120,000 steps take the time that 60,000 took before. At least 10 passes, and at most
// 5 million sample visits so that large data stays within minutes.
int automatic_epochs(Index train_rows, Index batch_size) {
  const double batches = std::ceil(static_cast<double>(train_rows) / static_cast<double>(batch_size));
  int epochs = static_cast<int>(std::ceil(120000.0 / std::max(1.0, batches)));
  const int visit_cap = static_cast<int>(std::max<Index>(1, Index{5'000'000} / std::max<Index>(1, train_rows)));
  epochs = std::min({epochs, visit_cap, 2000});
  return std::max(epochs, 10);
}

void check_options(const FitOptions& options) {
  for (const Index width : options.hidden) {
    if (width <= 0 || width > 1'000'000) {
      throw Error(fmt::format("invalid hidden layer width {}", width), "give widths between 1 and 1000000");
    }
  }
  if (!(options.validation_fraction >= 0.0 && options.validation_fraction < 1.0)) {
    throw Error(fmt::format("invalid validation fraction {}", options.validation_fraction),
                "give a fraction in [0, 1), for example 0.1");
  }
  if (!(options.learning_rate >= 0.0f) || !std::isfinite(options.learning_rate)) {
    throw Error(fmt::format("invalid learning rate {}", options.learning_rate), "give a positive number such as 0.001");
  }
  if (options.epochs < 0) throw Error(fmt::format("invalid epoch count {}", options.epochs), "give a positive count");
  if (options.batch_size < 0) {
    throw Error(fmt::format("invalid batch size {}", options.batch_size), "give a positive row count");
  }
  if (options.threads < 1 || options.threads > 1024) {
    throw Error(fmt::format("invalid thread count {}", options.threads), "give a count between 1 and 1024");
  }
  if (options.weight_decay && !(*options.weight_decay >= 0.0f && std::isfinite(*options.weight_decay))) {
    throw Error(fmt::format("invalid weight decay {}", *options.weight_decay), "give 0 or a small positive number such as 0.0001");
  }
  if (!(options.clip_norm >= 0.0) || !std::isfinite(options.clip_norm)) {
    throw Error(fmt::format("invalid gradient clipping norm {}", options.clip_norm), "give 0 (off) or a positive norm such as 1");
  }
  if (options.search == SearchMode::on && (!options.optimizer.empty() || options.weight_decay)) {
    throw Error("the search chooses the optimizer and the weight decay, so it cannot run with either of them given",
                "leave out --optimizer and --weight-decay, or give --search off");
  }
  if (options.patience < -1) {
    throw Error(fmt::format("invalid patience {}", options.patience), "give 0 (off) or a positive number of epochs");
  }
  const Schedule& schedule = options.schedule;
  if (schedule.warmup_epochs < 0 || schedule.step_epochs < 0 || schedule.plateau_patience < 0) {
    throw Error(fmt::format("invalid schedule epochs: warm-up {}, step {}, plateau patience {}", schedule.warmup_epochs,
                            schedule.step_epochs, schedule.plateau_patience),
                "give epoch counts of 0 or more");
  }
  if (!(schedule.factor > 0.0 && schedule.factor <= 1.0) || !(schedule.final_fraction > 0.0 && schedule.final_fraction <= 1.0)) {
    throw Error(fmt::format("invalid schedule factor {} or final fraction {}", schedule.factor, schedule.final_fraction),
                "give numbers in (0, 1], for example 0.1 and 0.01");
  }
}

// The hidden layers: FitOptions::architecture when it is set, else FitOptions::hidden.
void add_hidden_layers(Network& network, const FitOptions& options) {
  if (!options.architecture.empty()) {
    network.add(parse_architecture(options.architecture));
    return;
  }
  for (const Index width : options.hidden) network.add_dense(width, options.activation);
}

// A linear output layer of `outputs` units, unless the architecture text already ends with one.
void add_output_layer(Network& network, const FitOptions& options, Index outputs) {
  if (!options.architecture.empty() && network.layer_count() > 0) {
    const LayerConfig last = network.layer(network.layer_count() - 1).config();
    if (last.kind == LayerKind::dense && last.activation == Activation::identity && last.units == outputs) return;
  }
  network.add_dense(outputs, Activation::identity);
}

// Puts a checkpoint's weights and optimizer state into the freshly built network and optimizer.
void resume_weights(const Checkpoint& checkpoint, Network& network, Optimizer& optimizer) {
  Network saved = checkpoint.model.network;
  if (saved.describe() != network.describe()) {
    throw Error(fmt::format("the checkpoint's network {} differs from the network {} built from its recipe", saved.describe(),
                            network.describe()),
                "the checkpoint is damaged; resume from an earlier checkpoint or start the run again");
  }
  const std::vector<Parameter> from = saved.parameters();
  const std::vector<Parameter> to = network.parameters();
  for (std::size_t i = 0; i < to.size(); ++i) to[i].value.copy_from(from[i].value);
  const std::vector<Buffer> saved_buffers = saved.buffers();
  const std::vector<Buffer> buffers = network.buffers();
  for (std::size_t i = 0; i < buffers.size(); ++i) buffers[i].value.copy_from(saved_buffers[i].value);
  const std::vector<Rng*> saved_generators = saved.generators();
  const std::vector<Rng*> generators = network.generators();
  for (std::size_t i = 0; i < generators.size(); ++i) generators[i]->set_state(saved_generators[i]->state());
  optimizer.set_state(checkpoint.optimizer_state);
}

// The options a run uses: the requested ones, or on resume the checkpoint's recipe together with
// the requested robustness settings.
FitOptions effective_options(const FitOptions& requested) {
  if (requested.resume == nullptr) return requested;
  FitOptions options = requested.resume->options;
  options.check_finite = requested.check_finite;
  options.checkpoint_every = requested.checkpoint_every;
  options.on_checkpoint = requested.on_checkpoint;
  options.stop_requested = requested.stop_requested;
  options.resume = requested.resume;
  return options;
}

// Folds and data sizes of the automatic search. Below 20 rows a fold would have fewer than 4
// rows. Above 10,000 rows the 35 extra fits take minutes, and the 10% validation split already
// has 1,000 rows or more.
constexpr int kSearchFolds = 5;
constexpr Index kSearchMinRows = 20;
constexpr Index kSearchMaxRows = 10'000;

bool search_applies(const FitOptions& options, const Dataset& data) {
  if (options.search == SearchMode::off || options.resume != nullptr) return false;
  if (!options.optimizer.empty() || options.weight_decay) return false;
  if (options.search == SearchMode::on) return true;
  return search_skipped_because(options, data.rows()).empty();
}

// Iterations of a bare L-BFGS fit. It usually stops earlier, when float32 gradients no longer
// give a descent direction, and the best validation iteration is kept.
constexpr int kAutomaticLbfgsIterations = 2000;

// Warns about each class whose name is a missing-value marker ("NA", "?"), since its rows most
// likely lack a class rather than share one. Such a name may also be a real class, so it is
// trained as written.
void warn_about_missing_classes(const Dataset& data, std::vector<std::string>& warnings) {
  for (Index id = 0; id < data.class_count(); ++id) {
    const std::string& name = data.class_names[static_cast<std::size_t>(id)];
    if (!is_missing_marker(name)) continue;
    Index rows = 0;
    std::int64_t first_line = 0;
    for (Index r = 0; r < data.rows(); ++r) {
      if (data.targets(r, 0) != static_cast<float>(id)) continue;
      if (rows == 0 && static_cast<Index>(data.source_lines.size()) == data.rows()) {
        first_line = data.source_lines[static_cast<std::size_t>(r)];
      }
      ++rows;
    }
    const std::string where = first_line > 0 ? fmt::format(", first at line {}", first_line) : std::string();
    warnings.push_back(fmt::format(
        "class '{}' of target column '{}' ({} row{}{}) is written as missing values usually are, so it is trained as "
        "a class of its own; if those rows lack their class, remove them or fill it in",
        name, data.target_names.empty() ? std::string() : data.target_names.front(), rows, rows == 1 ? "" : "s", where));
  }
}

// Distance from the median, in units of 1.4826 × MAD, beyond which a target counts as an outlier.
// A normal value lies beyond 5 of these units with a probability below 1e-6.
constexpr double kTargetOutlierDistance = 20.0;

// Rows from which a column that numbers the rows is noticed. On fewer, a short sequence of
// integers is as likely a real feature.
constexpr Index kMinCountingRows = 20;

// True when column `c` contains whole numbers that go up or down by exactly 1 from each row of the
// file to the next, as an id or row-number column does (1, 2, 3, ...). Between two rows that
// `lines` (the rows' line numbers, or empty) places k lines apart, a step of k counts too, so the
// id still shows where --missing drop left out the rows in between.
bool counts_rows(const Matrix& inputs, const std::vector<std::int64_t>& lines, Index c) {
  if (inputs.rows() < kMinCountingRows) return false;
  const float first = inputs(0, c);
  if (std::trunc(first) != first || inputs(1, c) == first) return false;
  const float direction = inputs(1, c) > first ? 1.0f : -1.0f;
  const bool has_lines = static_cast<Index>(lines.size()) == inputs.rows();
  for (Index r = 1; r < inputs.rows(); ++r) {
    const float step = inputs(r, c) - inputs(r - 1, c);
    if (step == direction) continue;
    const auto line_gap = has_lines ? lines[static_cast<std::size_t>(r)] - lines[static_cast<std::size_t>(r - 1)] : 1;
    if (step != direction * static_cast<float>(line_gap)) return false;
  }
  return true;
}

// Fits the target scaler of a regression model on its training rows. Warns about a constant
// target, and about outliers that the mse loss would let dominate the fit.
Standardizer fit_target_scaler(const std::string& loss_name, const Dataset& train_data, std::vector<std::string>& warnings) {
  // MAE and Huber are chosen for targets with outliers. Those outliers would inflate a standard
  // deviation, and with it Huber's δ, which is given in target scale units, until Huber acted
  // as MSE. The median and the MAD ignore them.
  const Standardizer robust = Standardizer::fit_robust(train_data.targets);
  const bool robust_loss = loss_name == "mae" || loss_name == "huber";
  Standardizer scaler = robust_loss ? robust : Standardizer::fit(train_data.targets);

  for (const Index column : scaler.constant_columns()) {
    warnings.push_back(fmt::format(
        "target column '{}' is constant in the training rows ({:g}), so the model can only learn that value; check "
        "that the target is the column you meant (--target)",
        train_data.target_names.at(static_cast<std::size_t>(column)), train_data.targets(0, column)));
  }
  if (loss_name != "mse") return scaler;

  for (Index c = 0; c < train_data.targets.cols(); ++c) {
    const double center = robust.mean()(0, c);
    const double spread = robust.scale()(0, c);
    Index outliers = 0;
    double farthest = center;
    for (Index r = 0; r < train_data.rows(); ++r) {
      const double value = train_data.targets(r, c);
      if (std::fabs(value - center) <= kTargetOutlierDistance * spread) continue;
      ++outliers;
      if (std::fabs(value - center) > std::fabs(farthest - center)) farthest = value;
    }
    if (outliers == 0) continue;
    warnings.push_back(fmt::format(
        "target column '{}' has {} outlier{}, values more than {:g} robust standard deviations (1.4826 × MAD) from "
        "its median {:g}, such as {:g}; they dominate the mse loss, so try --loss huber or --loss mae",
        train_data.target_names.at(static_cast<std::size_t>(c)), outliers, outliers == 1 ? "" : "s",
        kTargetOutlierDistance, center, farthest));
  }
  return scaler;
}

// Creates the loss for `name` and checks that it fits the data's task.
std::unique_ptr<Loss> select_loss(const std::string& name, double huber_delta, const Dataset& data) {
  std::unique_ptr<Loss> loss = name == "huber" ? std::make_unique<HuberLoss>(huber_delta) : make_loss(name);
  if (!loss) throw Error(fmt::format("unknown loss '{}'", name), "use mse, mae, huber, cross_entropy or bce");
  const bool classification = data.task == Task::classification;
  const bool class_loss = name == "cross_entropy" || name == "bce";
  if (classification != class_loss) {
    throw Error(fmt::format("loss '{}' does not fit a {} target", name, to_string(data.task)),
                "use cross_entropy or bce for class labels and mse, mae or huber for numbers, or leave --loss unset");
  }
  if (name == "bce" && data.class_count() != 2) {
    throw Error(fmt::format("loss 'bce' needs exactly two classes but the target has {} ({})", data.class_count(),
                            fmt::join(data.class_names, ", ")),
                "use cross_entropy for more than two classes");
  }
  return loss;
}

// The weight decay a run uses: the given one, else AdamW's 0.01 or 0 for the others.
float effective_weight_decay(const std::string& optimizer_name, const FitOptions& options) {
  return options.weight_decay.value_or(optimizer_name == "adamw" ? 0.01f : 0.0f);
}

std::string describe_recipe(const Model& model, const std::string& optimizer_name, const Optimizer& optimizer,
                            const FitOptions& options, const TrainOptions& train_options, const FitResult& result) {
  std::string recipe = fmt::format("network {}, ", model.network.describe());
  if (optimizer_name == "lbfgs") {
    recipe += fmt::format("lbfgs full batch (strong Wolfe line search), {} loss, up to {} iterations", model.loss,
                          train_options.epochs);
  } else {
    recipe += fmt::format("{} lr {:g}, {} loss, {} epochs, batch {}, {} schedule", optimizer.name(), optimizer.learning_rate(),
                          model.loss, train_options.epochs, train_options.batch_size, describe(train_options.schedule));
  }
  if (model.loss == "huber") recipe += fmt::format(", huber delta {:g}", options.huber_delta);
  const float decay = effective_weight_decay(optimizer_name, options);
  if (decay > 0.0f) recipe += fmt::format(", weight decay {:g}", decay);
  if (train_options.clip_norm > 0.0 && optimizer_name != "lbfgs") recipe += fmt::format(", clip norm {:g}", train_options.clip_norm);
  if (train_options.patience > 0) recipe += fmt::format(", early stopping after {} epochs without improvement", train_options.patience);
  recipe += fmt::format(", seed {}, {} train / {} validation rows", options.seed, result.train_rows, result.validation_rows);
  return recipe;
}

FitResult fit_after_search(const Dataset& data, const FitOptions& options, TrainingObserver* observer) {
  FitOptions base = options;
  base.diagnostics = false;
  base.check_finite = true;
  if (data.rows() < kSearchFolds) {
    throw Error(fmt::format("the search needs at least {} rows, one per cross-validation fold, but the data has {}",
                            kSearchFolds, data.rows()),
                "give --search off, or add rows");
  }
  // L-BFGS runs cannot be checkpointed, so a run with checkpoints searches Adam alone.
  std::vector<RecipeCandidate> candidates = automatic_candidates();
  if (options.checkpoint_every > 0) {
    std::erase_if(candidates, [](const RecipeCandidate& candidate) { return candidate.optimizer == "lbfgs"; });
  }
  const RecipeSearchResult search = search_recipe(data, base, candidates, kSearchFolds, options.on_search_candidate);
  if (search.interrupted) {
    FitResult stopped;
    stopped.training.interrupted = true;
    stopped.search = search;
    return stopped;
  }
  const CandidateScore& chosen = search.scores.at(search.chosen);

  nlohmann::json scores = nlohmann::json::array();
  for (const CandidateScore& score : search.scores) {
    scores.push_back({{"optimizer", score.candidate.optimizer},
                      {"weight_decay", std::stod(fmt::format("{:g}", score.candidate.weight_decay))},
                      {"held_out_loss", std::isfinite(score.held_out_loss) ? nlohmann::json(score.held_out_loss) : nullptr},
                      {"standard_error", std::isfinite(score.standard_error) ? nlohmann::json(score.standard_error) : nullptr}});
  }
  const nlohmann::json summary = {
      {"folds", search.folds}, {"chosen", search.chosen}, {"seconds", search.seconds}, {"candidates", scores}};

  FitOptions final_options = options;
  final_options.search = SearchMode::off;
  final_options.optimizer = chosen.candidate.optimizer;
  final_options.weight_decay = chosen.candidate.weight_decay;
  final_options.validation_fraction = 0.0;
  final_options.search_summary = summary.dump();
  FitResult result = fit(data, final_options, observer);
  result.search = search;
  return result;
}

}  // namespace

const char* to_string(SearchMode mode) {
  switch (mode) {
    case SearchMode::automatic: return "auto";
    case SearchMode::on: return "on";
    case SearchMode::off: return "off";
  }
  return "auto";
}

std::optional<SearchMode> parse_search_mode(std::string_view text) {
  if (text == "auto") return SearchMode::automatic;
  if (text == "on") return SearchMode::on;
  if (text == "off") return SearchMode::off;
  return std::nullopt;
}

std::string automatic_optimizer(Task /*task*/, Index /*train_rows*/) { return "adam"; }

std::string search_skipped_because(const FitOptions& options, Index rows) {
  if (options.search != SearchMode::automatic || options.resume != nullptr) return {};
  if (!options.optimizer.empty() || options.weight_decay) return {};
  if (options.learning_rate != 0.0f) return "--lr was given";
  if (options.epochs != 0) return "--epochs was given";
  if (options.checkpoint_every != 0) return "checkpoints were requested";
  if (rows < kSearchMinRows) return fmt::format("the data has fewer than {} rows", kSearchMinRows);
  if (rows > kSearchMaxRows) return fmt::format("the data has more than {} rows", kSearchMaxRows);
  return {};
}

namespace {

// A model finds its input and target columns by name when it predicts and evaluates, so no two of
// them may share a name, because the second would be read from the first one's column.
void check_distinct_column_names(const Dataset& data) {
  std::set<std::string> seen;
  for (const std::string& name : data.input_names) {
    if (seen.insert(name).second) continue;
    throw Error(Location{data.source}, fmt::format("two input columns are named '{}'", name),
                "rename one in the header, or leave one out with --drop and its 1-based column number (the name would "
                "match both)");
  }
  for (const std::string& name : data.target_names) {
    if (seen.count(name) == 0) continue;
    throw Error(Location{data.source}, fmt::format("an input column has the target column's name '{}'", name),
                "rename one of them in the header, or leave the input out with --drop and its 1-based column number "
                "(the name would match both)");
  }
}

}  // namespace

namespace {

// Gives the 0/1 inputs of categorical columns mean 0 and scale 1, so they reach the network as
// 0 and 1: a z-score would turn a rare category's 1 into a large value (1/sqrt(p) for share p).
Standardizer keep_categories_unscaled(const Standardizer& fitted, const InputEncoding& encoding) {
  if (!encoding.has_categorical()) return fitted;
  Matrix mean = Matrix::copy_of(fitted.mean());
  Matrix scale = Matrix::copy_of(fitted.scale());
  for (Index c = 0; c < encoding.column_count(); ++c) {
    const InputColumn& column = encoding.columns()[static_cast<std::size_t>(c)];
    if (!column.is_categorical()) continue;
    for (Index k = 0; k < column.width(); ++k) {
      mean(0, encoding.offset(c) + k) = 0.0f;
      scale(0, encoding.offset(c) + k) = 1.0f;
    }
  }
  return Standardizer(std::move(mean), std::move(scale));
}

}  // namespace

FitResult fit(const Dataset& data, const FitOptions& requested, TrainingObserver* observer) {
  const FitOptions options = effective_options(requested);
  check_options(options);
  check_dataset(data);
  check_distinct_column_names(data);
  if (search_applies(options, data)) return fit_after_search(data, options, observer);
  const DataFingerprint data_print = fingerprint_of(data);
  if (options.resume != nullptr && !(options.resume->data == data_print)) {
    const auto describe = [](const DataFingerprint& print) {
      return fmt::format("{} row{}, {} input{}", print.rows, print.rows == 1 ? "" : "s", print.inputs,
                         print.inputs == 1 ? "" : "s");
    };
    const bool same_size = data_print.rows == options.resume->data.rows && data_print.inputs == options.resume->data.inputs;
    throw Error(Location{data.source},
                same_size ? fmt::format("the data's values differ from the data the checkpoint was trained on (both {})",
                                        describe(data_print))
                          : fmt::format("the data ({}) differ from the data the checkpoint was trained on ({})",
                                        describe(data_print), describe(options.resume->data)),
                "resume with the same data file and data options as the interrupted run");
  }
  FitResult result;
  Model& model = result.model;
  model.task = data.task;
  model.input_names = data.input_names;
  model.input_encoding = data.encoding.empty() ? InputEncoding::numeric(data.input_names) : data.encoding;
  model.target_names = data.target_names;
  model.class_names = data.class_names;
  const bool classification = data.task == Task::classification;
  if (classification && data.class_count() < 2) {
    throw Error(Location{data.source},
                fmt::format("the target has a single class ({})", fmt::join(data.class_names, ", ")),
                "classification needs at least two classes; check the target column");
  }
  if (classification) warn_about_missing_classes(data, result.warnings);

  // Split, then standardize with statistics of the training rows alone.
  Split split;
  // With very few rows the fraction rounds to no held-out row at all. Then train on every row and
  // warn, instead of failing on data that is merely small.
  const bool too_small = std::llround(options.validation_fraction * static_cast<double>(data.rows())) < 1;
  if (options.validation_fraction > 0.0 && too_small) {
    result.warnings.push_back(fmt::format("{} {} too few to hold out a validation fraction of {}; training on every row "
                                          "and keeping the weights with the lowest training loss",
                                          data.rows(), data.rows() == 1 ? "row is" : "rows are", options.validation_fraction));
  }
  if (options.validation_fraction > 0.0 && !too_small) {
    split = split_rows(data, options.validation_fraction, options.seed);
  } else {
    split.train.resize(static_cast<std::size_t>(data.rows()));
    for (Index i = 0; i < data.rows(); ++i) split.train[static_cast<std::size_t>(i)] = i;
  }
  Dataset train_data = select_rows(data, split.train);
  Dataset validation_data = select_rows(data, split.held_out);
  result.train_rows = train_data.rows();
  result.validation_rows = validation_data.rows();

  // A row number among other inputs lets the network learn where a row sits in the file. With a
  // single input it is most likely the variable itself (a time step, say).
  for (Index c = 0; data.inputs.cols() > 1 && c < data.inputs.cols(); ++c) {
    if (!counts_rows(data.inputs, data.source_lines, c)) continue;
    const std::string& name = data.input_names.at(static_cast<std::size_t>(c));
    result.warnings.push_back(fmt::format(
        "input column '{}' numbers the rows ({} to {}, one per row); if it is a row id, drop it with --drop '{}', "
        "because the fit would otherwise learn from the order of the file",
        name, data.inputs(0, c), data.inputs(data.rows() - 1, c), name));
  }
  const Standardizer input_scaler = Standardizer::fit(train_data.inputs);
  for (const Index column : input_scaler.constant_columns()) {
    result.warnings.push_back(fmt::format("input column '{}' is constant in the training rows; it cannot inform the fit",
                                          data.input_names.at(static_cast<std::size_t>(column))));
  }
  model.input_scaler = keep_categories_unscaled(input_scaler, model.input_encoding);
  model.input_scaler.transform(train_data.inputs);
  model.input_scaler.transform(validation_data.inputs);
  // Loss, chosen first because binary cross-entropy needs a single output unit and the robust
  // losses a robust target scale.
  model.loss = options.loss;
  if (model.loss.empty()) model.loss = classification ? "cross_entropy" : "mse";
  const std::unique_ptr<Loss> loss = select_loss(model.loss, options.huber_delta, data);

  if (!classification) {
    model.target_scaler = fit_target_scaler(model.loss, train_data, result.warnings);
    model.target_scaler.transform(train_data.targets);
    model.target_scaler.transform(validation_data.targets);
  }

  // Network.
  model.network = Network(data.inputs.cols());
  model.network.backend().set_threads(options.threads);
  add_hidden_layers(model.network, options);
  const Index outputs = model.loss == "bce" ? 1 : (classification ? data.class_count() : data.targets.cols());
  add_output_layer(model.network, options, outputs);
  model.network.initialize(options.seed);

  // Optimizer.
  const std::string optimizer_name =
      options.optimizer.empty() ? automatic_optimizer(data.task, train_data.rows()) : options.optimizer;
  const bool full_batch = optimizer_name == "lbfgs";
  float rate = options.learning_rate;
  if (rate == 0.0f) rate = optimizer_name == "sgd" || optimizer_name == "nesterov" ? 1e-2f : 1e-3f;
  // L-BFGS chooses its own step lengths; the Adam object only keeps the code below uniform.
  auto optimizer = make_optimizer(full_batch ? "adam" : optimizer_name, rate, options.weight_decay);
  if (!optimizer) {
    throw Error(fmt::format("unknown optimizer '{}'", optimizer_name), "use sgd, nesterov, rmsprop, adam, adamw or lbfgs");
  }
  if (full_batch && (options.resume != nullptr || options.checkpoint_every > 0)) {
    throw Error("checkpoints are not supported with the lbfgs optimizer", "use adam, or train without checkpoints");
  }
  if (full_batch) {
    // Named as the CLI options, like the other warnings of fit().
    std::vector<std::string> ignored;
    if (options.learning_rate != 0.0f) ignored.emplace_back("--lr");
    if (options.batch_size > 0) ignored.emplace_back("--batch-size");
    if (options.clip_norm > 0.0) ignored.emplace_back("--clip-norm");
    if (!ignored.empty()) {
      result.warnings.push_back(fmt::format(
          "lbfgs chooses its own step lengths and uses every training row in each iteration, so {} {} not used",
          fmt::join(ignored, " and "), ignored.size() == 1 ? "is" : "are"));
    }
  }
  result.learning_rate = rate;
  if (options.resume != nullptr) resume_weights(*options.resume, model.network, *optimizer);

  TrainOptions train_options;
  train_options.batch_size = options.batch_size > 0 ? options.batch_size : (train_data.rows() <= 10'000 ? 32 : 128);
  train_options.epochs = options.epochs > 0 ? options.epochs
                         : full_batch        ? kAutomaticLbfgsIterations
                                             : automatic_epochs(train_data.rows(), train_options.batch_size);
  train_options.seed = options.seed;
  train_options.schedule = options.schedule;
  // Named as the CLI options, like the other warnings of fit().
  if (!full_batch && options.batch_size > train_data.rows()) {
    result.warnings.push_back(fmt::format("--batch-size {} is larger than the {} training rows, so each epoch is one step "
                                          "over all of them",
                                          options.batch_size, train_data.rows()));
  }
  if (options.schedule.warmup_epochs > 0 && options.schedule.warmup_epochs >= train_options.epochs) {
    result.warnings.push_back(fmt::format("--warmup {} lasts all {} epochs, so training ends before the learning-rate "
                                          "schedule starts",
                                          options.schedule.warmup_epochs, train_options.epochs));
  }
  // Without validation rows the best epoch is the one with the lowest training loss. That loss
  // leaves out the weight penalty that Adam and the others also minimize. With weight decay its
  // minimum therefore comes early, before the decay has shrunk the weights, and keeping that
  // epoch would undo the decay, so the last epoch is kept. L-BFGS tracks its full objective.
  const float decay = effective_weight_decay(optimizer_name, options);
  train_options.restore_best = validation_data.rows() > 0 || full_batch || decay == 0.0f;
  train_options.record_gradient_norms = options.diagnostics;
  train_options.record_activation_statistics = options.diagnostics;
  train_options.clip_norm = options.clip_norm;
  train_options.patience = options.patience >= 0 ? options.patience : (train_data.rows() > 10'000 ? 10 : 0);
  train_options.check_finite = options.check_finite;
  train_options.stop_requested = options.stop_requested;
  train_options.checkpoint_every = options.checkpoint_every;
  if (options.resume != nullptr) train_options.resume = &options.resume->state;

  // A checkpoint stores the recipe with every automatic choice resolved.
  FitOptions resolved = options;
  resolved.learning_rate = rate;
  resolved.epochs = train_options.epochs;
  resolved.batch_size = train_options.batch_size;
  resolved.loss = model.loss;
  resolved.optimizer = optimizer_name;
  resolved.patience = train_options.patience;
  resolved.on_checkpoint = nullptr;
  resolved.on_search_candidate = nullptr;
  resolved.stop_requested = nullptr;
  resolved.resume = nullptr;
  auto make_checkpoint = [&](const TrainState& state) {
    Checkpoint checkpoint;
    checkpoint.options = resolved;
    checkpoint.data = data_print;
    checkpoint.model = model;
    checkpoint.optimizer = optimizer_name;
    checkpoint.optimizer_state = optimizer->state();
    checkpoint.state = state;
    return checkpoint;
  };
  if (options.on_checkpoint) {
    train_options.on_checkpoint = [&](const TrainState& state) { options.on_checkpoint(make_checkpoint(state)); };
  }

  // Validation metrics are reported in the targets' own units.
  Validation validation;
  validation.inputs = validation_data.inputs;
  validation.targets = validation_data.targets;
  const Standardizer target_scaler = model.target_scaler;
  Matrix original_targets = validation_data.targets;
  if (!classification) target_scaler.inverse_transform(original_targets);
  validation.metrics = [&](ConstMatrixView outputs_view) {
    if (classification) return classification_metrics(outputs_view, original_targets);
    Matrix unscaled = Matrix::copy_of(outputs_view);
    target_scaler.inverse_transform(unscaled);
    return regression_metrics(unscaled, original_targets);
  };

  result.recipe = describe_recipe(model, optimizer_name, *optimizer, options, train_options, result);
  const nlohmann::json search_summary =
      options.search_summary.empty() ? nlohmann::json() : nlohmann::json::parse(options.search_summary, nullptr, false);
  if (search_summary.is_object()) {
    result.recipe += fmt::format("; optimizer and weight decay chosen by {}-fold cross-validation from {} candidates",
                                 search_summary.value("folds", 0), search_summary.value("candidates", nlohmann::json::array()).size());
  }

  const Validation* validation_pointer = validation_data.rows() > 0 ? &validation : nullptr;
  if (full_batch) {
    Lbfgs lbfgs;
    result.training = train_full_batch(model.network, *loss, lbfgs, train_data.inputs, train_data.targets, train_options,
                                       options.weight_decay.value_or(0.0f), validation_pointer, observer);
  } else {
    result.training = train(model.network, *loss, *optimizer, train_data.inputs, train_data.targets, train_options,
                            validation_pointer, observer);
  }
  DiagnosticThresholds thresholds;
  thresholds.weight_decay = decay > 0.0f;
  thresholds.outlier_loss = model.loss == "mae" || model.loss == "huber";
  for (std::string& warning : diagnose_training(result.training, thresholds)) result.warnings.push_back(std::move(warning));
  // An interrupted L-BFGS run has no state to resume from, so it leaves no checkpoint.
  if (result.training.interrupted && options.on_checkpoint && !full_batch) {
    options.on_checkpoint(make_checkpoint(result.training.state));
  }

  nlohmann::json summary;
  summary["recipe"] = result.recipe;
  summary["optimizer"] = optimizer_name;
  if (!full_batch) {  // L-BFGS uses neither
    summary["learning_rate"] = std::stod(fmt::format("{:g}", rate));  // 0.001, not float noise
    summary["batch_size"] = train_options.batch_size;
  }
  summary["weight_decay"] = std::stod(fmt::format("{:g}", decay));
  summary["epochs_run"] = result.training.history.size();
  summary["best_epoch"] = result.training.best_epoch;
  summary["seed"] = options.seed;
  summary["train_rows"] = result.train_rows;
  summary["validation_rows"] = result.validation_rows;
  summary["seconds"] = result.training.seconds;
  summary["source"] = data.source;
  if (search_summary.is_object()) summary["search"] = search_summary;
  if (!result.training.history.empty()) {
    const EpochStats& best = result.training.history.at(static_cast<std::size_t>(std::max(1, result.training.best_epoch) - 1));
    summary["train_loss"] = best.train_loss;
    if (std::isfinite(best.validation_loss)) summary["validation_loss"] = best.validation_loss;
    const Metrics& metrics = best.validation_metrics;
    if (metrics.rmse) summary["validation_rmse"] = *metrics.rmse;
    if (metrics.mae) summary["validation_mae"] = *metrics.mae;
    if (metrics.r2) summary["validation_r2"] = *metrics.r2;
    if (metrics.accuracy) summary["validation_accuracy"] = *metrics.accuracy;
    // With several targets the values above are means over them; each target's own follow.
    if (metrics.targets.size() > 1 && metrics.targets.size() == model.target_names.size()) {
      nlohmann::json per_target = nlohmann::json::object();
      for (std::size_t t = 0; t < metrics.targets.size(); ++t) {
        const TargetMetrics& column = metrics.targets[t];
        per_target[model.target_names[t]] = {{"rmse", column.rmse}, {"mae", column.mae}, {"r2", column.r2}};
      }
      summary["validation_targets"] = per_target;
    }
  }
  model.training_summary = summary.dump();
  return result;
}

}  // namespace protean
