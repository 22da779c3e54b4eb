// protean_bench: training throughput of the four reference MLP tasks, and the sgemm ceiling.
//
//   protean_bench TASK THREADS [EPOCHS [FACTOR [SEED]]]   TASK: curve, surface, fashion or wide.
//                                          EPOCHS defaults to 3. FACTOR multiplies the rows of a
//                                          synthetic task. SEED (default 0) seeds the initial
//                                          weights and the shuffle order, not the data
//   protean_bench peak THREADS             best cblas_sgemm GFLOP/s over square sizes 256..2048
//   protean_bench predict THREADS          latency of one single-sample forward pass of the curve network
//   protean_bench predict_batch THREADS TASK   forward-pass throughput of TASK's network on 16384 rows
//
// PROTEAN_BENCH_SHARDS=K in the environment sets TrainOptions::shards (1 turns data-parallel
// steps off), to compare the two ways of sharing a step among threads in one build.
//
// Task runs also print the peak resident memory of the process (max_rss_mib, from getrusage)
// and the bytes of the data held as float32 matrices (data_mib: training and test rows).
//
// Prints one line of key=value fields that bench/run.py parses. Every task trains with Adam
// (learning rate 1e-3), ReLU between the layers and none after the last, and skips the last
// partial batch, as bench/torch_reference.py does. Throughput counts whole epochs of training
// steps only: data generation, loading and the test-set evaluation are outside the timing.
#include <cblas.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "protean/data/idx.hpp"
#include "protean/losses/mse.hpp"
#include "protean/losses/softmax_cross_entropy.hpp"
#include "protean/network.hpp"
#include "protean/optimizers/adam.hpp"
#include "protean/random.hpp"
#include "protean/train/trainer.hpp"

