// Item-to-item collaborative filtering (Sarwar et al. 2001; Linden et al. 2003).
//
// Training computes, for every pair of items co-interacted by n >= 1 users,
//   cosine:  sim(i, j) = sum_u r_ui r_uj / (||r_i|| ||r_j||)   (weighted columns of X)
//   jaccard: sim(i, j) = n / (n_i + n_j - n)                   (binary interactions)
// shrunk towards 0 for rare co-occurrence: sim * n / (n + shrinkage), and keeps the
// max_neighbours most similar items of every item (a sparse, not necessarily symmetric,
// item x item matrix). A customer's score for item i is sum over history items j of
// weight_j * sim(j, i) (over the kept neighbours of j); its explanation lists the history items
// with the largest terms. Memory and time: O(sum_u |items of u|^2) to train, O(num_items *
// max_neighbours) to keep.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "models/recommend/interaction_matrix.h"
#include "models/recommend/recommender.h"

namespace cohort::models::recommend {

struct ItemKnnOptions {
  enum class Similarity : int32_t { kCosine = 0, kJaccard = 1 };
  Similarity similarity = Similarity::kCosine;
  // Shrinkage λ >= 0 of sim * n / (n + λ); 0 disables it. Default 10.
  double shrinkage = 10;
  // Neighbours kept per item, in [1, 10000]. Default 50.
  int32_t max_neighbours = 50;
  // Pairs co-interacted by fewer users are dropped, >= 1. Default 1.
  int32_t min_co_users = 1;

  // Errors: INVALID_ARGUMENT naming the field out of range.
  absl::Status Validate() const;
};

// Immutable; every const method is thread-safe.
class ItemKnnModel final : public Recommender {
 public:
  struct Neighbour {
    int32_t item = 0;
    float similarity = 0;  // > 0
  };

  // Trains on `interactions`. Errors: INVALID_ARGUMENT from options.Validate().
  static absl::StatusOr<std::unique_ptr<ItemKnnModel>> Train(const InteractionMatrix& interactions,
                                                             const ItemKnnOptions& options);

  // Loads Serialize() output. Errors: INVALID_ARGUMENT (not an item_knn artifact),
  // FAILED_PRECONDITION (unsupported format version), DATA_LOSS (truncated or corrupt).
  static absl::StatusOr<std::unique_ptr<ItemKnnModel>> Deserialize(absl::string_view bytes);

  ModelKind kind() const override { return ModelKind::kItemKnn; }
  int32_t num_items() const override { return num_items_; }
  absl::StatusOr<std::vector<Recommendation>> Recommend(
      absl::Span<const HistoryItem> history, const RecommendOptions& options) const override;
  std::string Serialize() const override;

  const ItemKnnOptions& options() const { return options_; }
  // The kept neighbours of `item`, by increasing neighbour index (empty if out of range).
  absl::Span<const Neighbour> Neighbours(int32_t item) const;
  // The kept similarity of `neighbour` to `item`, 0 if not kept.
  float Similarity(int32_t item, int32_t neighbour) const;

 private:
  ItemKnnModel(int32_t num_items, ItemKnnOptions options, std::vector<int64_t> offsets,
               std::vector<Neighbour> neighbours)
      : num_items_(num_items),
        options_(options),
        offsets_(std::move(offsets)),
        neighbours_(std::move(neighbours)) {}

  int32_t num_items_;
  ItemKnnOptions options_;
  std::vector<int64_t> offsets_;  // CSR row starts, num_items_ + 1 values
  std::vector<Neighbour> neighbours_;
};

}  // namespace cohort::models::recommend
