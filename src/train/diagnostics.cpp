#include "protean/train/diagnostics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "protean/layers/dense.hpp"
#include "protean/train/trainer.hpp"

namespace protean {

namespace {

std::string layer_label(const Layer& layer, std::size_t index) {
  if (const auto* dense = dynamic_cast<const Dense*>(&layer)) {
    return fmt::format("{} {} {}", index, layer.type(), to_string(dense->activation()));
  }
  return fmt::format("{} {}", index, layer.type());
}

ActivationStatistics summarize(ConstMatrixView outputs) {
  ActivationStatistics statistics;
  const Index count = outputs.size();
  if (count == 0) return statistics;
  double sum = 0.0, square_sum = 0.0;
  Index dead_units = 0;
  for (Index c = 0; c < outputs.cols(); ++c) {
    bool dead = true;
    for (Index r = 0; r < outputs.rows(); ++r) {
      const double value = outputs(r, c);
      sum += value;
      square_sum += value * value;
      dead = dead && value == 0.0;
    }
    if (dead) ++dead_units;
  }
  statistics.mean = sum / static_cast<double>(count);
  statistics.standard_deviation = std::sqrt(std::max(0.0, square_sum / static_cast<double>(count) - statistics.mean * statistics.mean));
  statistics.dead_fraction = static_cast<double>(dead_units) / static_cast<double>(outputs.cols());
  return statistics;
}

void check_vanishing(const TrainResult& result, const DiagnosticThresholds& thresholds, std::vector<std::string>& warnings) {
  int run = 0;
  for (const EpochStats& stats : result.history) {
    const auto& norms = stats.gradient_norms;
    const bool vanishing = norms.size() >= 2 && norms.front() < thresholds.vanishing_ratio * norms.back();
    run = vanishing ? run + 1 : 0;
    if (run == thresholds.vanishing_epochs) {
      warnings.push_back(fmt::format(
          "vanishing gradients: the first layer's weight-gradient norm ({:.3g}, {}) stayed below {:g} of the last "
          "layer's ({:.3g}, {}) for {} {}s up to {} {}, so the first layers barely learn; try relu or leaky_relu "
          "activations, fewer or narrower layers, or a higher learning rate",
          norms.front(), result.gradient_norm_names.front(), thresholds.vanishing_ratio, norms.back(),
          result.gradient_norm_names.back(), run, history_unit(result), history_unit(result), stats.epoch));
      return;
    }
  }
}

void check_exploding(const TrainResult& result, const DiagnosticThresholds& thresholds, std::vector<std::string>& warnings) {
  if (result.history.empty()) return;
  const std::vector<double>& first = result.history.front().gradient_norms;
  for (const EpochStats& stats : result.history) {
    for (std::size_t k = 0; k < stats.gradient_norms.size() && k < first.size(); ++k) {
      const double norm = stats.gradient_norms[k];
      if (std::isfinite(norm) && !(norm > thresholds.exploding_growth * first[k] && norm > 0.0)) continue;
      warnings.push_back(fmt::format(
          "exploding gradients: the weight-gradient norm of {} grew from {:.3g} in {} 1 to {:.3g} in {} {}; "
          "lower the learning rate or clip gradients (--clip-norm 1)",
          result.gradient_norm_names.at(k), first[k], history_unit(result), norm, history_unit(result), stats.epoch));
      return;
    }
  }
}

void check_dead_units(const TrainResult& result, const DiagnosticThresholds& thresholds, std::vector<std::string>& warnings) {
  if (result.history.empty()) return;
  const EpochStats& last = result.history.back();
  const auto& layers = last.activation_statistics;
  // The output layer is left out: its units are the targets, not features.
  for (std::size_t i = 0; i + 1 < layers.size(); ++i) {
    if (layers[i].dead_fraction < thresholds.dead_fraction) continue;
    warnings.push_back(fmt::format(
        "dead units: {:.0f}% of the units of layer {} output 0 on every sampled row after {} {}, so they no longer "
        "learn; lower the learning rate or use leaky_relu",
        100.0 * layers[i].dead_fraction, layers[i].layer, history_unit(result), last.epoch));
  }
}

// Share of the first epoch's training loss below which the run counts as an exact fit.
constexpr double kNegligibleLossShare = 1e-8;

void check_loss(const TrainResult& result, const DiagnosticThresholds& thresholds, std::vector<std::string>& warnings) {
  const auto& history = result.history;
  for (const EpochStats& stats : history) {
    if (!std::isfinite(stats.train_loss)) {
      warnings.push_back(fmt::format("the training loss became {} in {} {}; lower the learning rate or clip gradients "
                                     "(--clip-norm 1)", stats.train_loss, history_unit(result), stats.epoch));
      return;
    }
  }
  const int epochs = static_cast<int>(history.size());
  if (epochs < thresholds.stall_epochs || thresholds.outlier_loss) return;
  std::size_t best = 0;
  for (std::size_t i = 1; i < history.size(); ++i) {
    if (history[i].train_loss < history[best].train_loss) best = i;
  }
  const double first = history.front().train_loss;
  // A loss that reached a hundred-millionth of its first value (or was 0 from the start) has
  // fitted the rows to within float32's rounding noise, and the jitter that follows is no stall.
  if (history[best].train_loss <= kNegligibleLossShare * first) return;
  // L-BFGS has no learning rate, so its advice names what can change instead.
  if (!(history[best].train_loss < 0.99 * first)) {
    warnings.push_back(fmt::format(
        "the training loss did not improve: {:.4g} in {} 1, and never 1% lower in {} {}s; {}", first,
        history_unit(result), epochs, history_unit(result),
        result.full_batch ? "another optimizer may do better, or the inputs may not predict the target"
                          : "the learning rate may be too low or too high, or the inputs may not predict the target"));
    return;
  }
  if (!thresholds.weight_decay && epochs >= 2 * thresholds.stall_epochs && static_cast<int>(best) + 1 <= epochs / 2) {
    warnings.push_back(fmt::format(
        "the training loss stopped improving: its lowest value, {:.4g}, was in {} {} of {}; {}fewer {}s would do",
        history[best].train_loss, history_unit(result), best + 1, epochs,
        result.full_batch ? "" : "the learning rate may be too high (try --schedule plateau or a lower --lr), or ",
        history_unit(result)));
  }
}

// A regression model that predicts its validation rows worse than their mean does (r² < 0)
// has learned nothing useful, although the run itself may have ended without error.
void check_validation_fit(const TrainResult& result, std::vector<std::string>& warnings) {
  const auto& history = result.history;
  if (history.empty()) return;
  const int kept_epoch = result.best_epoch > 0 ? result.best_epoch : static_cast<int>(history.size());
  const EpochStats& stats = history.at(static_cast<std::size_t>(kept_epoch - 1));
  const std::optional<double> r2 = stats.validation_metrics.r2;
  if (!r2 || !(*r2 < 0.0)) return;
  warnings.push_back(fmt::format(
      "the kept {} {} predicts the validation rows worse than their mean does (r2 {:.4g}); {}", history_unit(result),
      kept_epoch, *r2,
      result.full_batch ? "try another optimizer, or leave the choice to the search"
                        : "lower the learning rate, try another optimizer, or leave both to the search"));
}

}  // namespace

std::vector<ActivationStatistics> activation_statistics(Network& network, ConstMatrixView sample) {
  std::vector<ActivationStatistics> all;
  ConstMatrixView x = sample;
  for (std::size_t i = 0; i < network.layer_count(); ++i) {
    Layer& layer = network.layer(i);
    x = layer.forward(x, Mode::inference);
    ActivationStatistics statistics = summarize(x);
    statistics.layer = layer_label(layer, i);
    all.push_back(std::move(statistics));
  }
  return all;
}

std::vector<std::string> diagnose_training(const TrainResult& result, const DiagnosticThresholds& thresholds) {
  std::vector<std::string> warnings;
  check_vanishing(result, thresholds, warnings);
  check_exploding(result, thresholds, warnings);
  check_dead_units(result, thresholds, warnings);
  check_loss(result, thresholds, warnings);
  check_validation_fit(result, warnings);
  return warnings;
}

}  // namespace protean
