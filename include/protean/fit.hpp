// fit(): the whole recipe from a Dataset to a trained Model, as `protean fit` runs it.
//
// Steps: split off validation rows (seeded, stratified for classes), fit the standardizers on
// the training rows only, build the network, train with the chosen loss and optimizer, keep the
// weights of the best validation epoch. Every choice left at its automatic value is resolved from
// the data and reported in FitResult::recipe. On small data a bare recipe first chooses the
// optimizer and weight decay by cross-validation and then trains on every row (SearchMode).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protean/data/dataset.hpp"
#include "protean/model.hpp"
#include "protean/recipe_search.hpp"
#include "protean/train/trainer.hpp"

namespace protean {

struct Checkpoint;

// When fit() chooses the optimizer and weight decay by cross-validation (recipe_search.hpp).
enum class SearchMode {
  // Only for a bare recipe on 20 to 10,000 rows: optimizer, weight decay, learning rate and
  // epochs all left automatic, no checkpoints and no resume.
  automatic,
  // Whenever the optimizer and the weight decay are left automatic; fit() throws if either is
  // given. With checkpoints the candidates are Adam's alone, since L-BFGS keeps no checkpoint.
  on,
  off,
};
const char* to_string(SearchMode mode);
std::optional<SearchMode> parse_search_mode(std::string_view text);  // "auto", "on" or "off"

// A new recipe field must also be written and read by the checkpoint recipe in
// src/train/checkpoint.cpp, or resumed runs fall back to its default.
struct FitOptions {
  std::vector<Index> hidden = {64, 64};   // widths of the hidden layers
  Activation activation = Activation::relu;
  // Architecture text or JSON (architecture.hpp) of the hidden layers, in place of `hidden` and
  // `activation` when not empty. A linear output layer of the width the data needs is appended
  // unless the text already ends with one, so the text `protean info` prints can be given back.
  std::string architecture;
  // "sgd", "nesterov", "rmsprop", "adam", "adamw" or "lbfgs" (full batch, train/full_batch.hpp);
  // empty: chosen from the data (automatic_optimizer).
  std::string optimizer;
  float learning_rate = 0.0f;             // 0: 1e-2 for SGD and Nesterov, 1e-3 otherwise; unused by L-BFGS
  int epochs = 0;                         // 0: chosen from the data size
  Index batch_size = 0;                   // 0: 32 up to 10,000 training rows, else 128
  // Empty: "mse" for regression, "cross_entropy" for classes. Regression also takes "mae" and
  // "huber"; two classes also take "bce" (one output unit with a sigmoid, binary cross-entropy).
  std::string loss;
  double huber_delta = 1.0;               // Huber's δ, in units of 1.4826 × the target's median absolute deviation
  Schedule schedule = Schedule::cosine;   // unused by L-BFGS
  // Weight decay (all weights, no biases): L2 added to the gradient, or AdamW's decoupled rate;
  // for L-BFGS the coefficient λ of (λ/2)·Σθ² added to the loss. Absent: 0, or 0.01 for AdamW.
  std::optional<float> weight_decay;
  double clip_norm = 0.0;                 // global gradient-norm clipping (TrainOptions::clip_norm); 0: off
  // The search trains the final model on every row, so validation_fraction does not apply to it.
  SearchMode search = SearchMode::automatic;
  CandidateCallback on_search_candidate;  // progress of the search; not part of the recipe
  // JSON of the search that chose this recipe, which fit() sets for the final fit. It is part of
  // the recipe, so a run resumed from a checkpoint still records the search in its model.
  std::string search_summary;
  // Early stopping after this many epochs without a lower validation loss; 0: off; -1: automatic
  // (10 above 10,000 training rows, else off).
  int patience = -1;
  double validation_fraction = 0.1;       // share of rows held out to pick the best epoch
  std::uint64_t seed = 0;
  int threads = 1;
  // Record per-layer gradient norms and activation statistics every epoch and add warnings about
  // vanishing or exploding gradients and dead units (train/diagnostics.hpp). Loss warnings are
  // added either way.
  bool diagnostics = false;

  // Robustness (see train/checkpoint.hpp); none of these change the weights a run produces.
  bool check_finite = true;               // stop on a NaN or infinity (TrainOptions::check_finite)
  int checkpoint_every = 0;               // epochs between calls of on_checkpoint; 0: none
  // Receives a checkpoint every `checkpoint_every` epochs, and once more when `stop_requested`
  // stopped the run.
  std::function<void(const Checkpoint&)> on_checkpoint;
  const std::atomic<bool>* stop_requested = nullptr;  // polled between batches
  // Continues this checkpoint's run: its recipe replaces every recipe field above, and the data
  // must be the data it was trained on. The fields of this block still apply.
  const Checkpoint* resume = nullptr;
};

struct FitResult {
  Model model;
  TrainResult training;
  std::vector<std::string> warnings;  // for example constant input columns
  std::string recipe;                 // one line: every setting actually used
  Index train_rows = 0;
  Index validation_rows = 0;
  float learning_rate = 0.0f;         // the optimizer's base learning rate, with the default resolved
  // Set when the search ran. When it was interrupted (search->interrupted), training.interrupted
  // is set too and `model` is empty.
  std::optional<RecipeSearchResult> search;
};

// The optimizer a bare fit uses for this task and number of training rows (docs/defaults.md
// records the measurements behind it).
std::string automatic_optimizer(Task task, Index train_rows);

// Errors: invalid options (named with the value and the accepted range), data that cannot be
// split as asked, and an inconsistent Dataset. A Dataset is inconsistent when it has no rows,
// input and target row counts that differ, name lists that do not match the column counts, a
// NaN or infinite value, or a class id outside 0 to C-1.
FitResult fit(const Dataset& data, const FitOptions& options, TrainingObserver* observer = nullptr);

// Why fit() will not run the automatic search on `rows` rows although the optimizer and the
// weight decay are left to it, for example "--epochs was given" (named as the CLI option).
// Empty when the search runs, or when the caller turned it off or chose the optimizer or the
// weight decay.
std::string search_skipped_because(const FitOptions& options, Index rows);

}  // namespace protean
