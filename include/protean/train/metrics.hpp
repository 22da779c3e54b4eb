// Metrics reported after training and by `protean eval`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protean/tensor.hpp"

namespace protean {

// Regression metrics of one target column, in its own units.
struct TargetMetrics {
  double rmse = 0.0;
  double mae = 0.0;
  double r2 = 0.0;

  // "rmse 0.0123  mae 0.0098  r2 0.9991", formatted as Metrics::to_string() does.
  std::string to_string() const;
};

struct Metrics {
  // Regression, averaged over target columns, in the targets' own units. With targets of
  // different scales the averaged rmse and mae are dominated by the largest, so `targets` has
  // each column's own values.
  std::optional<double> rmse;
  std::optional<double> mae;
  std::optional<double> r2;  // 1 − SS_res / SS_tot; for a constant target 1 if fitted exactly, else 0
  std::vector<TargetMetrics> targets;  // regression: one entry per target column, in column order
  // Classification.
  std::optional<double> accuracy;  // fraction of rows whose largest output is the true class

  // "rmse 0.0123  mae 0.0098  r2 0.9991" or "accuracy 0.8812"; only the metrics present.
  std::string to_string() const;
};

// predictions and targets: N×T.
Metrics regression_metrics(ConstMatrixView predictions, ConstMatrixView targets);
// scores: N×C (logits or probabilities), or N×1 logits of class 1 for two classes; labels: N×1
// class ids.
Metrics classification_metrics(ConstMatrixView scores, ConstMatrixView labels);

}  // namespace protean
