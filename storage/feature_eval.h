// Point-in-time feature computation from one customer's stored records. Pure functions:
// no I/O, thread-safe. ProfileStore::GetFeatures and ::Export use FeatureEvaluator on
// record views; EvaluateFeatures takes protobuf records (tests, one-off evaluations).
#pragma once

#include <memory>

#include "absl/time/time.h"
#include "storage/feature_registry.h"
#include "storage/record_views.h"
#include "storage/records.pb.h"
#include "storage/types.h"

namespace cohort::storage {

// One customer's records as protobuf messages (tests, one-off evaluations); null when the
// record is absent. EvaluateFeatures converts them to RecordViews per call.
struct CustomerRecords {
  const records::Aggregates* aggregates = nullptr;
  const records::AttributeSet* attributes = nullptr;
};

// One customer's records as GetFeatures and Export decode them (storage/record_views.h);
// null when the record is absent. The views, and the bytes they view, must outlive the
// Evaluate call; the returned vector owns its values.
struct RecordViews {
  const AggregatesView* aggregates = nullptr;
  const AttributesView* attributes = nullptr;
};

struct SelectionPlan;  // feature_eval.cc

// Evaluates one selection for many customers: what the selection needs (features, their
// operands, windows, filters) is worked out once, at construction. Thread-safe for
// concurrent Evaluate calls; `registry` must outlive it. Evaluate keeps its working memory
// per thread (thread_local, grown to the largest registry seen) and reuses it from one call
// to the next; a value never depends on what else the selection holds.
class FeatureEvaluator {
 public:
  FeatureEvaluator(const FeatureRegistry& registry, const FeatureSelection& selection);
  ~FeatureEvaluator();
  FeatureEvaluator(const FeatureEvaluator&) = delete;
  FeatureEvaluator& operator=(const FeatureEvaluator&) = delete;

  // The semantics of EvaluateFeatures(registry, selection, records, as_of), on views.
  FeatureVector Evaluate(const RecordViews& records, absl::Time as_of) const;

 private:
  const FeatureRegistry& registry_;
  std::unique_ptr<const SelectionPlan> selection_;
};

// Computes the `selection` of `registry` for one customer as of `as_of`.
// Point-in-time, day resolution: events on days before ExclusiveEndDay(as_of) count;
// attribute versions with event time <= as_of count. found=false (every value its default
// with status NOT_FOUND) when no event and no attribute version is visible as of `as_of`.
FeatureVector EvaluateFeatures(const FeatureRegistry& registry, const FeatureSelection& selection,
                               const CustomerRecords& records, absl::Time as_of);

}  // namespace cohort::storage
