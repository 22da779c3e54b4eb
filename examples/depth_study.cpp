// Depth study: three networks of 30 dense layers each fit the same smooth 2-D function.
//
//   plain sigmoid   32 sigmoid x29, then the linear output layer
//   plain ReLU      32 relu x29, then the linear output layer
//   residual + LN   32 relu, res(32 relu)x14, ln, then the linear output layer
//
// Each is trained by fit() with diagnostics on, and the program prints the training loss, the
// first and last layers' weight-gradient norms at a few epochs, the share of dead ReLU units and
// the diagnostic warnings. It exits with 1 unless the plain sigmoid network stays near the loss of
// predicting the mean (standardized loss above 0.9) and the residual network's final training
// loss is at least 10 times below the better plain network's. docs/depth-study.md records full
// runs.
//
// Usage: depth_study [--small] [--frequency K] [--seed S]
//   --small: 2000 rows and 100 epochs in place of 4000 and 200, for ctest
//   --frequency K: k in the target function below (default 3; at k = 1 plain ReLU trains well
//                  and the check fails, as docs/depth-study.md shows)
//   --seed S: seed of the initial weights and the batch order (default 1); the data keep seed 7
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "protean/fit.hpp"
#include "protean/random.hpp"

namespace {

using namespace protean;

struct StudySize {
  Index rows;
  int epochs;
};

// y = sin(kπx₁)·cos(kπx₂) + 0.5·x₁², x uniform on [-1, 1]², no noise, where k is `frequency`.
Dataset make_surface(Index rows, float frequency, std::uint64_t seed) {
  Dataset data;
  data.task = Task::regression;
  data.inputs = Matrix::zeros(rows, 2);
  data.targets = Matrix::zeros(rows, 1);
  data.input_names = {"x1", "x2"};
  data.target_names = {"y"};
  data.source = "depth_study surface";

  Rng rng(seed);
  const float pi = 3.14159265f;
  for (Index i = 0; i < rows; ++i) {
    const float x1 = rng.uniform(-1.0f, 1.0f);
    const float x2 = rng.uniform(-1.0f, 1.0f);
    data.inputs(i, 0) = x1;
    data.inputs(i, 1) = x2;
    data.targets(i, 0) = std::sin(frequency * pi * x1) * std::cos(frequency * pi * x2) + 0.5f * x1 * x1;
  }
  return data;
}

struct StudyRun {
  std::string name;
  std::string architecture;
  double final_loss = 0.0;  // training loss of the last epoch, in standardized target units
};

// Share of units that are 0 on every sampled row, averaged over the dense ReLU layers of one epoch.
// Residual blocks are left out because their statistics describe the block's sum, not its ReLU.
double mean_dead_relu_fraction(const EpochStats& stats) {
  double sum = 0.0;
  int layers = 0;
  for (const ActivationStatistics& layer : stats.activation_statistics) {
    if (layer.layer.find("dense relu") == std::string::npos) continue;
    sum += layer.dead_fraction;
    ++layers;
  }
  return layers == 0 ? 0.0 : sum / layers;
}

void print_epoch(const TrainResult& training, std::size_t epoch_index) {
  const EpochStats& stats = training.history.at(epoch_index);
  const double first = stats.gradient_norms.front();
  const double last = stats.gradient_norms.back();
  std::printf("  epoch %3d  loss %.4g  val_loss %.4g  |g| %s %.3g  %s %.3g  first/last %.2g  dead ReLU units %.0f%%\n",
              stats.epoch, stats.train_loss, stats.validation_loss, training.gradient_norm_names.front().c_str(), first,
              training.gradient_norm_names.back().c_str(), last, first / last, 100.0 * mean_dead_relu_fraction(stats));
}

StudyRun run_network(const std::string& name, const std::string& architecture, const Dataset& data, const StudySize& size,
                     std::uint64_t seed) {
  FitOptions options;
  options.architecture = architecture;
  options.optimizer = "adam";
  options.epochs = size.epochs;
  options.batch_size = 32;
  options.patience = 0;
  options.seed = seed;
  options.diagnostics = true;

  const FitResult result = fit(data, options);
  const TrainResult& training = result.training;
  std::printf("%s: %s\n", name.c_str(), architecture.c_str());

  // Epochs 1 and 10 (when run) and the last one.
  std::vector<std::size_t> shown_epochs = {0};
  if (training.history.size() > 10) shown_epochs.push_back(9);
  if (training.history.size() > 1) shown_epochs.push_back(training.history.size() - 1);
  for (const std::size_t epoch_index : shown_epochs) print_epoch(training, epoch_index);
  for (const std::string& warning : result.warnings) std::printf("  warning: %s\n", warning.c_str());

  return {name, architecture, training.history.back().train_loss};
}

}  // namespace

int main(int argc, char** argv) {
  bool small = false;
  float frequency = 3.0f;
  std::uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--small") == 0) {
      small = true;
    } else if (std::strcmp(argv[i], "--frequency") == 0 && i + 1 < argc) {
      char* end = nullptr;
      frequency = std::strtof(argv[++i], &end);
      if (*end != '\0' || !(frequency > 0.0f)) {
        std::fprintf(stderr, "depth_study: invalid --frequency '%s', expected a positive number such as 3\n", argv[i]);
        return 2;
      }
    } else if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      char* end = nullptr;
      const char* text = argv[++i];
      seed = std::strtoull(text, &end, 10);
      if (*end != '\0' || *text == '\0' || *text == '-') {
        std::fprintf(stderr, "depth_study: invalid --seed '%s', expected a whole number such as 2\n", text);
        return 2;
      }
    } else {
      std::fprintf(stderr, "depth_study: unknown argument '%s'. Usage: depth_study [--small] [--frequency K] [--seed S]\n", argv[i]);
      return 2;
    }
  }
  const StudySize size = small ? StudySize{2000, 100} : StudySize{4000, 200};
  const Dataset data = make_surface(size.rows, frequency, /*seed=*/7);
  std::printf("%lld rows, %d epochs, batch 32, adam lr 1e-3 with cosine decay, 10%% validation\n\n",
              static_cast<long long>(size.rows), size.epochs);

  const StudyRun sigmoid = run_network("plain sigmoid", "32 sigmoid x29", data, size, seed);
  const StudyRun relu = run_network("plain ReLU", "32 relu x29", data, size, seed);
  const StudyRun residual = run_network("residual + LN", "32 relu, res(32 relu)x14, ln", data, size, seed);

  const double best_plain = std::min(sigmoid.final_loss, relu.final_loss);
  std::printf("\nfinal training loss: plain sigmoid %.4g, plain ReLU %.4g, residual + LN %.4g (%.1fx below the better plain)\n",
              sigmoid.final_loss, relu.final_loss, residual.final_loss, best_plain / residual.final_loss);

  bool passed = true;
  if (!(sigmoid.final_loss > 0.9)) {
    std::printf("FAILED: the plain sigmoid network trained (loss %.4g), expected it to stay above 0.9\n", sigmoid.final_loss);
    passed = false;
  }
  if (!(residual.final_loss * 10.0 <= best_plain)) {
    std::printf("FAILED: the residual network's loss %.4g is not 10 times below the better plain network's %.4g\n",
                residual.final_loss, best_plain);
    passed = false;
  }
  return passed ? 0 : 1;
}
