#include "kernels/worker_pool.hpp"

#include <algorithm>
#include <exception>

#include "kernels/float_mode.hpp"

namespace protean::detail {

namespace {

// True on a thread inside run() or a SerialScope: its run() calls then run every part themselves.
thread_local bool in_run = false;

// Tells the core that this thread is spinning, which frees issue slots for the other thread
// on the core and saves power.
void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

SerialScope::SerialScope() : saved_(in_run) { in_run = true; }

SerialScope::~SerialScope() { in_run = saved_; }

WorkerPool::~WorkerPool() {
  stopping_.store(true);
  for (auto& worker : workers_) {
    worker->ticket.fetch_add(1);
    worker->ticket.notify_one();
  }
  for (auto& worker : workers_) worker->thread.join();
}

std::atomic<int>& WorkerPool::next_part(int slot) { return slot == 0 ? callers_next_part_ : workers_[slot - 1]->next_part; }

int WorkerPool::first_part(int slot) const {
  return static_cast<int>(static_cast<long long>(parts_) * slot / slots_);
}

void WorkerPool::work_on_parts(int slot) {
  // Slot s of n owns parts [parts·s/n, parts·(s+1)/n) and runs them first. These are the same
  // parts each time an operation of the same shape comes round. The data a thread wrote for a
  // part in one step (Adam's moments, a block of activations) is so in its own cache in the next.
  // Then it takes what the other slots have not started, so a late or slow thread delays no one.
  for (int offset = 0; offset < slots_; ++offset) {
    const int owner = (slot + offset) % slots_;
    const int last = first_part(owner + 1);
    std::atomic<int>& next = next_part(owner);
    for (int part = next.fetch_add(1, std::memory_order_relaxed); part < last;
         part = next.fetch_add(1, std::memory_order_relaxed)) {
      call_(context_, part);
    }
  }
}

void WorkerPool::worker_loop(Worker& self, int slot) {
  std::uint64_t seen = 0;
  const auto run_number = [](std::uint64_t ticket) { return ticket & ~(kTaken | kWithdrawn); };
  for (;;) {
    // The clock is read once every 64 polls, so that a poll costs a load and a pause.
    const auto spin_until = std::chrono::steady_clock::now() + kSpin;
    std::uint64_t ticket = self.ticket.load(std::memory_order_acquire);
    for (unsigned polls = 1; run_number(ticket) == seen; ++polls) {
      if (polls % 64 == 0 && std::chrono::steady_clock::now() >= spin_until) break;
      pause();
      ticket = self.ticket.load(std::memory_order_acquire);
    }
    while (run_number(ticket) == seen) {
      self.ticket.wait(ticket, std::memory_order_acquire);
      ticket = self.ticket.load(std::memory_order_acquire);
    }
    if (stopping_.load()) return;
    seen = run_number(ticket);
    // Fails when the caller already withdrew the ticket: the run is over, nothing to do.
    if ((ticket & kWithdrawn) == 0 &&
        self.ticket.compare_exchange_strong(ticket, ticket | kTaken, std::memory_order_acq_rel)) {
      // The caller's rounding and subnormal modes hold for its parts on every thread.
      set_float_control(float_control_);
      work_on_parts(slot);
      self.finished.store(seen, std::memory_order_release);
    }
  }
}

void WorkerPool::run_erased(int threads, int parts, Call call, void* context) {
  const auto run_here = [&] {
    for (int part = 0; part < parts; ++part) call(context, part);
  };
  // A part that calls run() again, as the trainer's shards of a batch do through the backend,
  // runs that call's parts itself: every thread of the pool is already at work.
  if (threads <= 1 || parts <= 1 || in_run) return run_here();
  std::unique_lock<std::mutex> lock(busy_, std::try_to_lock);
  if (!lock.owns_lock()) return run_here();
  in_run = true;
  struct Leave {
    bool& flag;
    ~Leave() { flag = false; }
  } leave{in_run};
  const int requested = std::min(threads, parts) - 1;
  try {
    while (static_cast<int>(workers_.size()) < requested) {
      auto worker = std::make_unique<Worker>();
      Worker& self = *worker;
      const int slot = static_cast<int>(workers_.size()) + 1;
      worker->thread = std::thread([this, &self, slot] { worker_loop(self, slot); });
      workers_.push_back(std::move(worker));
    }
  } catch (const std::exception&) {
    // No more threads to be had: the workers that exist share the parts.
  }
  const int helpers = std::min(requested, static_cast<int>(workers_.size()));

  call_ = call;
  context_ = context;
  float_control_ = float_control();
  parts_ = parts;
  slots_ = helpers + 1;
  for (int slot = 0; slot < slots_; ++slot) next_part(slot).store(first_part(slot), std::memory_order_relaxed);
  ++generation_;
  for (int w = 0; w < helpers; ++w) {
    workers_[w]->ticket.store(generation_, std::memory_order_release);
    workers_[w]->ticket.notify_one();
  }
  work_on_parts(0);

  for (int w = 0; w < helpers; ++w) {
    Worker& worker = *workers_[w];
    std::uint64_t untaken = generation_;
    // Every part has been taken by now. A worker that has not woken up yet is not waited for.
    if (worker.ticket.compare_exchange_strong(untaken, generation_ | kWithdrawn, std::memory_order_acq_rel)) continue;
    // The worker took its ticket and is on its last part. Should it have been descheduled,
    // yielding lets it finish on this core.
    for (int spins = 0; worker.finished.load(std::memory_order_acquire) != generation_; ++spins) {
      if (spins < 4096) {
        pause();
      } else {
        std::this_thread::yield();
      }
    }
  }
}

WorkerPool& worker_pool() {
  static WorkerPool pool;
  return pool;
}

}  // namespace protean::detail
