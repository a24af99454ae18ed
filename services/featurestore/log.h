// Minimal operational logging for the store node: one timestamped line per event on stderr.
// Only start/stop/shard-map events are logged; requests are not.
#pragma once

#include "absl/strings/string_view.h"

namespace cohort::featurestore {

// Writes "<RFC 3339 time with ms> cohort-store: <message>\n" to stderr in one write, so
// lines from concurrent threads do not interleave. Thread-safe.
void LogLine(absl::string_view message);

}  // namespace cohort::featurestore
