// Learning-rate schedules: the rate of every epoch as a multiple of the optimizer's base rate.
//
//   Schedule schedule = Schedule::cosine;  // or step, exponential, plateau, constant
//   schedule.warmup_epochs = 5;
//   LearningRateScheduler scheduler(schedule, base_rate, epochs);
//   for (int epoch = 0; epoch < epochs; ++epoch) {
//     optimizer.set_learning_rate(scheduler.rate(epoch));
//     ...train one epoch...
//     scheduler.record(validation_loss);   // only plateau reads it
//   }
//
// With W warm-up epochs, epoch e < W runs at base·(e+1)/W, and the schedule proper runs over the
// remaining E − W epochs (progress p goes from 0 at epoch W to 1 at the last epoch):
//   constant     base
//   step         base · factorᵏ, k = number of completed step_epochs periods
//   exponential  base · final_fractionᵖ  (a constant factor per epoch)
//   cosine       base · (f + (1 − f)·(1 + cos πp)/2), f = final_fraction
//   plateau      base · factorᵏ, k = number of times the recorded loss went patience epochs
//                without improving by 0.01% of itself (PyTorch's ReduceLROnPlateau, rel mode)
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace protean {

struct Schedule {
  enum Kind { constant, step, exponential, cosine, plateau };

  Kind kind = constant;
  int warmup_epochs = 0;          // linear warm-up before the schedule proper; 0: none
  int step_epochs = 0;            // step: epochs per period; 0: a third of the epochs after warm-up
  double factor = 0.1;            // step and plateau: multiplier applied at each reduction
  double final_fraction = 0.01;   // cosine and exponential: rate at the last epoch over base
  int plateau_patience = 5;       // plateau: epochs without improvement before a reduction

  Schedule(Kind schedule_kind = constant) : kind(schedule_kind) {}  // NOLINT: Schedule s = Schedule::cosine
  bool operator==(Kind other) const { return kind == other; }
};

// The command-line name of a kind: "constant", "step", "exponential", "cosine" or "plateau".
const char* to_string(Schedule::Kind kind);
std::optional<Schedule::Kind> parse_schedule_kind(std::string_view name);
// One phrase for a recipe line, e.g. "cosine to 1% with 5 warm-up epochs".
std::string describe(const Schedule& schedule);

class LearningRateScheduler {
 public:
  LearningRateScheduler(const Schedule& schedule, float base_rate, int epochs);
  // Returns the rate for epoch `epoch_index` (0-based). Plateau reductions count from the
  // losses recorded so far.
  float rate(int epoch_index) const;
  // Records the loss that plateau watches (validation, or training without validation) at the
  // end of an epoch. Other kinds ignore it.
  void record(int epoch_index, double loss);

 private:
  Schedule schedule_;
  float base_rate_;
  int epochs_;
  int step_epochs_;
  double plateau_scale_ = 1.0;
  double plateau_best_;
  int plateau_bad_epochs_ = 0;
};

}  // namespace protean
