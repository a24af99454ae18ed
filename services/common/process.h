// Process plumbing every Cohort server binary shares: termination signals, port files and
// one-line stderr logging.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cohort {

// Blocks SIGTERM and SIGINT in the calling thread and every thread it creates afterwards,
// so WaitForTerminationSignal() can take them. Call first thing in main().
void BlockTerminationSignals();
// Waits for SIGTERM or SIGINT (blocked by BlockTerminationSignals) and returns it.
int WaitForTerminationSignal();

// Turns off Abseil's mutex deadlock detection for this process. Debian's Abseil is built
// without NDEBUG, so by default every absl::Mutex acquired while another is held updates a
// global lock graph (~5% of a store node's CPU at GetFeatures batch 1, bench/). The
// binaries that serve or generate load call this first thing in main(); tests keep the
// detection, which catches lock-order inversions.
void DisableMutexDeadlockDetection();

// Writes `contents` to `path` atomically: a temporary file in the same directory, then
// rename. Errors (INTERNAL) name the path.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents);

// Writes "<RFC 3339 time with ms> <component>: <message>\n" to stderr in one write, so lines
// from concurrent threads do not interleave. Thread-safe.
void LogLine(absl::string_view component, absl::string_view message);

}  // namespace cohort
