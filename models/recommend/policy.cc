#include "models/recommend/policy.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace cohort::models::recommend {
namespace {

bool HasSignal(absl::Span<const HistoryItem> history) {
  for (const HistoryItem& h : history) {
    if (h.weight > 0) return true;
  }
  return false;
}

}  // namespace

absl::string_view RecommendationSourceName(RecommendationSource source) {
  switch (source) {
    case RecommendationSource::kPersonalized:
      return "personalized";
    case RecommendationSource::kSegmentPopularity:
      return "segment_popularity";
    case RecommendationSource::kPopularity:
      return "popularity";
  }
  return "unknown";
}

absl::StatusOr<CustomerRecommendations> RecommendForCustomer(const Recommender* personalized,
                                                             const PopularityModel& popularity,
                                                             const CustomerContext& customer,
                                                             const RecommendOptions& options) {
  if (personalized != nullptr && personalized->num_items() != popularity.num_items()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the ", ModelKindName(personalized->kind()), " model knows ", personalized->num_items(),
        " items but the popularity model ", popularity.num_items(),
        "; deploy models trained on the same item vocabulary"));
  }
  CustomerRecommendations out;
  if (!customer.personalization_consent) {
    absl::StatusOr<std::vector<Recommendation>> items = popularity.Recommend({}, options);
    if (!items.ok()) return items.status();
    out.items = *std::move(items);
    return out;
  }
  const RecommendationSource popular_source = popularity.HasSegment(customer.segment)
                                                  ? RecommendationSource::kSegmentPopularity
                                                  : RecommendationSource::kPopularity;
  if (personalized == nullptr || !HasSignal(customer.history)) {
    absl::StatusOr<std::vector<Recommendation>> items =
        popularity.RecommendForSegment(customer.segment, customer.history, options);
    if (!items.ok()) return items.status();
    out.source = popular_source;
    out.items = *std::move(items);
    return out;
  }
  absl::StatusOr<std::vector<Recommendation>> items =
      personalized->Recommend(customer.history, options);
  if (!items.ok()) return items.status();
  out.items = *std::move(items);
  // A model with nothing to say (e.g. no neighbour of any history item) is a cold start.
  out.source = out.items.empty() ? popular_source : RecommendationSource::kPersonalized;
  if (out.items.size() < static_cast<size_t>(options.k)) {
    RecommendOptions fill = options;
    fill.k = options.k - static_cast<int32_t>(out.items.size());
    for (const Recommendation& r : out.items) fill.exclusions.push_back(r.item);
    absl::StatusOr<std::vector<Recommendation>> extra =
        popularity.RecommendForSegment(customer.segment, customer.history, fill);
    if (!extra.ok()) return extra.status();
    if (out.source == RecommendationSource::kPersonalized) {
      out.backfilled = static_cast<int32_t>(extra->size());
    }
    for (Recommendation& r : *extra) out.items.push_back(std::move(r));
  }
  return out;
}

}  // namespace cohort::models::recommend
