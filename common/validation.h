// Field checks shared by every edge that takes input (gRPC services, CSV import).
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cohort {

inline constexpr size_t kMaxIdBytes = 128;

// OK if `value` is 1..128 bytes of valid UTF-8 without control characters (so it can be
// stored in keys, CSV and logs unescaped). Else INVALID_ARGUMENT naming `field`.
absl::Status ValidateId(absl::string_view value, absl::string_view field);

// OK if `value` is 0..`max_bytes` of valid UTF-8 without control characters.
absl::Status ValidateLabel(absl::string_view value, absl::string_view field, size_t max_bytes);

// True if `value` is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool IsValidUtf8(absl::string_view value);

}  // namespace cohort
