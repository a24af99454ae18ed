#include "models/metrics/ranking.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cohort::models::metrics {
namespace {

// The 1-based ranks (<= k) of the hits in `ranked`, counting each item at its first position.
struct Hits {
  std::vector<int32_t> ranks;
  size_t num_relevant = 0;
};

Hits FindHits(absl::Span<const int32_t> ranked, absl::Span<const int32_t> relevant, int32_t k) {
  absl::flat_hash_set<int32_t> truth(relevant.begin(), relevant.end());
  absl::flat_hash_set<int32_t> seen;
  Hits hits;
  hits.num_relevant = truth.size();
  const size_t limit = std::min(ranked.size(), static_cast<size_t>(std::max(k, 0)));
  for (size_t i = 0; i < limit; ++i) {
    if (!seen.insert(ranked[i]).second) continue;
    if (truth.contains(ranked[i])) hits.ranks.push_back(static_cast<int32_t>(i + 1));
  }
  return hits;
}

double Precision(const Hits& hits, int32_t k) {
  return k > 0 ? static_cast<double>(hits.ranks.size()) / k : 0.0;
}

double Recall(const Hits& hits) {
  return hits.num_relevant > 0 ? static_cast<double>(hits.ranks.size()) / hits.num_relevant : 0.0;
}

double Ndcg(const Hits& hits, int32_t k) {
  const size_t ideal = std::min(hits.num_relevant, static_cast<size_t>(std::max(k, 0)));
  if (ideal == 0) return 0.0;
  double dcg = 0, idcg = 0;
  for (int32_t rank : hits.ranks) dcg += 1.0 / std::log2(rank + 1.0);
  for (size_t r = 1; r <= ideal; ++r) idcg += 1.0 / std::log2(r + 1.0);
  return dcg / idcg;
}

double AveragePrecision(const Hits& hits, int32_t k) {
  const size_t denominator = std::min(hits.num_relevant, static_cast<size_t>(std::max(k, 0)));
  if (denominator == 0) return 0.0;
  double sum = 0;
  for (size_t i = 0; i < hits.ranks.size(); ++i) {
    sum += static_cast<double>(i + 1) / hits.ranks[i];  // precision at the i-th hit's rank
  }
  return sum / denominator;
}

}  // namespace

double PrecisionAtK(absl::Span<const int32_t> ranked, absl::Span<const int32_t> relevant,
                    int32_t k) {
  return Precision(FindHits(ranked, relevant, k), k);
}

double RecallAtK(absl::Span<const int32_t> ranked, absl::Span<const int32_t> relevant, int32_t k) {
  return Recall(FindHits(ranked, relevant, k));
}

double NdcgAtK(absl::Span<const int32_t> ranked, absl::Span<const int32_t> relevant, int32_t k) {
  return Ndcg(FindHits(ranked, relevant, k), k);
}

double AveragePrecisionAtK(absl::Span<const int32_t> ranked, absl::Span<const int32_t> relevant,
                           int32_t k) {
  return AveragePrecision(FindHits(ranked, relevant, k), k);
}

absl::StatusOr<RankingMetrics> EvaluateRanking(absl::Span<const UserRanking> users, int32_t k,
                                               int64_t catalogue_size) {
  if (k <= 0) return absl::InvalidArgumentError(absl::StrCat("k must be > 0, got ", k));
  if (catalogue_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("catalogue_size must be > 0, got ", catalogue_size));
  }
  RankingMetrics out;
  out.k = k;
  out.catalogue_size = catalogue_size;
  out.users_total = static_cast<int64_t>(users.size());
  absl::flat_hash_set<int32_t> recommended;
  for (const UserRanking& user : users) {
    const size_t limit = std::min(user.ranked.size(), static_cast<size_t>(k));
    for (size_t i = 0; i < limit; ++i) {
      if (user.ranked[i] >= 0 && user.ranked[i] < catalogue_size) {
        recommended.insert(user.ranked[i]);
      }
    }
    const Hits hits = FindHits(user.ranked, user.relevant, k);
    if (hits.num_relevant == 0) {
      ++out.users_skipped;
      continue;
    }
    ++out.users_evaluated;
    if (!hits.ranks.empty()) ++out.users_with_hit;
    out.precision += Precision(hits, k);
    out.recall += Recall(hits);
    out.ndcg += Ndcg(hits, k);
    out.map += AveragePrecision(hits, k);
  }
  if (out.users_evaluated > 0) {
    const double n = static_cast<double>(out.users_evaluated);
    out.precision /= n;
    out.recall /= n;
    out.ndcg /= n;
    out.map /= n;
    out.hit_rate = static_cast<double>(out.users_with_hit) / n;
  }
  out.distinct_items_recommended = static_cast<int64_t>(recommended.size());
  out.coverage = static_cast<double>(recommended.size()) / static_cast<double>(catalogue_size);
  return out;
}

}  // namespace cohort::models::metrics
