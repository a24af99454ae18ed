// Request preparation and top-k selection shared by the recommenders (internal to
// models/recommend).
#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "models/recommend/types.h"

namespace cohort::models::recommend::internal {

struct ScoredItem {
  int32_t item = 0;
  float score = 0;
};

// A validated request.
struct PreparedRequest {
  std::vector<HistoryItem> history;       // merged per item, sorted by item index
  absl::flat_hash_set<int32_t> excluded;  // items never returned
};

// Validates `history` against a catalogue of `num_items` and `options`, merges repeated items
// and collects the excluded items. Errors: INVALID_ARGUMENT naming the offending value.
absl::StatusOr<PreparedRequest> PrepareRequest(absl::Span<const HistoryItem> history,
                                               const RecommendOptions& options, int32_t num_items);

// True if no history item has a positive weight.
bool HasNoSignal(absl::Span<const HistoryItem> history);

// The best `k` of scores[i] (dense over all items) outside `excluded` with a positive score,
// best first, ties by lower index.
std::vector<ScoredItem> TopK(absl::Span<const float> scores,
                             const absl::flat_hash_set<int32_t>& excluded, int32_t k);

// The best `k` of `candidates` (distinct items) outside `excluded`, same order.
std::vector<ScoredItem> TopK(std::vector<ScoredItem> candidates,
                             const absl::flat_hash_set<int32_t>& excluded, int32_t k);

// The at most `max` largest positive contributions, largest first, ties by lower index.
std::vector<Contribution> TopContributions(std::vector<Contribution> contributions, int32_t max);

}  // namespace cohort::models::recommend::internal
