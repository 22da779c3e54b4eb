#include "protean/train/metrics.hpp"

#include <cassert>
#include <cmath>
#include <fmt/format.h>

namespace protean {

std::string Metrics::to_string() const {
  std::string text;
  auto append = [&text](const char* name, const std::optional<double>& value) {
    if (!value) return;
    if (!text.empty()) text += "  ";
    text += fmt::format("{} {:.6g}", name, *value);
  };
  append("rmse", rmse);
  append("mae", mae);
  append("r2", r2);
  append("accuracy", accuracy);
  return text;
}

std::string TargetMetrics::to_string() const {
  Metrics single;
  single.rmse = rmse;
  single.mae = mae;
  single.r2 = r2;
  return single.to_string();
}

Metrics regression_metrics(ConstMatrixView predictions, ConstMatrixView targets) {
  assert(predictions.rows() == targets.rows() && predictions.cols() == targets.cols());
  Metrics metrics;
  const Index n = targets.rows();
  const Index columns = targets.cols();
  if (n == 0 || columns == 0) return metrics;
  double rmse = 0.0, mae = 0.0, r2 = 0.0;
  for (Index c = 0; c < columns; ++c) {
    double mean = 0.0;
    for (Index r = 0; r < n; ++r) mean += targets(r, c);
    mean /= static_cast<double>(n);
    double squared = 0.0, absolute = 0.0, total = 0.0;
    for (Index r = 0; r < n; ++r) {
      const double error = static_cast<double>(predictions(r, c)) - targets(r, c);
      squared += error * error;
      absolute += std::abs(error);
      const double spread = targets(r, c) - mean;
      total += spread * spread;
    }
    TargetMetrics column;
    column.rmse = std::sqrt(squared / static_cast<double>(n));
    column.mae = absolute / static_cast<double>(n);
    column.r2 = total > 0.0 ? 1.0 - squared / total : (squared == 0.0 ? 1.0 : 0.0);
    rmse += column.rmse;
    mae += column.mae;
    r2 += column.r2;
    metrics.targets.push_back(column);
  }
  metrics.rmse = rmse / static_cast<double>(columns);
  metrics.mae = mae / static_cast<double>(columns);
  metrics.r2 = r2 / static_cast<double>(columns);
  return metrics;
}

Metrics classification_metrics(ConstMatrixView scores, ConstMatrixView labels) {
  assert(scores.rows() == labels.rows() && labels.cols() == 1);
  Metrics metrics;
  if (scores.rows() == 0) return metrics;
  Index correct = 0;
  for (Index r = 0; r < scores.rows(); ++r) {
    const float* row = scores.row(r);
    Index best = 0;
    if (scores.cols() == 1) {
      best = row[0] > 0.0f ? 1 : 0;  // one logit of class 1 against class 0
    }
    for (Index c = 1; c < scores.cols(); ++c) {
      if (row[c] > row[best]) best = c;
    }
    if (best == static_cast<Index>(labels(r, 0))) ++correct;
  }
  metrics.accuracy = static_cast<double>(correct) / static_cast<double>(scores.rows());
  return metrics;
}

}  // namespace protean
