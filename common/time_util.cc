#include "common/time_util.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cohort {

int32_t DayOf(absl::Time t) {
  int64_t secs = absl::ToUnixSeconds(t);  // rounds toward negative infinity
  int64_t day = secs / kSecondsPerDay;
  if (secs % kSecondsPerDay < 0) --day;
  return static_cast<int32_t>(day);
}

absl::Time StartOfDay(int32_t day) {
  return absl::FromUnixSeconds(static_cast<int64_t>(day) * kSecondsPerDay);
}

int32_t ExclusiveEndDay(absl::Time as_of) {
  int32_t day = DayOf(as_of);
  return StartOfDay(day) == as_of ? day : day + 1;
}

absl::StatusOr<absl::Time> ParseEventTime(absl::string_view text) {
  int64_t secs = 0;
  if (absl::SimpleAtoi(text, &secs)) return absl::FromUnixSeconds(secs);
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &err)) return t;
  return absl::InvalidArgumentError(
      absl::StrCat("time '", text, "' is neither RFC 3339 nor integer Unix seconds: ", err));
}

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace cohort
