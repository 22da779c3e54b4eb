#include "run_control.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <tuple>
#include <utility>
#include <vector>

namespace protean::cli {

namespace {

// Signal handlers may touch only lock-free atomics and call async-signal-safe functions.
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free);
std::atomic<bool> stop_requested{false};
std::atomic<int> stop_signal{0};
std::atomic<int> writes_in_progress{0};
std::atomic<bool> exit_after_write{false};

void write_stderr(const char* text) {
  std::size_t length = 0;
  while (text[length] != '\0') ++length;
  [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, text, length);
}

extern "C" void on_stop_signal(int signal) {
  if (!stop_requested.load()) {
    stop_signal.store(signal);
    stop_requested.store(true);
    // What is kept depends on the phase (a checkpoint for a training run, nothing for L-BFGS or
    // the search), so the message on exit reports it, and this line promises nothing.
    write_stderr("\nstopping after the current batch; send the signal again to quit at once\n");
    return;
  }
  if (writes_in_progress.load() > 0) {
    exit_after_write.store(true);
    return;
  }
  write_stderr("stopped at once by a second signal; no checkpoint was written\n");
  ::_exit(128 + signal);
}

}  // namespace

StopSignals::StopSignals() {
  stop_requested.store(false);
  stop_signal.store(0);
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, &previous_int_);
  ::sigaction(SIGTERM, &action, &previous_term_);
}

StopSignals::~StopSignals() {
  ::sigaction(SIGINT, &previous_int_, nullptr);
  ::sigaction(SIGTERM, &previous_term_, nullptr);
}

const std::atomic<bool>& StopSignals::requested() const { return stop_requested; }

int StopSignals::signal_number() const { return stop_signal.load(); }

UninterruptedWrite::UninterruptedWrite() { writes_in_progress.fetch_add(1); }

UninterruptedWrite::~UninterruptedWrite() {
  if (writes_in_progress.fetch_sub(1) == 1 && exit_after_write.load()) {
    write_stderr("stopped by a second signal after finishing the file being written\n");
    std::fflush(stdout);
    ::_exit(128 + stop_signal.load());
  }
}

CheckpointFiles::CheckpointFiles(std::filesystem::path folder, const std::filesystem::path& model_output, int keep)
    : folder_(std::move(folder)), prefix_(model_output.stem().string() + "-checkpoint-epoch-"), keep_(keep) {}

std::filesystem::path CheckpointFiles::path_for(int epoch, long long batch) const {
  // Zero-padded so that a folder listing sorts them in training order.
  if (batch == 0) return folder_ / fmt::format("{}{:06d}.safetensors", prefix_, epoch);
  return folder_ / fmt::format("{}{:06d}-batch-{:06d}.safetensors", prefix_, epoch, batch);
}

void CheckpointFiles::prune() const {
  if (keep_ <= 0) return;
  // (epoch, batch, path) of every file of this run, oldest first.
  std::vector<std::tuple<long long, long long, std::filesystem::path>> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(folder_, error)) {
    const std::string name = entry.path().filename().string();
    const std::string suffix = ".safetensors";
    if (name.rfind(prefix_, 0) != 0 || name.size() < prefix_.size() + suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    long long epoch = 0;
    long long batch = 0;
    int used = 0;
    const std::string position = name.substr(prefix_.size(), name.size() - prefix_.size() - suffix.size());
    if (std::sscanf(position.c_str(), "%lld%n", &epoch, &used) != 1) continue;
    if (static_cast<std::size_t>(used) != position.size()) {
      int rest = 0;
      if (std::sscanf(position.c_str() + used, "-batch-%lld%n", &batch, &rest) != 1 ||
          static_cast<std::size_t>(used + rest) != position.size()) {
        continue;
      }
    }
    files.emplace_back(epoch, batch, entry.path());
  }
  std::sort(files.begin(), files.end());
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep_) < files.size(); ++i) {
    std::filesystem::remove(std::get<2>(files[i]), error);
  }
}

}  // namespace protean::cli
