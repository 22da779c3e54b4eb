// fit(): the whole recipe from a Dataset to a trained Model, as `protean fit` runs it.
//
// Steps: split off validation rows (seeded, stratified for classes), fit the standardizers on
// the training rows only, build the network, train with the chosen loss and optimizer, keep the
// weights of the best validation epoch. Every choice left at its automatic value is resolved from
// the data and reported in FitResult::recipe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protean/data/dataset.hpp"
#include "protean/model.hpp"
#include "protean/train/trainer.hpp"

namespace protean {

struct FitOptions {
  std::vector<Index> hidden = {64, 64};   // widths of the hidden layers
  Activation activation = Activation::relu;
  std::string optimizer = "adam";         // "adam" or "sgd"
  float learning_rate = 0.0f;             // 0: 1e-3 for Adam, 1e-2 for SGD
  int epochs = 0;                         // 0: chosen from the data size
  Index batch_size = 0;                   // 0: 32 up to 10,000 training rows, else 128
  std::string loss;                       // empty: "mse" for regression, "cross_entropy" for classes
  Schedule schedule = Schedule::cosine;
  double validation_fraction = 0.1;       // share of rows held out to pick the best epoch
  std::uint64_t seed = 0;
  int threads = 1;
  bool diagnostics = false;               // record per-layer gradient norms every epoch
};

struct FitResult {
  Model model;
  TrainResult training;
  std::vector<std::string> warnings;  // for example constant input columns
  std::string recipe;                 // one line: every setting actually used
  Index train_rows = 0;
  Index validation_rows = 0;
};

// Errors: invalid options (names the option, the value and the accepted range), or data that
// cannot be split as asked.
FitResult fit(const Dataset& data, const FitOptions& options, TrainingObserver* observer = nullptr);

}  // namespace protean
