// Plain value types shared by every recommender in models/recommend.
//
// Models work in item-index space: an ItemVocabulary (vocabulary.h) maps item ids to dense
// indices 0..n-1 at training time, and the same vocabulary maps request-time histories and
// results at serving time.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"

namespace cohort::models::recommend {

// One item of a customer's (served) history.
struct HistoryItem {
  int32_t item = 0;        // index in the model's item vocabulary, in [0, num_items)
  float weight = 1.0f;     // interaction strength, finite and >= 0 (see InteractionWeights)
  bool purchased = false;  // bought at least once: excluded when exclude_purchased is set
};

// How much one history item contributed to a recommended item's score.
struct Contribution {
  int32_t item = 0;           // the history item
  float contribution = 0.0f;  // its additive share of the score (> 0)
};

// One recommended item.
struct Recommendation {
  int32_t item = 0;
  float score = 0.0f;  // model-specific scale; only the order is comparable across models
  // The history items that contributed most, largest first (empty for popularity).
  std::vector<Contribution> because;
};

// Largest k a request may ask for.
inline constexpr int32_t kMaxRecommendations = 10000;

// Per-request options of Recommender::Recommend.
struct RecommendOptions {
  int32_t k = 10;  // results wanted, in [1, kMaxRecommendations]; fewer may be returned
  // Item indices never returned. Indices outside [0, num_items) are ignored.
  std::vector<int32_t> exclusions;
  bool exclude_purchased = true;  // drop history items with purchased = true
  bool exclude_history = false;   // drop every history item (viewed, carted, bought)
  int32_t max_explanations = 3;   // contributions kept per result, in [0, 100]
};

// The model families. Values are stored in artifacts: never renumber.
enum class ModelKind : uint32_t {
  kItemKnn = 1,
  kEase = 2,
  kAls = 3,
  kPopularity = 4,
};

// "item_knn", "ease", "als", "popularity" ("unknown" otherwise).
absl::string_view ModelKindName(ModelKind kind);

}  // namespace cohort::models::recommend
