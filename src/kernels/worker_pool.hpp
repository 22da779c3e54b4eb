// WorkerPool: runs the parts of one operation on several threads.
//
// The CPU backend splits an operation into parts by its shape alone, never by the thread count,
// and each part writes its own block of the output. Who runs a part therefore does not change any
// bit of the result. The pool gives each thread the same contiguous range of parts every time,
// so a thread finds the data of its parts in its own cache from the step before. A thread done
// with its range takes the parts that another has not started.
//
// A training step issues its operations a few microseconds apart, which is shorter than waking
// a sleeping thread takes. Workers therefore spin for kSpin after each part before they sleep.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "protean/tensor.hpp"

namespace protean::detail {

class WorkerPool {
 public:
  WorkerPool() = default;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();

  // Calls task(p) for every p in [0, parts) on up to `threads` threads, the calling thread
  // included, and returns when all have returned. The task must not throw. A call made while
  // another thread's call is in flight runs its parts on the calling thread alone.
  template <typename Task>
  void run(int threads, int parts, Task&& task) {
    using Callable = std::remove_reference_t<Task>;
    run_erased(threads, parts, [](void* context, int part) { (*static_cast<Callable*>(context))(part); },
               const_cast<void*>(static_cast<const void*>(&task)));
  }

 private:
  using Call = void (*)(void* context, int part);
  static constexpr std::chrono::microseconds kSpin{200};

  // One per worker thread. The caller asks a worker to join run number g by storing g in
  // `ticket`, and the worker joins by setting kTaken on it. Once the caller has run out of parts,
  // it withdraws a ticket that no worker took by setting kWithdrawn. So it waits only for
  // workers that took their ticket, not for one that is still asleep.
  static constexpr std::uint64_t kTaken = std::uint64_t{1} << 62;
  static constexpr std::uint64_t kWithdrawn = std::uint64_t{1} << 63;
  struct Worker {
    std::atomic<std::uint64_t> ticket{0};
    std::atomic<std::uint64_t> finished{0};
    // The next part of this worker's slot to take, on a cache line of its own.
    alignas(64) std::atomic<int> next_part{0};
    std::thread thread;
  };

  void run_erased(int threads, int parts, Call call, void* context);
  void work_on_parts(int slot);
  std::atomic<int>& next_part(int slot);
  int first_part(int slot) const;
  void worker_loop(Worker& self, int slot);

  std::mutex busy_;  // held by the call in flight
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> stopping_{false};
  // The run in flight, written before any ticket is handed out. A worker reads it only after
  // taking its ticket. The caller waits for every taken ticket to finish before it returns.
  Call call_ = nullptr;
  void* context_ = nullptr;
  unsigned float_control_ = 0;  // the caller's floating-point control state (float_mode.hpp)
  int parts_ = 0;
  int slots_ = 1;  // threads sharing the run in flight: the caller and the workers asked to join
  alignas(64) std::atomic<int> callers_next_part_{0};
  std::uint64_t generation_ = 0;
};

// While alive, every WorkerPool::run() call on the creating thread runs all its parts on that
// thread. Which thread runs a part changes no result, so this changes speed only.
class SerialScope {
 public:
  SerialScope();
  ~SerialScope();
  SerialScope(const SerialScope&) = delete;
  SerialScope& operator=(const SerialScope&) = delete;

 private:
  bool saved_;
};

// The pool the CPU backend, the optimizers and the trainer use.
WorkerPool& worker_pool();

// Cuts [0, count) into equal blocks of at least `grain` items, at most kMaxBlocks of them, and
// runs body(begin, end) for each on up to `threads` threads of worker_pool(). The cut depends on
// `count` and `grain` alone.
inline constexpr int kMaxBlocks = 8;
template <typename Body>
void run_in_blocks(int threads, Index count, Index grain, Body&& body) {
  if (count <= 0) return;
  const Index blocks = std::clamp<Index>(count / std::max<Index>(grain, 1), 1, kMaxBlocks);
  const Index size = (count + blocks - 1) / blocks;
  worker_pool().run(threads, static_cast<int>(blocks), [&](int block) {
    const Index begin = block * size;
    const Index end = std::min(count, begin + size);
    if (begin < end) body(begin, end);
  });
}

}  // namespace protean::detail
