// ThreadPool: workers spin for a short while after each job (a decode step issues hundreds of small matmuls, and
// waking a sleeping thread costs tens of microseconds), then sleep on a condition variable.
#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
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

struct ThreadPool::State {
  std::mutex run_mutex;  // one run() at a time
  std::mutex mutex;      // guards sleeping on `wake`
  std::condition_variable wake;
  std::atomic<unsigned> generation{0};
  std::atomic<int> next_task{0};
  std::atomic<int> finished{0};
  void (*fn)(void*, int) = nullptr;
  void* ctx = nullptr;
  int num_tasks = 0;

  void work() {
    for (int t = next_task.fetch_add(1, std::memory_order_relaxed); t < num_tasks;
         t = next_task.fetch_add(1, std::memory_order_relaxed)) {
      fn(ctx, t);
    }
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
  unsigned seen = 0;
  for (;;) {
    auto spin_until = std::chrono::steady_clock::now() + SPIN_TIME;
    unsigned gen;
    for (int i = 0;; ++i) {
      gen = s.generation.load(std::memory_order_acquire);
      if (gen != seen) break;
      VMLX_CPU_RELAX();
      if ((i & 63) == 63 && std::chrono::steady_clock::now() > spin_until) {
        std::unique_lock<std::mutex> lock(s.mutex);
        s.wake.wait(lock, [&] { return s.generation.load(std::memory_order_acquire) != seen; });
      }
    }
    seen = gen;
    s.work();
    s.finished.fetch_add(1, std::memory_order_acq_rel);
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
  s.finished.store(0, std::memory_order_relaxed);
  {
    // Under the mutex, so that a worker between its check and its wait cannot miss the wake-up.
    std::lock_guard<std::mutex> lock(s.mutex);
    s.generation.fetch_add(1, std::memory_order_release);
  }
  s.wake.notify_all();
  s.work();
  // Every worker joins each job (possibly finding no task left), so the job's fields stay untouched until all
  // have finished with it.
  while (s.finished.load(std::memory_order_acquire) < num_workers_) VMLX_CPU_RELAX();
}

}  // namespace vmlx
