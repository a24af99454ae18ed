// Internal to storage/: conversions between the API value types (storage/types.h) and the
// on-disk records (storage/records.proto). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "storage/records.pb.h"
#include "storage/types.h"

namespace cohort::storage::internal {

// The merge operand one valid event contributes to "aggregates": one lifetime cell and one
// day bucket with one cell, keyed by (type, channel, category).
records::Aggregates AggregatesOfEvent(const Event& event);

// The history item of one valid event.
records::HistoryItem HistoryItemOfEvent(const Event& event);

// The stored version of one valid attribute, accepted at `written_us`.
records::StoredAttribute StoredOf(const Attribute& attribute, int64_t written_us);

// The API attribute named `name` from a stored version.
Attribute AttributeOf(const std::string& name, const records::StoredAttribute& stored);

// The interaction of a history item.
Interaction InteractionOf(const records::HistoryItem& item);

// Fills first/last seen, channels, lifetime per type, purchase categories and the daily
// buckets (oldest first) of `profile` from `aggregates`.
void FillFromAggregates(const records::Aggregates& aggregates, Profile* profile);

// Appends the newest version of every attribute (by name) to profile->attributes.
void FillFromAttributes(const records::AttributeSet& attributes, Profile* profile);

// The event type whose cells Profile::categories totals.
inline constexpr char kPurchaseType[] = "purchase";

}  // namespace cohort::storage::internal
