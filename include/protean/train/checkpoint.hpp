// Checkpoints: a fit() run saved between two batches, so that it can continue later with bitwise
// the same final weights as a run that was never stopped.
//
//   FitOptions options;                       // the recipe
//   options.checkpoint_every = 5;             // every 5 epochs ...
//   options.on_checkpoint = [](const Checkpoint& c) { save_checkpoint(c, "run.ckpt.safetensors"); };
//   fit(data, options);
//   ...
//   Checkpoint saved = load_checkpoint("run.ckpt.safetensors");
//   FitOptions resumed;                       // callbacks only; the recipe comes from `saved`
//   resumed.resume = &saved;
//   FitResult result = fit(data, resumed);    // continues at saved.state
//
// A checkpoint file is a model file (io/model_file.hpp) with extra tensors named "checkpoint.*"
// and one more metadata entry, "checkpoint"; docs/model-format.md describes both.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "protean/fit.hpp"
#include "protean/model.hpp"
#include "protean/train/trainer.hpp"

namespace protean {

inline constexpr int kCheckpointFormatVersion = 1;

// Identifies the data a run was trained on, so that a resume on other data is rejected.
struct DataFingerprint {
  Index rows = 0;
  Index inputs = 0;
  Index targets = 0;
  std::uint64_t checksum = 0;  // FNV-1a over the input and target values' bytes

  bool operator==(const DataFingerprint&) const = default;
};

DataFingerprint fingerprint_of(const Dataset& data);

struct Checkpoint {
  // The recipe with every automatic choice resolved (epochs, batch size, learning rate, loss);
  // its callbacks and `resume` are empty.
  FitOptions options;
  DataFingerprint data;
  // The network's current weights with the standardizers and names of the run. Its
  // training_summary is empty.
  Model model;
  std::string optimizer;  // "adam" or "sgd"
  std::vector<Matrix> optimizer_state;  // Optimizer::state()
  TrainState state;
  // Opaque text stored for the program that wrote the checkpoint (the CLI keeps its command-line
  // options there as JSON); the library neither reads nor checks it.
  std::string application;
};

// Serializes a checkpoint to the bytes of a checkpoint file.
std::string serialize_checkpoint(const Checkpoint& checkpoint);
// Parses checkpoint file bytes. The model part goes through deserialize_model(), and every extra
// tensor and field is checked against it (shapes, counts, a permutation for the row order), so
// a damaged file gives an Error naming `source`, never a crash or a large allocation.
Checkpoint deserialize_checkpoint(std::string_view bytes, const std::string& source);

// Writes atomically (io/atomic_file.hpp): a failure leaves any previous file as it was.
void save_checkpoint(const Checkpoint& checkpoint, const std::filesystem::path& path);
Checkpoint load_checkpoint(const std::filesystem::path& path);

}  // namespace protean
