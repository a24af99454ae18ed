#include "bench/driver.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace cohort::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct WorkerState {
  Histogram latency;
  uint64_t ops = 0;
  uint64_t errors = 0;
  Clock::time_point last_done{};
  std::string first_error;
  absl::Status setup;
};

void Account(WorkerState& state, const absl::Status& status, Clock::time_point from,
             Clock::time_point done) {
  if (status.ok()) {
    state.latency.Record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(done - from).count()));
    ++state.ops;
  } else {
    if (state.errors == 0) state.first_error = status.ToString();
    ++state.errors;
  }
  state.last_done = std::max(state.last_done, done);
}

}  // namespace

absl::StatusOr<RunResult> RunLoad(const DriverOptions& options, const OpFactory& factory) {
  if (options.concurrency < 1) {
    return absl::InvalidArgumentError("concurrency must be at least 1");
  }
  if (options.mode == LoopMode::kOpen && !(options.rate > 0)) {
    return absl::InvalidArgumentError("open loop needs a rate > 0 requests per second");
  }
  if (options.duration <= absl::ZeroDuration() || options.warmup < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("duration must be > 0 and warmup >= 0");
  }
  const int n = options.concurrency;
  std::vector<WorkerState> states(n);
  std::atomic<bool> setup_failed{false};
  // Workers set up, then wait until the main thread fixes the start time.
  std::mutex start_mu;
  std::condition_variable start_cv;
  int ready = 0;
  bool started = false;
  Clock::time_point start, measure_from, end;
  const auto warmup = absl::ToChronoNanoseconds(options.warmup);
  const auto duration = absl::ToChronoNanoseconds(options.duration);

  auto work = [&](int index) {
    WorkerState& state = states[index];
    absl::StatusOr<Op> op = factory(index);
    if (!op.ok()) {
      state.setup = op.status();
      setup_failed = true;
    }
    {
      std::unique_lock lock(start_mu);
      ++ready;
      start_cv.notify_all();
      start_cv.wait(lock, [&] { return started; });
    }
    if (setup_failed) return;
    if (options.mode == LoopMode::kClosed) {
      for (;;) {
        const Clock::time_point sent = Clock::now();
        if (sent >= end) break;
        const absl::Status status = (*op)();
        const Clock::time_point done = Clock::now();
        if (sent >= measure_from) Account(state, status, sent, done);
      }
      return;
    }
    // Open loop: request k is due at start + k / rate; worker i serves k = i, i + n, ...
    const double interval_ns = 1e9 / options.rate;
    for (uint64_t k = index;; k += n) {
      const Clock::time_point due =
          start +
          std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(k) * interval_ns));
      if (due >= end) break;
      std::this_thread::sleep_until(due);
      const absl::Status status = (*op)();
      const Clock::time_point done = Clock::now();
      if (due >= measure_from) Account(state, status, due, done);
    }
  };

  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) threads.emplace_back(work, i);
  {
    std::unique_lock lock(start_mu);
    start_cv.wait(lock, [&] { return ready == n; });
    start = Clock::now();
    measure_from = start + warmup;
    end = measure_from + duration;
    started = true;
  }
  start_cv.notify_all();
  for (auto& t : threads) t.join();

  for (const WorkerState& state : states) {
    if (!state.setup.ok()) return state.setup;
  }
  RunResult result;
  Clock::time_point last = end;
  for (const WorkerState& state : states) {
    result.latency.Merge(state.latency);
    result.ops += state.ops;
    result.errors += state.errors;
    if (result.first_error.empty()) result.first_error = state.first_error;
    last = std::max(last, state.last_done);
  }
  result.seconds = std::chrono::duration<double>(last - measure_from).count();
  return result;
}

}  // namespace cohort::bench
