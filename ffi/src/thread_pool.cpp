// ThreadPool: workers spin for a short while after each job (a decode step issues hundreds of small matmuls, and
// waking a sleeping thread costs tens of microseconds), then sleep on a condition variable.
#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define VMLX_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define VMLX_CPU_RELAX() asm volatile("yield")
#else
#define VMLX_CPU_RELAX() ((void)0)
#endif

namespace vmlx {

namespace {
constexpr auto SPIN_TIME = std::chrono::microseconds(300);

int pool_threads() {
  if (const char* env = std::getenv("VMLX_CPU_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return std::min(n, 256);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}
}  // namespace

// `phase`: the job's generation in the high 32 bits (odd while a job is open) and the number of workers inside it
// in the low 32 bits. A worker enters only an open job it has not seen, by a CAS that keeps the generation, so the
// caller can close the job (and reuse its fields) once all tasks are done and no worker is inside; a worker that
// sleeps or is descheduled through a whole job never delays it.
struct ThreadPool::State {
  std::mutex run_mutex;  // one run() at a time
  std::mutex mutex;      // guards sleeping on `wake`
  std::condition_variable wake;
  std::atomic<uint64_t> phase{0};
  std::atomic<int> next_task{0};
  std::atomic<int> done_tasks{0};
  void (*fn)(void*, int) = nullptr;
  void* ctx = nullptr;
  int num_tasks = 0;

  static uint32_t generation(uint64_t p) { return static_cast<uint32_t>(p >> 32); }
  static bool open(uint64_t p) { return generation(p) & 1u; }

  void work() {
    for (int t = next_task.fetch_add(1, std::memory_order_relaxed); t < num_tasks;
         t = next_task.fetch_add(1, std::memory_order_relaxed)) {
      fn(ctx, t);
      done_tasks.fetch_add(1, std::memory_order_release);
    }
  }

  // Enters the open job that `seen` does not name; false when there is none (or it closed meanwhile).
  bool try_enter(uint32_t& seen) {
    uint64_t p = phase.load(std::memory_order_acquire);
    while (open(p) && generation(p) != seen) {
      if (phase.compare_exchange_weak(p, p + 1, std::memory_order_acq_rel)) {
        seen = generation(p);
        return true;
      }
    }
    return false;
  }

  bool has_new_job(uint32_t seen) const {
    uint64_t p = phase.load(std::memory_order_acquire);
    return open(p) && generation(p) != seen;
  }
};

ThreadPool& ThreadPool::instance() {
  static ThreadPool* pool = new ThreadPool(pool_threads() - 1);  // never destroyed: workers outlive exit handlers
  return *pool;
}

ThreadPool::ThreadPool(int num_workers) : state_(new State), num_workers_(num_workers) {
  for (int i = 0; i < num_workers_; ++i) std::thread([this] { worker_loop(); }).detach();
}

void ThreadPool::worker_loop() {
  State& s = *state_;
  uint32_t seen = 0;
  for (;;) {
    auto spin_until = std::chrono::steady_clock::now() + SPIN_TIME;
    for (int i = 0; !s.try_enter(seen); ++i) {
      VMLX_CPU_RELAX();
      if ((i & 63) == 63 && std::chrono::steady_clock::now() > spin_until) {
        std::unique_lock<std::mutex> lock(s.mutex);
        s.wake.wait(lock, [&] { return s.has_new_job(seen); });
      }
    }
    s.work();
    s.phase.fetch_sub(1, std::memory_order_acq_rel);  // leave
  }
}

void ThreadPool::run(int num_tasks, void (*fn)(void* ctx, int task), void* ctx) {
  State& s = *state_;
  std::unique_lock<std::mutex> busy(s.run_mutex, std::try_to_lock);
  if (num_workers_ == 0 || num_tasks <= 1 || !busy.owns_lock()) {
    for (int t = 0; t < num_tasks; ++t) fn(ctx, t);
    return;
  }
  s.fn = fn;
  s.ctx = ctx;
  s.num_tasks = num_tasks;
  s.next_task.store(0, std::memory_order_relaxed);
  s.done_tasks.store(0, std::memory_order_relaxed);
  {
    // Under the mutex, so that a worker between its check and its wait cannot miss the wake-up.
    std::lock_guard<std::mutex> lock(s.mutex);
    uint64_t closed = s.phase.load(std::memory_order_relaxed);
    s.phase.store((static_cast<uint64_t>(State::generation(closed) + 1)) << 32, std::memory_order_release);
  }
  s.wake.notify_all();
  s.work();
  while (s.done_tasks.load(std::memory_order_acquire) < num_tasks) VMLX_CPU_RELAX();
  // Close the job once no worker is inside (those still inside find no task left and leave at once).
  for (;;) {
    uint64_t p = s.phase.load(std::memory_order_acquire);
    if ((p & 0xFFFFFFFFu) == 0 &&
        s.phase.compare_exchange_weak(p, static_cast<uint64_t>(State::generation(p) + 1) << 32,
                                      std::memory_order_acq_rel)) {
      break;
    }
    VMLX_CPU_RELAX();
  }
}

}  // namespace vmlx
