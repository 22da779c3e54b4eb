// Training diagnostics: per-layer activation statistics and plain-language warnings about a
// finished run (vanishing or exploding gradients, dead units, a loss that stops improving, a
// regression fit worse than the validation rows' mean).
//
//   options.record_gradient_norms = true;           // TrainOptions
//   options.record_activation_statistics = true;
//   TrainResult result = train(...);
//   for (const std::string& warning : diagnose_training(result)) ...
// The library never prints; fit() appends these warnings to FitResult::warnings.
#pragma once

#include <string>
#include <vector>

#include "protean/network.hpp"

namespace protean {

struct TrainResult;

// Statistics of one layer's outputs over a sample of rows.
struct ActivationStatistics {
  std::string layer;            // "<index> <type> <activation>", e.g. "0 dense relu"
  double mean = 0.0;            // over every output of every sampled row
  double standard_deviation = 0.0;
  double dead_fraction = 0.0;   // share of units whose output is exactly 0 on every sampled row
};

// Runs `sample` (N×I) through the network layer by layer in inference mode and summarizes each
// layer's output. Changes no weights; the network's output buffers are overwritten.
std::vector<ActivationStatistics> activation_statistics(Network& network, ConstMatrixView sample);

struct DiagnosticThresholds {
  // Vanishing: first-layer weight-gradient norm below this share of the last layer's ...
  double vanishing_ratio = 1e-3;
  // ... for at least this many consecutive epochs.
  int vanishing_epochs = 3;
  // Exploding: a layer's gradient norm grows to this multiple of its first-epoch norm, or any
  // norm or loss becomes NaN or infinite.
  double exploding_growth = 1e3;
  // Dead units: a hidden layer with at least this share of units at 0 on every sampled row in
  // the last recorded epoch.
  double dead_fraction = 0.5;
  // Stalled: runs of at least this many epochs whose best training loss is reached in the first
  // half, or whose loss never drops 1% below the first epoch's.
  int stall_epochs = 10;
  // The optimizer also minimized a weight penalty, so a training loss that rises after an early
  // minimum is expected and only the never-improving case is reported.
  bool weight_decay = false;
  // The loss is MAE or Huber, chosen for targets with outliers. The few outliers' large, nearly
  // fixed errors can then hold the mean training loss within 1% of its first value while every
  // other row is fitted well, so the stalled-loss checks are skipped.
  bool outlier_loss = false;
};

// Returns one plain-language warning per problem found in the run's history, with the layer,
// epochs and values involved and what to try. Gradient checks need
// TrainOptions::record_gradient_norms, dead-unit checks record_activation_statistics; loss
// checks always run, except the stalled-loss checks with outlier_loss. Returns nothing for a healthy run.
std::vector<std::string> diagnose_training(const TrainResult& result, const DiagnosticThresholds& thresholds = {});

}  // namespace protean
