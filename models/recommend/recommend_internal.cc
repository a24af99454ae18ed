#include "models/recommend/recommend_internal.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace cohort::models::recommend::internal {
namespace {

bool Better(const ScoredItem& a, const ScoredItem& b) {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
}

// Keeps the best `k` items pushed through Offer().
class TopKHeap {
 public:
  explicit TopKHeap(int32_t k) : k_(static_cast<size_t>(k)) { heap_.reserve(k_); }

  void Offer(const ScoredItem& item) {
    if (heap_.size() < k_) {
      heap_.push_back(item);
      std::push_heap(heap_.begin(), heap_.end(), Better);  // worst kept item on top
    } else if (k_ > 0 && Better(item, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), Better);
      heap_.back() = item;
      std::push_heap(heap_.begin(), heap_.end(), Better);
    }
  }

  std::vector<ScoredItem> Take() && {
    std::sort(heap_.begin(), heap_.end(), Better);
    return std::move(heap_);
  }

 private:
  size_t k_;
  std::vector<ScoredItem> heap_;
};

}  // namespace

absl::StatusOr<PreparedRequest> PrepareRequest(absl::Span<const HistoryItem> history,
                                               const RecommendOptions& options, int32_t num_items) {
  if (options.k < 1 || options.k > kMaxRecommendations) {
    return absl::InvalidArgumentError(absl::StrCat("RecommendOptions.k must be in [1, ",
                                                   kMaxRecommendations, "], got ", options.k));
  }
  if (options.max_explanations < 0 || options.max_explanations > 100) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RecommendOptions.max_explanations must be in [0, 100], got ", options.max_explanations));
  }
  PreparedRequest request;
  request.history.reserve(history.size());
  for (const HistoryItem& h : history) {
    if (h.item < 0 || h.item >= num_items) {
      return absl::InvalidArgumentError(absl::StrCat(
          "history item ", h.item, " is outside the model's catalogue [0, ", num_items, ")"));
    }
    if (!std::isfinite(h.weight) || h.weight < 0) {
      return absl::InvalidArgumentError(absl::StrCat("history item ", h.item, " has weight ",
                                                     h.weight, "; must be finite and >= 0"));
    }
    request.history.push_back(h);
  }
  std::sort(request.history.begin(), request.history.end(),
            [](const HistoryItem& a, const HistoryItem& b) { return a.item < b.item; });
  size_t out = 0;
  for (size_t i = 0; i < request.history.size(); ++i) {
    if (out > 0 && request.history[out - 1].item == request.history[i].item) {
      request.history[out - 1].weight += request.history[i].weight;
      request.history[out - 1].purchased |= request.history[i].purchased;
    } else {
      request.history[out++] = request.history[i];
    }
  }
  request.history.resize(out);
  for (const HistoryItem& h : request.history) {
    if (options.exclude_history || (options.exclude_purchased && h.purchased)) {
      request.excluded.insert(h.item);
    }
  }
  for (int32_t item : options.exclusions) {
    if (item >= 0 && item < num_items) request.excluded.insert(item);
  }
  return request;
}

bool HasNoSignal(absl::Span<const HistoryItem> history) {
  return std::none_of(history.begin(), history.end(),
                      [](const HistoryItem& h) { return h.weight > 0; });
}

std::vector<ScoredItem> TopK(absl::Span<const float> scores,
                             const absl::flat_hash_set<int32_t>& excluded, int32_t k) {
  TopKHeap heap(k);
  for (size_t i = 0; i < scores.size(); ++i) {
    const auto item = static_cast<int32_t>(i);
    if (scores[i] > 0 && !excluded.contains(item)) heap.Offer({item, scores[i]});
  }
  return std::move(heap).Take();
}

std::vector<ScoredItem> TopK(std::vector<ScoredItem> candidates,
                             const absl::flat_hash_set<int32_t>& excluded, int32_t k) {
  TopKHeap heap(k);
  for (const ScoredItem& candidate : candidates) {
    if (!excluded.contains(candidate.item)) heap.Offer(candidate);
  }
  return std::move(heap).Take();
}

std::vector<Contribution> TopContributions(std::vector<Contribution> contributions, int32_t max) {
  contributions.erase(std::remove_if(contributions.begin(), contributions.end(),
                                     [](const Contribution& c) { return !(c.contribution > 0); }),
                      contributions.end());
  std::sort(contributions.begin(), contributions.end(),
            [](const Contribution& a, const Contribution& b) {
              return a.contribution > b.contribution ||
                     (a.contribution == b.contribution && a.item < b.item);
            });
  if (contributions.size() > static_cast<size_t>(std::max(max, 0))) {
    contributions.resize(static_cast<size_t>(max));
  }
  return contributions;
}

}  // namespace cohort::models::recommend::internal
