// Offline ranking metrics for recommenders: precision@k, recall@k, NDCG@k, MAP@k and catalogue
// coverage, averaged over a set of users. Pure functions of their arguments; thread-safe.
//
// Conventions (binary relevance):
// - `ranked` is a user's recommendation list, best first. Only its first k entries count; a
//   repeated item counts once, at its first position. A list shorter than k is not padded:
//   precision@k still divides by k.
// - `relevant` is the user's held-out set (duplicates ignored). Items the model cannot know
//   (e.g. new since training) may carry any index the recommender never produces.
// - precision@k = hits@k / k;  recall@k = hits@k / |relevant|.
// - NDCG@k = DCG@k / IDCG@k with DCG@k = sum over hit ranks r (1-based) of 1 / log2(r + 1) and
//   IDCG@k the DCG of min(k, |relevant|) hits at the top.
// - AP@k = (1 / min(k, |relevant|)) * sum over hit ranks r <= k of precision@r;  MAP@k is its
//   mean over users.
// - Users with no relevant item are skipped (counted, left out of the means); coverage still
//   counts their recommendations.
// - coverage = distinct items in [0, catalogue_size) appearing in some user's top-k divided by
//   catalogue_size.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace cohort::models::metrics {

// One user's ranking and held-out truth.
struct UserRanking {
  std::vector<int32_t> ranked;    // recommended items, best first
  std::vector<int32_t> relevant;  // held-out relevant items (a set)
};

// Means over the evaluated users, with the counts behind them.
struct RankingMetrics {
  int32_t k = 0;
  double precision = 0;  // mean precision@k
  double recall = 0;     // mean recall@k
  double ndcg = 0;       // mean NDCG@k
  double map = 0;        // mean AP@k
  double hit_rate = 0;   // share of evaluated users with at least one hit in the top k
  double coverage = 0;   // distinct recommended items / catalogue_size
  int64_t users_total = 0;
  int64_t users_evaluated = 0;  // users with at least one relevant item
  int64_t users_skipped = 0;    // users with no relevant item
  int64_t users_with_hit = 0;
  int64_t distinct_items_recommended = 0;  // inside [0, catalogue_size)
  int64_t catalogue_size = 0;
};

// Per-user metrics (see the conventions above). `k` must be > 0; with an empty `relevant` set
// recall, NDCG and AP are 0.
double PrecisionAtK(absl::Span<const int32_t> ranked, absl::Span<const int32_t> relevant,
                    int32_t k);
double RecallAtK(absl::Span<const int32_t> ranked, absl::Span<const int32_t> relevant, int32_t k);
double NdcgAtK(absl::Span<const int32_t> ranked, absl::Span<const int32_t> relevant, int32_t k);
double AveragePrecisionAtK(absl::Span<const int32_t> ranked, absl::Span<const int32_t> relevant,
                           int32_t k);

// Evaluates every user at cut-off `k`.
// Errors: INVALID_ARGUMENT if k <= 0 or catalogue_size <= 0.
absl::StatusOr<RankingMetrics> EvaluateRanking(absl::Span<const UserRanking> users, int32_t k,
                                               int64_t catalogue_size);

}  // namespace cohort::models::metrics
