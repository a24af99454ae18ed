// Interaction data for training and serving the recommenders:
// - InteractionWeights: how events become weights (per event type, with time decay);
// - InteractionMatrix: a sparse users x items matrix of non-negative weights;
// - InteractionMatrixBuilder: events -> matrix plus user and item vocabularies (training);
// - BuildHistory: a customer's served interactions -> HistoryItems (request time), weighted
//   exactly as at training.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "Eigen/SparseCore"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "models/recommend/types.h"
#include "models/recommend/vocabulary.h"

namespace cohort::models::recommend {

// How one event weighs. The weight of a (user, item) pair is the sum of its events' weights,
// capped at max_weight when that is set.
struct InteractionWeights {
  // Weight of one event of each type; events of other types are ignored.
  absl::flat_hash_map<std::string, double> by_type = {
      {"purchase", 1.0}, {"add_to_cart", 0.5}, {"view", 0.1}};
  // An event `age` before the reference time weighs by_type * 2^(-age / half_life).
  // Default: infinite (no decay).
  absl::Duration half_life = absl::InfiniteDuration();
  // Cap of a pair's summed weight; 0 (default) = no cap.
  double max_weight = 0;
  // Events of this type mark the item as bought (HistoryItem::purchased). Default "purchase".
  std::string purchase_type = "purchase";

  // Errors: INVALID_ARGUMENT naming the field when a weight is negative or not finite,
  // half_life <= 0, or max_weight < 0 or not finite.
  absl::Status Validate() const;

  // The weight of one event at reference time `as_of`: 0 for an ignored type; events after
  // as_of count as age 0. Requires Validate() to be OK.
  double EventWeight(absl::string_view type, absl::Time time, absl::Time as_of) const;
};

// A sparse users x items matrix of finite, positive weights (CSR). Immutable; thread-safe.
class InteractionMatrix {
 public:
  using Storage = Eigen::SparseMatrix<float, Eigen::RowMajor, int32_t>;
  struct Entry {
    int32_t user = 0;
    int32_t item = 0;
    float weight = 0;
  };

  InteractionMatrix() = default;  // 0 x 0

  // A num_users x num_items matrix of `entries`; repeated (user, item) pairs are summed and
  // zero weights dropped. Errors: INVALID_ARGUMENT for negative sizes, an index out of range,
  // or a negative or non-finite weight.
  static absl::StatusOr<InteractionMatrix> FromEntries(int32_t num_users, int32_t num_items,
                                                       absl::Span<const Entry> entries);

  int32_t num_users() const { return static_cast<int32_t>(matrix_.rows()); }
  int32_t num_items() const { return static_cast<int32_t>(matrix_.cols()); }
  int64_t num_entries() const { return matrix_.nonZeros(); }
  // Compressed row-major storage: row u holds user u's items in increasing index order.
  const Storage& matrix() const { return matrix_; }

  // Row `user` (in [0, num_users)) as a history with purchased = false, by item index.
  std::vector<HistoryItem> History(int32_t user) const;

 private:
  Storage matrix_;
};

// The output of InteractionMatrixBuilder::Build.
struct InteractionData {
  ItemVocabulary items;            // item index <-> item id
  std::vector<std::string> users;  // user index -> user key, in first-seen order
  InteractionMatrix matrix;        // users x items
  // Per user, the sorted item indices bought (events of purchase_type) before as_of.
  std::vector<std::vector<int32_t>> purchased;

  // User `user`'s training history (matrix row with purchased flags, by item index; bought
  // items whose weight is 0 appear with weight 0). `user` must be in [0, users.size()).
  std::vector<HistoryItem> History(int32_t user) const;
};

// Accumulates events into an InteractionData. Not thread-safe; single use.
class InteractionMatrixBuilder {
 public:
  struct Stats {
    int64_t events_used = 0;
    int64_t skipped_unweighted_type = 0;  // type not in InteractionWeights::by_type
    int64_t skipped_after_as_of = 0;      // event time > as_of (would leak the future)
  };

  // Weights events at reference time `as_of` (the end of the training window).
  // Errors: INVALID_ARGUMENT from weights.Validate().
  static absl::StatusOr<InteractionMatrixBuilder> Create(InteractionWeights weights,
                                                         absl::Time as_of);

  // Adds one event. Events of an unweighted type or after as_of are skipped and counted in
  // stats(). Users and items enter the vocabularies in the order of their first used event.
  // Errors: INVALID_ARGUMENT for an empty user key or item id.
  absl::Status Add(absl::string_view user_key, absl::string_view item_id,
                   absl::string_view event_type, absl::Time time);

  const Stats& stats() const { return stats_; }

  // The accumulated data; leaves the builder empty.
  InteractionData Build();

 private:
  struct Cell {
    double weight = 0;
    bool purchased = false;
  };
  InteractionMatrixBuilder(InteractionWeights weights, absl::Time as_of)
      : weights_(std::move(weights)), as_of_(as_of) {}

  InteractionWeights weights_;
  absl::Time as_of_;
  ItemVocabulary items_;
  std::vector<std::string> users_;
  absl::flat_hash_map<std::string, int32_t> user_index_;
  absl::flat_hash_map<uint64_t, Cell> cells_;  // (user << 32 | item) -> totals
  Stats stats_;
};

// One served interaction of a customer (views into the caller's strings).
struct InteractionEvent {
  absl::string_view item_id;
  absl::string_view type;
  absl::Time time;
};

// A request-time history from a customer's interactions, weighted as at training with
// reference time `as_of` (usually now; later events count as age 0). Items unknown to
// `items` and events of unweighted types are skipped; one entry per item, by item index.
// Requires weights.Validate() to be OK. Thread-safe.
std::vector<HistoryItem> BuildHistory(absl::Span<const InteractionEvent> events,
                                      const ItemVocabulary& items,
                                      const InteractionWeights& weights, absl::Time as_of);

}  // namespace cohort::models::recommend
