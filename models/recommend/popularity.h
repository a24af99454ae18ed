// Popularity: the non-personalized recommender, overall and per customer segment. It serves
// cold start (no usable history) and customers who did not consent to personalization.
//
// An item's popularity is the sum of its interaction weights (or the number of distinct
// users) over all training users, or over the users of one segment (e.g. an RFM segment or
// a behavioural cluster id). Lists are kept for segments with at least min_segment_users
// users; other segments are served the overall list.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "models/recommend/interaction_matrix.h"
#include "models/recommend/recommender.h"

namespace cohort::models::recommend {

struct PopularityOptions {
  enum class Measure : int32_t {
    kWeightSum = 0,  // sum of interaction weights (event-type weights and time decay)
    kUserCount = 1,  // number of distinct users
  };
  Measure measure = Measure::kWeightSum;
  int32_t max_items = 1000;        // items kept per list, in [1, 1000000]
  int64_t min_segment_users = 20;  // smaller segments use the overall list; >= 1

  // Errors: INVALID_ARGUMENT naming the field out of range.
  absl::Status Validate() const;
};

// Immutable; every const method is thread-safe.
class PopularityModel final : public Recommender {
 public:
  // Trains on `interactions`. `user_segments` is empty (overall list only) or holds the
  // segment id of every matrix user ("" = no segment). Errors: INVALID_ARGUMENT from
  // options.Validate() or when user_segments has the wrong size.
  static absl::StatusOr<std::unique_ptr<PopularityModel>> Train(
      const InteractionMatrix& interactions, absl::Span<const std::string> user_segments,
      const PopularityOptions& options);

  // Loads Serialize() output. Errors: INVALID_ARGUMENT (not a popularity artifact),
  // FAILED_PRECONDITION (unsupported format version), DATA_LOSS (truncated or corrupt).
  static absl::StatusOr<std::unique_ptr<PopularityModel>> Deserialize(absl::string_view bytes);

  ModelKind kind() const override { return ModelKind::kPopularity; }
  int32_t num_items() const override { return num_items_; }
  // The overall list, minus exclusions; `history` is used only for exclusions. Results carry
  // no explanation. Errors: as Recommender::Recommend.
  absl::StatusOr<std::vector<Recommendation>> Recommend(
      absl::Span<const HistoryItem> history, const RecommendOptions& options) const override;
  std::string Serialize() const override;

  // As Recommend, from the list of `segment` (the overall list if the segment is empty,
  // unknown or was smaller than min_segment_users at training).
  absl::StatusOr<std::vector<Recommendation>> RecommendForSegment(
      absl::string_view segment, absl::Span<const HistoryItem> history,
      const RecommendOptions& options) const;

  // True if `segment` has its own list.
  bool HasSegment(absl::string_view segment) const { return segments_.contains(segment); }
  // The segments with their own list, sorted.
  std::vector<std::string> segments() const;

 private:
  struct RankedList {
    int64_t users = 0;
    std::vector<int32_t> items;  // best first
    std::vector<float> scores;
  };
  PopularityModel(int32_t num_items, PopularityOptions options, RankedList overall,
                  absl::flat_hash_map<std::string, RankedList> segments)
      : num_items_(num_items),
        options_(options),
        overall_(std::move(overall)),
        segments_(std::move(segments)) {}

  absl::StatusOr<std::vector<Recommendation>> FromList(const RankedList& list,
                                                       absl::Span<const HistoryItem> history,
                                                       const RecommendOptions& options) const;

  int32_t num_items_;
  PopularityOptions options_;
  RankedList overall_;
  absl::flat_hash_map<std::string, RankedList> segments_;
};

}  // namespace cohort::models::recommend
