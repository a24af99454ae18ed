#include "services/featurestore/store_metrics.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace cohort::featurestore {
namespace {

// The `reason` label values (docs/metrics.md); "other" last.
constexpr std::array<absl::string_view, 10> kReasons = {
    "customer_id", "event_id", "time",     "type",   "channel",
    "item_id",     "category", "quantity", "amount", "other"};
constexpr size_t kOtherReason = kReasons.size() - 1;

// docs/metrics.md: 1 s … 30 d.
prometheus::Histogram::BucketBoundaries LagBuckets() {
  return {1,     5,     15,    30,    60,     300,    900,     1800,   3600,
          10800, 21600, 43200, 86400, 259200, 604800, 1209600, 2592000};
}

size_t ReasonIndex(absl::string_view reason) {
  // The edge prefixes the event's position ("events[3].time is missing").
  if (absl::ConsumePrefix(&reason, "events[")) {
    const size_t close = reason.find("].");
    if (close == absl::string_view::npos) return kOtherReason;
    reason.remove_prefix(close + 2);
  }
  size_t n = 0;
  while (n < reason.size() && (absl::ascii_islower(reason[n]) || reason[n] == '_')) ++n;
  const absl::string_view field = reason.substr(0, n);
  for (size_t i = 0; i < kOtherReason; ++i) {
    if (kReasons[i] == field) return i;
  }
  return kOtherReason;
}

}  // namespace

absl::string_view RejectionReasonLabel(absl::string_view reason) {
  return kReasons[ReasonIndex(reason)];
}

StoreMetrics::StoreMetrics(prometheus::Registry& registry) {
  static_assert(std::tuple_size_v<decltype(rejected_by_reason_)> == kReasons.size());
  auto& events = prometheus::BuildCounter()
                     .Name("cohort_store_ingest_events_total")
                     .Help("Ingested events by outcome: applied, duplicate or rejected.")
                     .Register(registry);
  applied_ = &events.Add({{"result", "applied"}});
  duplicate_ = &events.Add({{"result", "duplicate"}});
  rejected_ = &events.Add({{"result", "rejected"}});
  auto& reasons = prometheus::BuildCounter()
                      .Name("cohort_store_ingest_rejected_total")
                      .Help("Rejected events by the field that made them invalid.")
                      .Register(registry);
  for (size_t i = 0; i < kReasons.size(); ++i) {
    rejected_by_reason_[i] = &reasons.Add({{"reason", std::string(kReasons[i])}});
  }
  lag_ = &prometheus::BuildHistogram()
              .Name("cohort_store_event_lag_seconds")
              .Help("Ingest wall time minus event time of applied events (freshness).")
              .Register(registry)
              .Add({}, LagBuckets());
  auto& values = prometheus::BuildCounter()
                     .Name("cohort_store_feature_values_total")
                     .Help("Feature values served by GetFeatures, by status.")
                     .Register(registry);
  feature_values_[static_cast<size_t>(storage::FeatureStatus::kPresent)] =
      &values.Add({{"status", "present"}});
  feature_values_[static_cast<size_t>(storage::FeatureStatus::kNotFound)] =
      &values.Add({{"status", "not_found"}});
  feature_values_[static_cast<size_t>(storage::FeatureStatus::kDefaulted)] =
      &values.Add({{"status", "defaulted"}});
  feature_values_[static_cast<size_t>(storage::FeatureStatus::kStale)] =
      &values.Add({{"status", "stale"}});
  auto& compactions = prometheus::BuildCounter()
                          .Name("cohort_store_compactions_total")
                          .Help("Full compactions of the store completed, by what started them.")
                          .Register(registry);
  compactions_rpc_ = &compactions.Add({{"trigger", "rpc"}});
  compactions_auto_ = &compactions.Add({{"trigger", "auto"}});
}

void StoreMetrics::RecordCompaction(bool automatic) const {
  (automatic ? compactions_auto_ : compactions_rpc_)->Increment();
}

void StoreMetrics::RecordIngest(const v1::IngestResponse& response,
                                absl::Span<const storage::Event> events,
                                absl::Span<const storage::IngestResult> stored,
                                absl::Time now) const {
  for (const v1::EventResult& result : response.results()) {
    if (result.outcome() == v1::EventResult::OUTCOME_REJECTED) {
      rejected_by_reason_[ReasonIndex(result.reason())]->Increment();
    }
  }
  if (response.applied() > 0) applied_->Increment(response.applied());
  if (response.duplicates() > 0) duplicate_->Increment(response.duplicates());
  if (response.rejected() > 0) rejected_->Increment(response.rejected());
  const size_t n = std::min(events.size(), stored.size());
  for (size_t k = 0; k < n; ++k) {
    if (stored[k].outcome != storage::IngestOutcome::kApplied) continue;
    lag_->Observe(std::max(0.0, absl::ToDoubleSeconds(now - events[k].time)));
  }
}

void StoreMetrics::RecordFeatureValues(absl::Span<const storage::FeatureVector> vectors) const {
  std::array<uint64_t, 4> counts{};
  for (const storage::FeatureVector& vector : vectors) {
    for (const storage::FeatureValue& value : vector.values) {
      const auto status = static_cast<size_t>(value.status);
      if (status < counts.size()) ++counts[status];
    }
  }
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] > 0) feature_values_[i]->Increment(static_cast<double>(counts[i]));
  }
}

}  // namespace cohort::featurestore
