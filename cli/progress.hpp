// Progress display for `protean fit`, on stdout.
//
// On a terminal: one line redrawn in place (at most ten times a second) with a bar for the
// current epoch, the running loss and the ETA, and kept lines for finished epochs. Elsewhere
// (a pipe, a file, CI): plain epoch lines, nothing else. Runs of more than 25 epochs print about
// 25 of those lines, evenly spaced, with the first and the last. An L-BFGS run's lines read
// "iteration" in place of "epoch".
#pragma once

#include <chrono>
#include <cstdio>

#include "protean/train/trainer.hpp"

namespace protean::cli {

class ProgressPrinter final : public TrainingObserver {
 public:
  explicit ProgressPrinter(std::FILE* out);

  void on_train_begin(int epochs, Index batches_per_epoch) override;
  void on_full_batch_begin(int iterations) override;
  void on_batch_end(int epoch, Index batch, double loss) override;
  bool on_epoch_end(const EpochStats& stats) override;

 private:
  using Clock = std::chrono::steady_clock;

  int terminal_width() const;
  double seconds_left(int epoch, Index batch) const;
  void clear_line();

  std::FILE* out_;
  bool live_;
  const char* unit_ = "epoch";  // what one on_epoch_end() call finishes: "epoch" or "iteration"
  int epochs_ = 0;
  Index batches_ = 0;
  Clock::time_point start_;
  Clock::time_point last_draw_;
  bool line_open_ = false;
};

}  // namespace protean::cli
