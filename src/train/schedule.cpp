#include "protean/train/schedule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace protean {

const char* to_string(Schedule::Kind kind) {
  switch (kind) {
    case Schedule::constant: return "constant";
    case Schedule::step: return "step";
    case Schedule::exponential: return "exponential";
    case Schedule::cosine: return "cosine";
    case Schedule::plateau: return "plateau";
  }
  return "constant";
}

std::optional<Schedule::Kind> parse_schedule_kind(std::string_view name) {
  for (const auto kind : {Schedule::constant, Schedule::step, Schedule::exponential, Schedule::cosine, Schedule::plateau}) {
    if (name == to_string(kind)) return kind;
  }
  return std::nullopt;
}

std::string describe(const Schedule& schedule) {
  std::string text;
  switch (schedule.kind) {
    case Schedule::constant: text = "constant"; break;
    case Schedule::step:
      text = schedule.step_epochs > 0 ? fmt::format("step ×{:g} every {} epochs", schedule.factor, schedule.step_epochs)
                                      : fmt::format("step ×{:g} every third of the run", schedule.factor);
      break;
    case Schedule::exponential: text = fmt::format("exponential to {:g}%", 100.0 * schedule.final_fraction); break;
    case Schedule::cosine: text = fmt::format("cosine to {:g}%", 100.0 * schedule.final_fraction); break;
    case Schedule::plateau:
      text = fmt::format("plateau ×{:g} after {} epochs without improvement", schedule.factor, schedule.plateau_patience);
      break;
  }
  if (schedule.warmup_epochs > 0) text += fmt::format(" with {} warm-up epochs", schedule.warmup_epochs);
  return text;
}

LearningRateScheduler::LearningRateScheduler(const Schedule& schedule, float base_rate, int epochs)
    : schedule_(schedule), base_rate_(base_rate), epochs_(epochs),
      plateau_best_(std::numeric_limits<double>::infinity()) {
  const int decay_epochs = std::max(1, epochs - std::max(0, schedule.warmup_epochs));
  step_epochs_ = schedule.step_epochs > 0 ? schedule.step_epochs : std::max(1, (decay_epochs + 2) / 3);
}

float LearningRateScheduler::rate(int epoch_index) const {
  const int warmup = std::max(0, schedule_.warmup_epochs);
  if (epoch_index < warmup) {
    return static_cast<float>(base_rate_ * static_cast<double>(epoch_index + 1) / static_cast<double>(warmup));
  }
  const int index = epoch_index - warmup;        // epochs since warm-up ended
  const int span = epochs_ - warmup - 1;         // index of the last epoch
  const double progress = span > 0 ? std::min(1.0, static_cast<double>(index) / span) : 0.0;
  double scale = 1.0;
  switch (schedule_.kind) {
    case Schedule::constant: break;
    case Schedule::step: scale = std::pow(schedule_.factor, index / step_epochs_); break;
    case Schedule::exponential: scale = std::pow(schedule_.final_fraction, progress); break;
    case Schedule::cosine: {
      const double floor = schedule_.final_fraction;
      scale = floor + (1.0 - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
      break;
    }
    case Schedule::plateau: scale = plateau_scale_; break;
  }
  return static_cast<float>(base_rate_ * scale);
}

void LearningRateScheduler::record(int epoch_index, double loss) {
  if (schedule_.kind != Schedule::plateau || epoch_index < schedule_.warmup_epochs || !std::isfinite(loss)) return;
  // Improvement means a drop of more than 0.01% of the best loss, as ReduceLROnPlateau's
  // default threshold 1e-4 in relative mode.
  if (loss < plateau_best_ * (1.0 - 1e-4)) {
    plateau_best_ = loss;
    plateau_bad_epochs_ = 0;
    return;
  }
  if (++plateau_bad_epochs_ > schedule_.plateau_patience) {
    plateau_scale_ *= schedule_.factor;
    plateau_bad_epochs_ = 0;
  }
}

}  // namespace protean
