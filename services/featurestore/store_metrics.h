// The counters of the store's request path (docs/metrics.md, "Store"): ingest outcomes and
// rejection reasons, event lag, and the statuses of served feature values. RPC counts and
// latencies come from the gRPC interceptor (services/common/metrics), not from here.
#pragma once

#include <array>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cohort/v1/feature_store.pb.h"
#include "storage/types.h"

namespace prometheus {
class Counter;
class Histogram;
class Registry;
}  // namespace prometheus

namespace cohort::featurestore {

// The `reason` label of cohort_store_ingest_rejected_total for a rejection reason text:
// the field it names first ("customer_id is empty" -> customer_id; "events[3].time is
// missing" -> time), one of customer_id, event_id, time, type, channel, item_id, category,
// quantity, amount; "other" for anything else, so the label stays bounded.
absl::string_view RejectionReasonLabel(absl::string_view reason);

// Thread-safe: every method only increments counters and observes a histogram.
class StoreMetrics {
 public:
  // Registers cohort_store_ingest_events_total, cohort_store_ingest_rejected_total,
  // cohort_store_event_lag_seconds, cohort_store_feature_values_total and
  // cohort_store_compactions_total in `registry`
  // (which must outlive this object and not hold them yet), every label value at 0.
  explicit StoreMetrics(prometheus::Registry& registry);

  StoreMetrics(const StoreMetrics&) = delete;
  StoreMetrics& operator=(const StoreMetrics&) = delete;

  // Counts the outcomes (and rejection reasons) of `response.results()`, and observes
  // `now - event.time` for each applied event: events[k] had result stored[k] (the
  // events that reached storage; the edge's rejections are only in `response`). Lags below
  // zero (event times ahead of the node's clock) count as 0.
  void RecordIngest(const v1::IngestResponse& response, absl::Span<const storage::Event> events,
                    absl::Span<const storage::IngestResult> stored, absl::Time now) const;

  // Counts the values of `vectors` by status.
  void RecordFeatureValues(absl::Span<const storage::FeatureVector> vectors) const;

  // Counts a completed full compaction: automatic (NodeOptions::auto_compact_*) or asked for
  // by a Compact call.
  void RecordCompaction(bool automatic) const;

 private:
  prometheus::Counter* applied_ = nullptr;
  prometheus::Counter* duplicate_ = nullptr;
  prometheus::Counter* rejected_ = nullptr;
  std::array<prometheus::Counter*, 10> rejected_by_reason_{};  // in kReasons order
  prometheus::Histogram* lag_ = nullptr;
  std::array<prometheus::Counter*, 4> feature_values_{};  // by storage::FeatureStatus
  prometheus::Counter* compactions_rpc_ = nullptr;
  prometheus::Counter* compactions_auto_ = nullptr;
};

}  // namespace cohort::featurestore
