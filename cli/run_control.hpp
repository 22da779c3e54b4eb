// Run control for `protean fit`: stopping on SIGINT or SIGTERM, and the checkpoint files.
//
// The first signal only sets a flag that training polls between batches; the command then saves
// a checkpoint and exits with 128 + the signal number (130 for Ctrl-C). A second signal exits at
// once with that code, except while a file is being written: the write then finishes first, so
// that no temporary file is left behind.
#pragma once

#include <atomic>
#include <csignal>
#include <filesystem>
#include <string>

namespace protean::cli {

// Installs the SIGINT and SIGTERM handlers for its lifetime and restores the previous ones after.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  const std::atomic<bool>& requested() const;
  // The signal that requested the stop (SIGINT or SIGTERM), or 0.
  int signal_number() const;

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

// Marks a file write that a second signal must not cut short; a second signal that arrives
// meanwhile exits as soon as the write is over.
class UninterruptedWrite {
 public:
  UninterruptedWrite();
  ~UninterruptedWrite();
  UninterruptedWrite(const UninterruptedWrite&) = delete;
  UninterruptedWrite& operator=(const UninterruptedWrite&) = delete;
};

// Thrown to leave the command with a given exit code after its message was printed.
struct ExitCode {
  int code = 0;
};

// Checkpoint files of one run: <folder>/<model stem>-checkpoint-epoch-E[-batch-B].safetensors,
// for E finished epochs and B batches of the next one.
class CheckpointFiles {
 public:
  // keep: how many of the newest files to keep after each save; 0 keeps all.
  CheckpointFiles(std::filesystem::path folder, const std::filesystem::path& model_output, int keep);

  std::filesystem::path path_for(int epoch, long long batch) const;
  // Deletes the oldest of this run's checkpoint files beyond the `keep` newest. Errors while
  // deleting are ignored: a stale checkpoint costs disk space, not correctness.
  void prune() const;

 private:
  std::filesystem::path folder_;
  std::string prefix_;
  int keep_;
};

}  // namespace protean::cli
