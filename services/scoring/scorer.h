// Scorer: the transport-independent logic of cohort.v1.Scoring (scoring.proto): validates a
// Score request, resolves the models against the registry's current ModelSet, fetches the
// customers' features (one ShardRouter::GetFeaturesPartial fan-out) and, for
// recommendations, their histories (one GetHistory per customer, all in parallel) with the
// fetch deadline, and runs the models per customer. A failing store node only fails the
// customers it owns.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/v1/scoring.pb.h"
#include "services/common/shard_router.h"
#include "services/scoring/model_registry.h"
#include "services/scoring/scorer_metrics.h"

namespace cohort::scoring {

// Request limits (scoring.proto).
inline constexpr size_t kMaxCustomers = 1000;
inline constexpr uint32_t kMaxRecommendations = 100;
inline constexpr uint32_t kMaxTopFeatures = 20;

// Thread-safe: every method may be called concurrently. Borrows the router, the registry
// and the metrics (may be null), which must outlive it.
class Scorer {
 public:
  Scorer(ShardRouter& router, ModelRegistry& registry, ScorerMetrics* metrics,
         absl::Duration fetch_deadline);

  // Scores the request (see scoring.proto for the errors). Uses one ModelSet snapshot for
  // the whole call.
  absl::StatusOr<v1::ScoreResponse> Score(const v1::ScoreRequest& request) const;
  // The served models, sorted by name.
  v1::ListModelsResponse ListModels() const;
  // Scans the models folder now; see ModelRegistry::Scan.
  v1::ReloadModelsResponse ReloadModels();

 private:
  ShardRouter& router_;
  ModelRegistry& registry_;
  ScorerMetrics* const metrics_;
  const absl::Duration fetch_deadline_;
};

}  // namespace cohort::scoring
