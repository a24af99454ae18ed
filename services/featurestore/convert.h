// Conversions between the cohort.v1 wire messages and the storage value types
// (storage/types.h), including timestamps. Pure functions; thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cohort/v1/feature_store.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "storage/feature_registry.h"
#include "storage/types.h"

namespace cohort::featurestore {

// A well-formed Timestamp (seconds within 0001-01-01..9999-12-31, nanos in [0, 1e9)) as
// absl::Time. Else INVALID_ARGUMENT naming `field`.
absl::StatusOr<absl::Time> FromProto(const google::protobuf::Timestamp& ts,
                                     absl::string_view field);
void ToProto(absl::Time t, google::protobuf::Timestamp* ts);

// The request's durability, with UNSPECIFIED meaning `node_default`. INVALID_ARGUMENT for
// a value the API does not define.
absl::StatusOr<storage::Durability> FromProto(v1::Durability durability,
                                              storage::Durability node_default);
// "sync" or "async".
absl::string_view DurabilityName(storage::Durability durability);

// An event for storage. Only checks what storage::Event cannot express (the time is
// required and well-formed); storage validates the rest. Errors: INVALID_ARGUMENT whose
// message names `field` (e.g. "events[3].time").
absl::StatusOr<storage::Event> FromProto(const v1::Event& event, absl::string_view field);
v1::EventResult::Outcome ToProto(storage::IngestOutcome outcome);

// Attributes for storage: every value and event_time must be set and well-formed. Errors:
// INVALID_ARGUMENT naming the field (e.g. "customers[2].attributes[0].event_time").
// Names, ids and sizes are checked by storage.
absl::StatusOr<storage::CustomerAttributes> FromProto(const v1::CustomerAttributes& customer,
                                                      absl::string_view field);
void ToProto(const storage::Attribute& attribute, v1::Attribute* out);

void ToProto(const storage::FeatureValue& value, v1::FeatureValue* out);
// The values go to `values` (VALUE_LAYOUT_MESSAGES, UNSPECIFIED) or, with
// VALUE_LAYOUT_PACKED, to `statuses` and the array of each value's type, which the
// registry fixes per feature (feature_eval.h).
void ToProto(absl::string_view customer_id, const storage::FeatureVector& vector,
             v1::ValueLayout layout, v1::FeatureVector* out);
void ToProto(const storage::Profile& profile, v1::Profile* out);
void ToProto(const storage::Interaction& interaction, v1::Interaction* out);

// Registry names as the API spells them: "double", "int64", "string", "bool" and
// "attribute", "window", "derived".
absl::string_view FeatureTypeName(storage::FeatureType type);
absl::string_view FeatureSourceName(storage::FeatureSource source);

}  // namespace cohort::featurestore
