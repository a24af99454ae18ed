// The serving policy: which model answers a customer, honouring consent, with popularity
// for cold start and to fill short personalized lists.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "models/recommend/popularity.h"
#include "models/recommend/recommender.h"

namespace cohort::models::recommend {

// What the policy knows of one customer.
struct CustomerContext {
  // Without consent nothing about the customer is used: neither history (not even to drop
  // bought items) nor segment; they get the overall popularity list minus
  // RecommendOptions::exclusions.
  bool personalization_consent = false;
  absl::Span<const HistoryItem> history;  // the served history, in the model's item indices
  absl::string_view segment;              // "" if unknown
};

enum class RecommendationSource {
  kPersonalized,       // the personalized model (maybe followed by backfilled items)
  kSegmentPopularity,  // the popularity list of the customer's segment
  kPopularity,         // the overall popularity list
};

absl::string_view RecommendationSourceName(RecommendationSource source);

struct CustomerRecommendations {
  RecommendationSource source = RecommendationSource::kPopularity;
  std::vector<Recommendation> items;
  // With kPersonalized: how many of the last items came from popularity because the model
  // returned fewer than k items.
  int32_t backfilled = 0;
};

// Recommends for one customer:
// - consent, a personalized model and a history with a positive weight: the model's top k,
//   backfilled from popularity (segment list when it has one) up to k; if the model returns
//   nothing at all, the answer is the popularity list's, with that source;
// - consent otherwise: the segment's popularity list (overall if the segment has none), with
//   the history's exclusions applied;
// - no consent: the overall popularity list (see CustomerContext).
// `personalized` may be null (no personalized model deployed). Thread-safe if the models are.
// Errors: FAILED_PRECONDITION if the two models were trained on different catalogue sizes;
// otherwise those of Recommender::Recommend.
absl::StatusOr<CustomerRecommendations> RecommendForCustomer(const Recommender* personalized,
                                                             const PopularityModel& popularity,
                                                             const CustomerContext& customer,
                                                             const RecommendOptions& options);

}  // namespace cohort::models::recommend
