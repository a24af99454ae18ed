// Plain value types of the profile store's public API. No RocksDB, no protobuf, no gRPC:
// services/ converts between these and the wire messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"

namespace cohort::storage {

// One interaction of a customer. Times are UTC; quantity 0 and amount 0 mean "not given".
struct Event {
  std::string event_id;
  std::string customer_id;
  absl::Time time;
  std::string type;
  std::string channel;
  std::string item_id;
  std::string category;
  int64_t quantity = 0;
  double amount = 0;
};

enum class Durability {
  kSync,   // fsync the WAL before returning (group commit shares fsyncs): loses nothing acked
  kAsync,  // WAL written to the OS before returning: survives kill -9, not a power loss
};

enum class IngestOutcome { kApplied, kDuplicate, kRejected };

struct IngestResult {
  IngestOutcome outcome = IngestOutcome::kRejected;
  std::string reason;  // set for kRejected: which field and why
};

using AttributeValue = std::variant<std::string, int64_t, double, bool, absl::Time>;

struct Attribute {
  std::string name;  // [a-z0-9_]{1,64}
  AttributeValue value;
  std::string source;
  absl::Time event_time;  // orders writers: last writer by event time wins
};

struct CustomerAttributes {
  std::string customer_id;
  std::vector<Attribute> attributes;
};

enum class FeatureType { kDouble, kInt64, kString, kBool };
enum class FeatureStatus { kPresent, kNotFound, kDefaulted, kStale };

using FeatureScalar = std::variant<double, int64_t, std::string, bool>;

struct FeatureValue {
  FeatureScalar value;
  FeatureStatus status = FeatureStatus::kNotFound;
};

struct Interaction {
  std::string event_id;
  absl::Time time;
  std::string type, channel, item_id, category;
  int64_t quantity = 0;
  double amount = 0;
};

struct FeatureVector {
  bool found = false;                // false: unknown customer as of the read time
  std::vector<FeatureValue> values;  // in the order of the FeatureSelection
  std::vector<Interaction> history;  // newest first; only when asked for (GetFeatures)
};

// Totals of one event type (or, in Profile::categories, one category of purchases).
struct TypeTotal {
  std::string key;
  int64_t count = 0;
  int64_t quantity = 0;
  double amount = 0;
};

struct DailyAggregate {
  int32_t day = 0;  // days since 1970-01-01 UTC
  std::string type, channel, category;
  int64_t count = 0;
  int64_t quantity = 0;
  double amount = 0;
};

struct Profile {
  std::string customer_id;
  uint32_t partition = 0;
  std::vector<Attribute> attributes;                // current value of each attribute, by name
  std::optional<absl::Time> first_seen, last_seen;  // unset when no event was ingested
  std::vector<std::string> channels;                // sorted
  std::vector<TypeTotal> lifetime;                  // per event type, sorted by type
  std::vector<TypeTotal> categories;                // purchases per category, sorted
  std::vector<DailyAggregate> daily;                // retained buckets, oldest first
};

}  // namespace cohort::storage
