// Event-time helpers shared by storage, services and tools.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cohort {

inline constexpr int64_t kSecondsPerDay = 86400;

// Days since 1970-01-01 UTC of `t`, rounded down (negative before the epoch).
int32_t DayOf(absl::Time t);
// The UTC midnight that starts `day`.
absl::Time StartOfDay(int32_t day);
// The first day a point-in-time read at `as_of` does NOT see: as_of rounded up to a UTC
// midnight (kept if it is one). See GetFeaturesRequest.as_of in the API.
int32_t ExclusiveEndDay(absl::Time as_of);

// Parses an event time as written in the canonical CSV: RFC 3339 (e.g.
// "2026-03-01T12:30:00Z", offsets and fractional seconds allowed) or integer Unix seconds.
// Errors: INVALID_ARGUMENT naming the text.
absl::StatusOr<absl::Time> ParseEventTime(absl::string_view text);

// RFC 3339 UTC with seconds precision, e.g. "2026-03-01T12:30:00Z".
std::string FormatRfc3339(absl::Time t);

}  // namespace cohort
