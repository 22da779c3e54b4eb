#include "protean/fit.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "protean/data/split.hpp"
#include "protean/error.hpp"

namespace protean {

namespace {

// Automatic epochs: enough optimizer steps for small data to converge (about 60,000; with fewer,
// 1-D curves with sharp kinks were often left under-fitted), at least 10 passes, and at most
// 5 million sample visits so that large data stays within minutes.
int automatic_epochs(Index train_rows, Index batch_size) {
  const double batches = std::ceil(static_cast<double>(train_rows) / static_cast<double>(batch_size));
  int epochs = static_cast<int>(std::ceil(60000.0 / std::max(1.0, batches)));
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
  if (options.validation_fraction < 0.0 || options.validation_fraction >= 1.0) {
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
}

}  // namespace

FitResult fit(const Dataset& data, const FitOptions& options, TrainingObserver* observer) {
  check_options(options);
  FitResult result;
  Model& model = result.model;
  model.task = data.task;
  model.input_names = data.input_names;
  model.target_names = data.target_names;
  model.class_names = data.class_names;
  const bool classification = data.task == Task::classification;
  if (classification && data.class_count() < 2) {
    throw Error(Location{data.source},
                fmt::format("the target has a single class ({})", fmt::join(data.class_names, ", ")),
                "classification needs at least two classes; check the target column");
  }

  // Split, then standardize with statistics of the training rows alone.
  Split split;
  // With very few rows the fraction rounds to no held-out row at all; train on every row then,
  // and say so, instead of failing on data that is merely small.
  const bool too_small = std::llround(options.validation_fraction * static_cast<double>(data.rows())) < 1;
  if (options.validation_fraction > 0.0 && too_small) {
    result.warnings.push_back(fmt::format("{} rows are too few to hold out a validation fraction of {}; training on every row "
                                          "and keeping the epoch with the lowest training loss",
                                          data.rows(), options.validation_fraction));
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

  model.input_scaler = Standardizer::fit(train_data.inputs);
  for (const Index column : model.input_scaler.constant_columns()) {
    result.warnings.push_back(fmt::format("input column '{}' is constant in the training rows; it cannot inform the fit",
                                          data.input_names.at(static_cast<std::size_t>(column))));
  }
  model.input_scaler.transform(train_data.inputs);
  model.input_scaler.transform(validation_data.inputs);
  if (!classification) {
    model.target_scaler = Standardizer::fit(train_data.targets);
    model.target_scaler.transform(train_data.targets);
    model.target_scaler.transform(validation_data.targets);
  }

  // Network.
  model.network = Network(data.inputs.cols());
  model.network.backend().set_threads(options.threads);
  for (const Index width : options.hidden) model.network.add_dense(width, options.activation);
  const Index outputs = classification ? data.class_count() : data.targets.cols();
  model.network.add_dense(outputs, Activation::identity);
  model.network.initialize(options.seed);

  // Loss and optimizer.
  model.loss = options.loss.empty() ? (classification ? "cross_entropy" : "mse") : options.loss;
  const auto loss = make_loss(model.loss);
  if (!loss) throw Error(fmt::format("unknown loss '{}'", model.loss), "use mse or cross_entropy");
  if (classification != (model.loss == "cross_entropy")) {
    throw Error(fmt::format("loss '{}' does not fit a {} target", model.loss, to_string(data.task)),
                "use cross_entropy for class labels and mse for numbers, or leave --loss unset");
  }
  float rate = options.learning_rate;
  if (rate == 0.0f) rate = options.optimizer == "sgd" ? 1e-2f : 1e-3f;
  auto optimizer = make_optimizer(options.optimizer, rate);
  if (!optimizer) throw Error(fmt::format("unknown optimizer '{}'", options.optimizer), "use adam or sgd");

  TrainOptions train_options;
  train_options.batch_size = options.batch_size > 0 ? options.batch_size : (train_data.rows() <= 10'000 ? 32 : 128);
  train_options.epochs = options.epochs > 0 ? options.epochs : automatic_epochs(train_data.rows(), train_options.batch_size);
  train_options.seed = options.seed;
  train_options.schedule = options.schedule;
  train_options.restore_best = true;
  train_options.record_gradient_norms = options.diagnostics;

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

  result.recipe = fmt::format("network {}, {} lr {:g}, {} loss, {} epochs, batch {}, {} schedule, seed {}, {} train / {} validation rows",
                              model.network.describe(), optimizer->name(), rate, model.loss, train_options.epochs,
                              train_options.batch_size, options.schedule == Schedule::cosine ? "cosine" : "constant",
                              options.seed, result.train_rows, result.validation_rows);

  result.training = train(model.network, *loss, *optimizer, train_data.inputs, train_data.targets, train_options,
                          validation_data.rows() > 0 ? &validation : nullptr, observer);

  nlohmann::json summary;
  summary["recipe"] = result.recipe;
  summary["optimizer"] = optimizer->name();
  summary["learning_rate"] = std::stod(fmt::format("{:g}", rate));  // 0.001, not float noise
  summary["batch_size"] = train_options.batch_size;
  summary["epochs_run"] = result.training.history.size();
  summary["best_epoch"] = result.training.best_epoch;
  summary["seed"] = options.seed;
  summary["train_rows"] = result.train_rows;
  summary["validation_rows"] = result.validation_rows;
  summary["seconds"] = result.training.seconds;
  summary["source"] = data.source;
  if (!result.training.history.empty()) {
    const EpochStats& best = result.training.history.at(static_cast<std::size_t>(std::max(1, result.training.best_epoch) - 1));
    summary["train_loss"] = best.train_loss;
    if (std::isfinite(best.validation_loss)) summary["validation_loss"] = best.validation_loss;
    const Metrics& metrics = best.validation_metrics;
    if (metrics.rmse) summary["validation_rmse"] = *metrics.rmse;
    if (metrics.mae) summary["validation_mae"] = *metrics.mae;
    if (metrics.r2) summary["validation_r2"] = *metrics.r2;
    if (metrics.accuracy) summary["validation_accuracy"] = *metrics.accuracy;
  }
  model.training_summary = summary.dump();
  return result;
}

}  // namespace protean
