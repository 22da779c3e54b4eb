// A training step allocates nothing once its workspaces exist: every batch after the first
// epoch reuses the buffers of the batch before. This file replaces the global operator new and
// delete of the test binary with versions that count allocations. They only count, so every
// other test runs as before.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>
#include <string>

#include "protean/architecture.hpp"
#include "protean/kernels/backend.hpp"
#include "protean/losses/loss.hpp"
#include "protean/network.hpp"
#include "protean/optimizers/optimizer.hpp"
#include "protean/train/trainer.hpp"

namespace {

std::atomic<long long> allocations{0};

void* counted_allocation(std::size_t size, std::size_t alignment) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  // aligned_alloc requires a size that is a multiple of the alignment.
  const std::size_t rounded = (std::max<std::size_t>(size, 1) + alignment - 1) / alignment * alignment;
  void* p = alignment <= alignof(std::max_align_t) ? std::malloc(rounded) : std::aligned_alloc(alignment, rounded);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t size) { return counted_allocation(size, alignof(std::max_align_t)); }
void* operator new[](std::size_t size) { return counted_allocation(size, alignof(std::max_align_t)); }
void* operator new(std::size_t size, std::align_val_t alignment) {
  return counted_allocation(size, static_cast<std::size_t>(alignment));
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return counted_allocation(size, static_cast<std::size_t>(alignment));
}
// The nothrow forms too, so that every allocation and its release go through the pair above:
// under AddressSanitizer, its own nothrow new freed by the free() below is a reported mismatch.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_allocation(size, alignof(std::max_align_t));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  try {
    return counted_allocation(size, static_cast<std::size_t>(alignment));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t& tag) noexcept {
  return operator new(size, alignment, tag);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace protean {
namespace {

// Reads the allocation count at the end of the second epoch's first batch and of its last batch.
class AllocationWatch final : public TrainingObserver {
 public:
  void on_train_begin(int, Index batches_per_epoch) override { batches = batches_per_epoch; }
  void on_batch_end(int epoch, Index batch, double) override {
    if (epoch != 2) return;
    if (batch == 1) at_first = allocations.load();
    if (batch == batches) at_last = allocations.load();
  }

  Index batches = 0;
  long long at_first = -1;
  long long at_last = -1;
};

struct StepCase {
  std::string architecture;
  Index inputs;
  Index outputs;
  std::string loss;
  std::string optimizer;
  Index batch_size;
  int threads;
  double clip_norm;
};

TEST(TrainingStep, AllocatesNothingAfterFirstEpoch) {
  // Layers with and without a fused forward pass, activations whose derivative needs the input,
  // normalization, dropout, residual blocks and Fourier features, every optimizer but L-BFGS,
  // clipping, two threads, and a product large enough for OpenBLAS (512 × 1024 × 256).
  const std::vector<StepCase> cases = {
      {"64 relu, 64 relu", 1, 1, "mse", "adam", 64, 1, 0.0},
      {"32 tanh, 32 gelu, 32 silu", 3, 2, "huber", "sgd", 50, 1, 1.0},
      {"fourier:4, 48 relu, res(48 relu)x2, bn, dropout:0.1, ln", 2, 1, "mae", "rmsprop", 40, 2, 0.0},
      {"32 leaky_relu, 16 sigmoid", 20, 5, "cross_entropy", "adamw", 64, 2, 0.5},
      {"1024 relu, 256 hard_tanh", 256, 1, "mse", "nesterov", 512, 2, 0.0}};
  const int saved_threads = cpu_backend().threads();
  for (const StepCase& c : cases) {
    SCOPED_TRACE(c.architecture + ", " + c.optimizer + ", " + std::to_string(c.threads) + " threads");
    cpu_backend().set_threads(c.threads);
    const Index rows = 5 * c.batch_size + 7;  // a last, partial batch too
    Matrix x = Matrix::zeros(rows, c.inputs);
    Matrix y = Matrix::zeros(rows, c.loss == "cross_entropy" ? 1 : c.outputs);
    for (Index r = 0; r < rows; ++r) {
      for (Index i = 0; i < c.inputs; ++i) x(r, i) = std::sin(0.1f * static_cast<float>(r * c.inputs + i));
      for (Index o = 0; o < y.cols(); ++o) {
        y(r, o) = c.loss == "cross_entropy" ? static_cast<float>(r % c.outputs) : std::cos(x(r, 0) + static_cast<float>(o));
      }
    }
    Network network(c.inputs);
    network.add(parse_architecture(c.architecture));
    network.add_dense(c.outputs);
    network.initialize(3);
    const auto loss = make_loss(c.loss);
    const auto optimizer = make_optimizer(c.optimizer, 0.001f, 0.01f);
    TrainOptions options;
    options.epochs = 2;
    options.batch_size = c.batch_size;
    options.clip_norm = c.clip_norm;
    options.restore_best = true;
    AllocationWatch watch;
    train(network, *loss, *optimizer, x, y, options, nullptr, &watch);
    ASSERT_EQ(watch.batches, 6);
    ASSERT_GE(watch.at_first, 0);
    EXPECT_EQ(watch.at_last, watch.at_first) << "allocations in the second epoch's batches 2 to 6";
  }
  cpu_backend().set_threads(saved_threads);
}

}  // namespace
}  // namespace protean
