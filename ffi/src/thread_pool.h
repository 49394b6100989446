// A small persistent pool of worker threads for CPU kernels that run inside an MLX CPU task.
#pragma once

namespace vmlx {

class ThreadPool {
 public:
  // The process-wide pool: hardware_concurrency() - 1 workers (VMLX_CPU_THREADS overrides the total), started on
  // first use and never stopped.
  static ThreadPool& instance();

  // Threads that take part in run(): the workers and the caller.
  int size() const { return num_workers_ + 1; }

  // Calls fn(ctx, t) once for every t in [0, num_tasks), spread over the workers and the calling thread; returns
  // when all have returned. fn must not throw. A run() that finds the pool busy (another thread's run) does all
  // its tasks on the calling thread.
  void run(int num_tasks, void (*fn)(void* ctx, int task), void* ctx);

 private:
  explicit ThreadPool(int num_workers);
  void worker_loop();
  struct State;
  State* state_;
  int num_workers_;
};

}  // namespace vmlx
