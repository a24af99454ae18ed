// Internal to storage/: validation of what callers hand the profile store. Every error is
// INVALID_ARGUMENT and its message names the field and says what is wrong.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/types.h"

namespace cohort::storage::internal {

// Label limits of events (bytes).
inline constexpr size_t kMaxTypeBytes = 64;
inline constexpr size_t kMaxChannelBytes = 64;
inline constexpr size_t kMaxCategoryBytes = 64;
inline constexpr size_t kMaxItemIdBytes = 128;
// Limits of event and attribute values.
inline constexpr double kMaxAbsAmount = 1e12;
inline constexpr int64_t kMaxQuantity = 1000000000;  // exclusive
inline constexpr size_t kMaxAttributeNameBytes = 64;
inline constexpr size_t kMaxAttributeSourceBytes = 64;
inline constexpr size_t kMaxAttributeStringBytes = 65536;
// How far after the node's clock an event or attribute time may lie (clock skew).
inline constexpr absl::Duration kMaxFutureSkew = absl::Hours(24);

// Checks one event for ingest at wall-clock `now`: event_id and customer_id (ValidateId),
// type (1..64 bytes), channel and category (0..64), item_id (0..128), time within
// [now - retention_days, now + 1 day], amount finite with |amount| < 1e12, quantity in
// [0, 1e9). The message (the ingest "reason") starts with the field name.
absl::Status CheckEvent(const Event& event, absl::Time now, int32_t retention_days);

// Checks one attribute; `field` prefixes the message (e.g. "customers[0].attributes[2]"):
// name [a-z0-9_]{1,64}, source 0..64 bytes, event_time in [1970-01-01, now + 1 day],
// doubles finite, strings valid UTF-8 of at most 64 KiB, timestamps finite.
absl::Status CheckAttribute(const Attribute& attribute, absl::Time now, absl::string_view field);

// Checks a read time: within [now - retention_days, now + 1 day].
absl::Status CheckAsOf(absl::Time as_of, absl::Time now, int32_t retention_days);

}  // namespace cohort::storage::internal
