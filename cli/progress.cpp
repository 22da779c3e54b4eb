#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <string>

namespace protean::cli {

namespace {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto total = static_cast<long long>(seconds + 0.5);
  if (total >= 3600) return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
  return fmt::format("{}:{:02}", total / 60, total % 60);
}

std::string format_rate(double samples_per_second) {
  if (samples_per_second >= 1e6) return fmt::format("{:.2f}M", samples_per_second / 1e6);
  if (samples_per_second >= 1e3) return fmt::format("{:.1f}k", samples_per_second / 1e3);
  return fmt::format("{:.0f}", samples_per_second);
}

}  // namespace

ProgressPrinter::ProgressPrinter(std::FILE* out) : out_(out), live_(::isatty(::fileno(out)) != 0) {}

int ProgressPrinter::terminal_width() const {
  winsize size{};
  if (::ioctl(::fileno(out_), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

double ProgressPrinter::seconds_left(int epoch, Index batch) const {
  const double done = static_cast<double>(epoch - 1) * static_cast<double>(batches_) + static_cast<double>(batch);
  const double total = static_cast<double>(epochs_) * static_cast<double>(batches_);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  return done > 0 ? elapsed * (total - done) / done : -1.0;
}

void ProgressPrinter::clear_line() {
  if (line_open_) {
    std::fputs("\r\x1b[2K", out_);
    line_open_ = false;
  }
}

void ProgressPrinter::on_train_begin(int epochs, Index batches_per_epoch) {
  unit_ = "epoch";
  epochs_ = epochs;
  batches_ = std::max<Index>(1, batches_per_epoch);
  start_ = Clock::now();
  last_draw_ = start_ - std::chrono::seconds(1);
}

void ProgressPrinter::on_full_batch_begin(int iterations) {
  on_train_begin(iterations, 1);
  unit_ = "iteration";
}

void ProgressPrinter::on_batch_end(int epoch, Index batch, double loss) {
  if (!live_) return;
  const auto now = Clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && batch != batches_) return;
  last_draw_ = now;

  const std::string prefix = fmt::format("{} {}/{} ", unit_, epoch, epochs_);
  const std::string suffix = fmt::format(" loss {:.4g}  ETA {}", loss, format_duration(seconds_left(epoch, batch)));
  // The bar takes what the text leaves of the terminal, less one column so that the line
  // never wraps; on a very narrow terminal it disappears.
  const int room = terminal_width() - 1 - static_cast<int>(prefix.size() + suffix.size()) - 2;
  std::string line = prefix;
  if (room >= 5) {
    const int filled = static_cast<int>(static_cast<double>(room) * static_cast<double>(batch) / static_cast<double>(batches_));
    line += "[" + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(room - filled), '.') + "]";
  }
  line += suffix;
  line.resize(std::min<std::size_t>(line.size(), static_cast<std::size_t>(std::max(1, terminal_width() - 1))));
  std::fputs("\r\x1b[2K", out_);
  std::fputs(line.c_str(), out_);
  std::fflush(out_);
  line_open_ = true;
}

bool ProgressPrinter::on_epoch_end(const EpochStats& stats) {
  clear_line();
  // Long runs print about 25 epoch lines in all: the first, the last and evenly spaced ones.
  const int stride = std::max(1, epochs_ / 25);
  if (stats.epoch != 1 && stats.epoch != epochs_ && stats.epoch % stride != 0) return true;
  std::string line = fmt::format("{} {}/{}  loss {:.5g}", unit_, stats.epoch, epochs_, stats.train_loss);
  if (std::isfinite(stats.validation_loss)) line += fmt::format("  val_loss {:.5g}", stats.validation_loss);
  const std::string metrics = stats.validation_metrics.to_string();
  if (!metrics.empty()) line += "  val " + metrics;
  if (!stats.gradient_norms.empty()) {
    line += "  grad";
    for (const double norm : stats.gradient_norms) line += fmt::format(" {:.2e}", norm);
  }
  line += fmt::format("  {} samples/s  ETA {}", format_rate(stats.samples_per_second),
                      format_duration(seconds_left(stats.epoch, batches_)));
  std::fputs(line.c_str(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
  return true;
}

}  // namespace protean::cli
