// Load drivers: closed loop (N workers, each sends its next request when the previous one
// completes) and open loop (requests are due at a fixed total rate; N workers serve the
// schedule and every latency is measured from the request's INTENDED send time, so a
// stalled server is charged for the requests it delayed — no coordinated omission).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/histogram.h"

namespace cohort::bench {

enum class LoopMode { kClosed, kOpen };

struct DriverOptions {
  LoopMode mode = LoopMode::kClosed;
  int concurrency = 1;                       // worker threads (requests in flight at most)
  double rate = 1000;                        // open loop: requests per second, all workers
  absl::Duration warmup = absl::Seconds(1);  // run but not measured
  absl::Duration duration = absl::Seconds(5);
};

struct RunResult {
  Histogram latency;        // nanoseconds, successful measured requests
  uint64_t ops = 0;         // successful measured requests
  uint64_t errors = 0;      // failed measured requests
  double seconds = 0;       // measured window (until the last measured request completed)
  std::string first_error;  // message of the first failure, if any
};

// One request; returns its outcome. Called by one worker thread only.
using Op = std::function<absl::Status()>;
// Creates worker `index`'s Op (its own connection, random generator...). Called on the
// worker's thread before the run starts.
using OpFactory = std::function<absl::StatusOr<Op>(int index)>;

// Runs the load. Errors: INVALID_ARGUMENT for bad options; the first factory error.
// Request failures do not stop the run: they are counted in RunResult::errors.
absl::StatusOr<RunResult> RunLoad(const DriverOptions& options, const OpFactory& factory);

}  // namespace cohort::bench