namespace {

using protean::Index;
using protean::Matrix;

struct TaskSpec {
  std::string_view name;
  std::vector<Index> widths;
  Index batch_size;
  Index samples;
  bool classification;
};

const std::vector<TaskSpec>& task_specs() {
  static const std::vector<TaskSpec> specs = {
      {"curve", {1, 64, 64, 1}, 64, 4096, false},
      {"surface", {2, 128, 128, 128, 1}, 256, 65536, false},
      {"fashion", {784, 256, 128, 10}, 128, 60000, true},
      {"wide", {1024, 2048, 2048, 1024}, 512, 8192, false},
  };
  return specs;
}

const TaskSpec* find_task(std::string_view name) {
  for (const TaskSpec& spec : task_specs()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// FLOP per training sample: 2·weights for the forward products and 4·weights for the two
// backward products, less the first layer's input gradient, which is never computed.
double flop_per_sample(const TaskSpec& spec) {
  double weights = 0.0;
  for (std::size_t i = 0; i + 1 < spec.widths.size(); ++i) {
    weights += static_cast<double>(spec.widths[i] * spec.widths[i + 1]);
  }
  const double first_layer = static_cast<double>(spec.widths[0] * spec.widths[1]);
  return 6.0 * weights - 2.0 * first_layer;
}

const std::filesystem::path kFashionDirectory = "/usr/share/datasets/fashion-mnist";

protean::Dataset load_fashion(const std::string& prefix) {
  protean::Dataset data = protean::read_idx_dataset(kFashionDirectory / (prefix + "-images-idx3-ubyte.gz"),
                                                    kFashionDirectory / (prefix + "-labels-idx1-ubyte.gz"));
  // Pixels come as 0..255, and torch_reference.py divides them by 255 too.
  for (Index i = 0; i < data.inputs.size(); ++i) data.inputs.data()[i] /= 255.0f;
  return data;
}

// Synthetic regression data: x uniform in [-1, 1] (standard normal for wide), targets from the
// task's formula. Seeded, so every run trains on the same rows.
void make_synthetic(const TaskSpec& spec, Matrix& x, Matrix& y) {
  protean::Rng rng(0);
  const Index inputs = spec.widths.front();
  const Index outputs = spec.widths.back();
  x = Matrix::zeros(spec.samples, inputs);
  y = Matrix::zeros(spec.samples, outputs);
  if (spec.name == "wide") {
    for (Index i = 0; i < x.size(); ++i) x.data()[i] = rng.normal();
    for (Index i = 0; i < y.size(); ++i) y.data()[i] = rng.normal();
    return;
  }
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = rng.uniform(-1.0f, 1.0f);
  for (Index r = 0; r < spec.samples; ++r) {
    if (spec.name == "curve") {
      const float v = x(r, 0);
      const float sign = v > 0.2f ? 1.0f : (v < 0.2f ? -1.0f : 0.0f);
      y(r, 0) = std::sin(3.0f * v) + 0.3f * sign + 0.1f * v;
    } else {
      const float a = x(r, 0);
      const float b = x(r, 1);
      y(r, 0) = std::sin(4.0f * a) * std::cos(3.0f * b) + (a * b > 0.0f ? 0.5f : 0.0f);
    }
  }
}

// The task's network with weights from `seed`: ReLU between the layers, none after the last.
protean::Network task_network(const TaskSpec& spec, std::uint64_t seed = 0) {
  protean::Network network(spec.widths.front());
  for (std::size_t i = 1; i < spec.widths.size(); ++i) {
    const bool last = i + 1 == spec.widths.size();
    network.add_dense(spec.widths[i], last ? protean::Activation::identity : protean::Activation::relu);
  }
  network.initialize(seed);
  return network;
}

double test_accuracy(protean::Network& network, const protean::Dataset& test) {
  const Matrix logits = network.predict(test.inputs, 1000);
  Index correct = 0;
  for (Index r = 0; r < logits.rows(); ++r) {
    const float* row = logits.row(r);
    const Index predicted = std::max_element(row, row + logits.cols()) - row;
    if (predicted == static_cast<Index>(test.targets(r, 0))) ++correct;
  }
  return static_cast<double>(correct) / static_cast<double>(std::max<Index>(logits.rows(), 1));
}

int run_task(TaskSpec spec, int threads, int epochs, Index factor, std::uint64_t seed) {
  spec.samples *= factor;
  Matrix x, y;
  protean::Dataset test;
  if (spec.classification) {
    protean::Dataset train = load_fashion("train");
    test = load_fashion("t10k");
    x = std::move(train.inputs);
    y = std::move(train.targets);
  } else {
    make_synthetic(spec, x, y);
  }

  protean::cpu_backend().set_threads(threads);
  protean::Network network = task_network(spec, seed);

  protean::MeanSquaredError mse;
  protean::SoftmaxCrossEntropy cross_entropy;
  const protean::Loss& loss = spec.classification ? static_cast<const protean::Loss&>(cross_entropy) : mse;
  protean::Adam adam(1e-3f);

  protean::TrainOptions options;
  options.epochs = epochs;
  options.batch_size = spec.batch_size;
  options.seed = seed;
  options.drop_last = true;
  if (const char* shards = std::getenv("PROTEAN_BENCH_SHARDS")) options.shards = std::atoi(shards);
  const protean::TrainResult result = protean::train(network, loss, adam, x, y, options);

  double seconds = 0.0;
  double seen = 0.0;
  for (const protean::EpochStats& stats : result.history) {
    seconds += stats.seconds;
    seen += stats.samples_per_second * stats.seconds;
  }
  const double samples_per_second = seconds > 0.0 ? seen / seconds : 0.0;
  const double final_loss = result.history.empty() ? 0.0 : result.history.back().train_loss;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double max_rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
  const double data_mib =
      static_cast<double>(x.size() + y.size() + test.inputs.size() + test.targets.size()) * sizeof(float) / (1024.0 * 1024.0);
  std::printf("protean task=%s threads=%d epochs=%d rows=%lld seed=%llu samples_per_s=%.0f seconds=%.3f loss=%.5f "
              "gflops=%.2f max_rss_mib=%.1f data_mib=%.1f blas=%s",
              std::string(spec.name).c_str(), threads, epochs, static_cast<long long>(x.rows()),
              static_cast<unsigned long long>(seed), samples_per_second, seconds,
              final_loss, samples_per_second * flop_per_sample(spec) / 1e9, max_rss_mib, data_mib, openblas_get_corename());
  if (spec.classification) std::printf(" test_acc=%.4f", test_accuracy(network, test));
  std::printf("\n");
  return 0;
}

// Best sustained cblas_sgemm rate over square products of sizes 256..2048. This calls OpenBLAS
// directly, without the CPU backend, so it uses the kernels OpenBLAS picks (or OPENBLAS_CORETYPE).
int run_peak(int threads) {
  openblas_set_num_threads(threads);
  double best = 0.0;
  for (const int n : {256, 512, 1024, 2048}) {
    std::vector<float> a(static_cast<std::size_t>(n) * n), b(a.size()), c(a.size());
    protean::Rng rng(1);
    for (float& v : a) v = rng.normal();
    for (float& v : b) v = rng.normal();
    const auto multiply = [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f,
                  c.data(), n);
    };
    multiply();  // warm-up: thread start and page faults
    const double flop = 2.0 * n * n * static_cast<double>(n);
    const int repeats = std::max(3, static_cast<int>(2e10 / flop));
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < repeats; ++i) multiply();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double gflops = flop * repeats / seconds / 1e9;
    std::fprintf(stderr, "peak threads=%d n=%d gflops=%.1f\n", threads, n, gflops);
    best = std::max(best, gflops);
  }
  std::printf("peak threads=%d gflops=%.2f blas=%s\n", threads, best, openblas_get_corename());
  return 0;
}

// Median over 25 rounds of the mean time of 20000 single-row forward passes through the curve
// network (1-64-64-1): the latency of a caller that predicts one sample at a time.
int run_predict(int threads) {
  protean::cpu_backend().set_threads(threads);
  protean::Network network(1);
  network.add_dense(64, protean::Activation::relu).add_dense(64, protean::Activation::relu).add_dense(1);
  network.initialize(0);
  Matrix x = Matrix::filled(1, 1, 0.25f);
  float sink = 0.0f;
  constexpr int kCalls = 20000;
  std::vector<double> nanoseconds;
  for (int round = 0; round < 25; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i) {
      x(0, 0) = 0.25f + 1e-6f * static_cast<float>(i);
      sink += network.forward(x, protean::Mode::inference)(0, 0);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    nanoseconds.push_back(seconds * 1e9 / kCalls);
  }
  std::sort(nanoseconds.begin(), nanoseconds.end());
  std::printf("protean task=predict threads=%d ns_per_sample=%.1f checksum=%.3f\n", threads,
              nanoseconds[nanoseconds.size() / 2], static_cast<double>(sink));
  return 0;
}

// Forward-pass throughput of a task's network (random weights) on 16384 random rows, predicted
// in blocks of 1024 rows as Network::predict does: the median of 31 passes over all rows.
// GFLOP/s counts 2·weights per row.
int run_predict_batch(const TaskSpec& spec, int threads) {
  protean::cpu_backend().set_threads(threads);
  protean::Network network = task_network(spec);
  constexpr Index kRows = 16384;
  Matrix x = Matrix::zeros(kRows, spec.widths.front());
  protean::Rng rng(3);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = rng.uniform(-1.0f, 1.0f);
  double weights = 0.0;
  for (std::size_t i = 0; i + 1 < spec.widths.size(); ++i) weights += static_cast<double>(spec.widths[i] * spec.widths[i + 1]);

  network.predict(x, 1024);  // warm-up: buffers and OpenBLAS threads
  std::vector<double> rates;
  double checksum = 0.0;
  for (int round = 0; round < 31; ++round) {
    const auto start = std::chrono::steady_clock::now();
    const Matrix y = network.predict(x, 1024);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rates.push_back(static_cast<double>(kRows) / seconds);
    checksum += static_cast<double>(y(0, 0));
  }
  std::sort(rates.begin(), rates.end());
  const double samples_per_second = rates[rates.size() / 2];
  std::printf("protean task=predict_batch network=%s threads=%d samples_per_s=%.0f gflops=%.2f checksum=%.3f\n",
              std::string(spec.name).c_str(), threads, samples_per_second, samples_per_second * 2.0 * weights / 1e9, checksum);
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: protean_bench TASK THREADS [EPOCHS [FACTOR [SEED]]]\n"
               "       protean_bench peak THREADS\n"
               "       protean_bench predict THREADS\n"
               "       protean_bench predict_batch THREADS TASK\n"
               "TASK is curve, surface, fashion or wide; THREADS is the number of backend threads (>= 1);\n"
               "EPOCHS defaults to 3; FACTOR (default 1) multiplies the rows of curve, surface and wide;\n"
               "SEED (default 0) seeds the initial weights and the shuffle order.\n"
               "PROTEAN_BENCH_SHARDS=K sets TrainOptions::shards (default 0: automatic; 1: off).\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string_view task = argv[1];
  const int threads = std::atoi(argv[2]);
  if (threads < 1) {
    std::fprintf(stderr, "protean_bench: invalid THREADS '%s': expected an integer >= 1\n", argv[2]);
    return 2;
  }
  if (task == "peak") return run_peak(threads);
  if (task == "predict") return run_predict(threads);
  if (task == "predict_batch") {
    const TaskSpec* network = argc > 3 ? find_task(argv[3]) : nullptr;
    if (network == nullptr) {
      std::fprintf(stderr, "protean_bench: predict_batch needs a TASK: curve, surface, fashion or wide\n");
      return 2;
    }
    return run_predict_batch(*network, threads);
  }

  const TaskSpec* spec = find_task(task);
  if (spec == nullptr) {
    std::fprintf(stderr, "protean_bench: unknown task '%s': expected curve, surface, fashion, wide, peak or predict\n",
                 argv[1]);
    return 2;
  }
  const int epochs = argc > 3 ? std::atoi(argv[3]) : 3;
  if (epochs < 1) {
    std::fprintf(stderr, "protean_bench: invalid EPOCHS '%s': expected an integer >= 1\n", argv[3]);
    return 2;
  }
  const long factor = argc > 4 ? std::atol(argv[4]) : 1;
  if (factor < 1 || (factor > 1 && spec->classification)) {
    std::fprintf(stderr, "protean_bench: invalid FACTOR '%s': expected an integer >= 1, and 1 for fashion\n", argv[4]);
    return 2;
  }
  std::uint64_t seed = 0;
  if (argc > 5) {
    char* end = nullptr;
    seed = std::strtoull(argv[5], &end, 10);
    if (end == argv[5] || *end != '\0' || argv[5][0] == '-') {
      std::fprintf(stderr, "protean_bench: invalid SEED '%s': expected an integer >= 0\n", argv[5]);
      return 2;
    }
  }
  try {
    return run_task(*spec, threads, epochs, static_cast<Index>(factor), seed);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "protean_bench: %s\n", error.what());
    return 1;
  }
}
