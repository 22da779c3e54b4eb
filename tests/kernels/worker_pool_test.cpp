// WorkerPool: every part runs exactly once, whatever the thread and part counts, and a call made
// from inside a running task runs on its own thread.
#include "kernels/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "kernels/float_mode.hpp"

namespace protean::detail {
namespace {

TEST(WorkerPool, RunsEveryPartExactlyOnce) {
  for (const int threads : {1, 2, 3, 4}) {
    for (const int parts : {0, 1, 2, 3, 7, 64}) {
      // Repeated runs reuse the workers, and a worker that is still spinning joins at once.
      for (int round = 0; round < 50; ++round) {
        std::vector<std::atomic<int>> calls(static_cast<std::size_t>(parts));
        worker_pool().run(threads, parts, [&](int part) { calls[static_cast<std::size_t>(part)].fetch_add(1); });
        for (int part = 0; part < parts; ++part) {
          ASSERT_EQ(calls[static_cast<std::size_t>(part)].load(), 1)
              << "threads " << threads << ", parts " << parts << ", part " << part << ", round " << round;
        }
      }
    }
  }
}

TEST(WorkerPool, NestedCallRunsOnTheCallingThread) {
  std::atomic<int> inner_calls{0};
  std::atomic<bool> inner_left_its_thread{false};
  worker_pool().run(2, 4, [&](int) {
    const auto outer_thread = std::this_thread::get_id();
    worker_pool().run(2, 3, [&](int) {
      if (std::this_thread::get_id() != outer_thread) inner_left_its_thread = true;
      inner_calls.fetch_add(1);
    });
  });
  EXPECT_EQ(inner_calls.load(), 12);
  EXPECT_FALSE(inner_left_its_thread.load());
}

// Training flushes subnormal results to zero on the caller's thread. Every part of an operation
// must see that mode, or a product's bits would depend on which thread computed a part.
TEST(WorkerPool, PartsRunInTheCallersFloatMode) {
  for (const bool flush : {true, false}) {
    std::optional<ScopedFlushSubnormals> scope;
    if (flush) scope.emplace();
    const auto caller = std::this_thread::get_id();
    // A worker may wake too late to take a part; runs repeat until one has taken some.
    bool worker_took_parts = false;
    for (int attempt = 0; attempt < 200 && !worker_took_parts; ++attempt) {
      std::vector<float> results(64, -1.0f);
      std::vector<char> on_worker(64, 0);
      volatile float tiny = 1e-30f;
      worker_pool().run(2, 64, [&](int part) {
        for (volatile int i = 0; i < 2000; i = i + 1) {
        }
        results[static_cast<std::size_t>(part)] = tiny * 1e-10f;
        on_worker[static_cast<std::size_t>(part)] = std::this_thread::get_id() != caller;
      });
      for (std::size_t p = 0; p < results.size(); ++p) {
        worker_took_parts |= on_worker[p] != 0;
        if (flush) {
          EXPECT_EQ(results[p], 0.0f) << "part " << p << (on_worker[p] ? " on a worker" : " on the caller");
        } else {
          EXPECT_GT(results[p], 0.0f) << "part " << p << (on_worker[p] ? " on a worker" : " on the caller");
        }
      }
    }
    EXPECT_TRUE(worker_took_parts);
  }
}

TEST(WorkerPool, SerialScopeKeepsPartsOnTheCaller) {
  const auto caller = std::this_thread::get_id();
  std::atomic<int> calls{0};
  std::atomic<bool> left_the_caller{false};
  {
    SerialScope serial;
    for (int attempt = 0; attempt < 20; ++attempt) {
      worker_pool().run(2, 64, [&](int) {
        for (volatile int i = 0; i < 2000; i = i + 1) {
        }
        if (std::this_thread::get_id() != caller) left_the_caller = true;
        calls.fetch_add(1);
      });
    }
  }
  EXPECT_EQ(calls.load(), 20 * 64);
  EXPECT_FALSE(left_the_caller.load());

  // After the scope, the pool shares parts again.
  bool shared = false;
  for (int attempt = 0; attempt < 200 && !shared; ++attempt) {
    std::atomic<bool> on_worker{false};
    worker_pool().run(2, 64, [&](int) {
      for (volatile int i = 0; i < 2000; i = i + 1) {
      }
      if (std::this_thread::get_id() != caller) on_worker = true;
    });
    shared = on_worker.load();
  }
  EXPECT_TRUE(shared);
}

TEST(WorkerPool, RunInBlocksCoversTheRangeOnce) {
  for (const Index count : {Index{0}, Index{1}, Index{5}, Index{100}, Index{1001}}) {
    for (const Index grain : {Index{1}, Index{7}, Index{1000}}) {
      std::vector<std::atomic<int>> seen(static_cast<std::size_t>(count));
      run_in_blocks(2, count, grain, [&](Index begin, Index end) {
        for (Index i = begin; i < end; ++i) seen[static_cast<std::size_t>(i)].fetch_add(1);
      });
      for (Index i = 0; i < count; ++i) ASSERT_EQ(seen[static_cast<std::size_t>(i)].load(), 1) << count << " " << grain;
    }
  }
}

}  // namespace
}  // namespace protean::detail
