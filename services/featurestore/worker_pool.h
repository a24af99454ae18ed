// A fixed pool of threads that runs blocking work (RocksDB calls, fsync) off gRPC's
// callback threads, which must not block.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace cohort::featurestore {

class WorkerPool {
 public:
  // Starts `threads` (>= 1) threads. At most `max_queued` tasks wait for a thread.
  WorkerPool(size_t threads, size_t max_queued);
  // Runs every task already queued, then joins the threads.
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task` to run on a pool thread. Returns false (and drops the task) if the queue
  // is full or the pool is shutting down. Thread-safe.
  bool TrySubmit(std::function<void()> task);

  // Stops taking tasks, runs every task already queued and joins the threads. Idempotent;
  // must not be called from a pool thread.
  void Shutdown();

 private:
  void Run();
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_queued_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace cohort::featurestore
