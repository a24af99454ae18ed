// Recommender: the interface every recommendation model implements, so the scorer can hold
// any of them (item-item CF, EASE, implicit ALS, popularity) behind one pointer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "models/recommend/types.h"

namespace cohort::models::recommend {

// Implementations are immutable once built or loaded: every const method is thread-safe.
class Recommender {
 public:
  virtual ~Recommender() = default;

  virtual ModelKind kind() const = 0;
  // The size of the item vocabulary the model was trained on.
  virtual int32_t num_items() const = 0;

  // The top options.k items for a customer with `history` (duplicates of an item are merged:
  // weights summed, purchased or-ed), best first, ties broken by the lower item index. Never
  // returns an item of options.exclusions, a purchased history item (exclude_purchased) or
  // any history item (exclude_history). Personalized models return only items with a
  // positive score, so possibly fewer than k, and nothing for a history without a positive
  // weight; the caller falls back to popularity (see RecommendForCustomer). `because` holds at
  // most options.max_explanations positive contributions.
  // Errors: INVALID_ARGUMENT for a history item outside [0, num_items()), a negative or
  // non-finite weight, or options out of range.
  virtual absl::StatusOr<std::vector<Recommendation>> Recommend(
      absl::Span<const HistoryItem> history, const RecommendOptions& options) const = 0;

  // The model as bytes for the kind's static Deserialize (or DeserializeRecommender).
  virtual std::string Serialize() const = 0;
};

}  // namespace cohort::models::recommend
