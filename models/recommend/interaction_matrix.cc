#include "models/recommend/interaction_matrix.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace cohort::models::recommend {
namespace {

double Cap(double weight, double max_weight) {
  return max_weight > 0 ? std::min(weight, max_weight) : weight;
}

}  // namespace

absl::Status InteractionWeights::Validate() const {
  for (const auto& [type, weight] : by_type) {
    if (!std::isfinite(weight) || weight < 0) {
      return absl::InvalidArgumentError(absl::StrCat("InteractionWeights.by_type[\"", type,
                                                     "\"] must be finite and >= 0, got ", weight));
    }
  }
  if (half_life <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("InteractionWeights.half_life must be > 0, got ",
                                                   absl::FormatDuration(half_life)));
  }
  if (!std::isfinite(max_weight) || max_weight < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "InteractionWeights.max_weight must be finite and >= 0 (0 = no cap), got ", max_weight));
  }
  return absl::OkStatus();
}

double InteractionWeights::EventWeight(absl::string_view type, absl::Time time,
                                       absl::Time as_of) const {
  auto it = by_type.find(type);
  if (it == by_type.end()) return 0;
  if (half_life == absl::InfiniteDuration() || time >= as_of) return it->second;
  const double age_half_lives = absl::FDivDuration(as_of - time, half_life);
  return it->second * std::exp2(-age_half_lives);
}

absl::StatusOr<InteractionMatrix> InteractionMatrix::FromEntries(int32_t num_users,
                                                                 int32_t num_items,
                                                                 absl::Span<const Entry> entries) {
  if (num_users < 0 || num_items < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("matrix sizes must be >= 0, got ", num_users, " x ", num_items));
  }
  std::vector<Eigen::Triplet<float, int32_t>> triplets;
  triplets.reserve(entries.size());
  for (const Entry& e : entries) {
    if (e.user < 0 || e.user >= num_users || e.item < 0 || e.item >= num_items) {
      return absl::InvalidArgumentError(absl::StrCat("entry (", e.user, ", ", e.item,
                                                     ") is outside the ", num_users, " x ",
                                                     num_items, " matrix"));
    }
    if (!std::isfinite(e.weight) || e.weight < 0) {
      return absl::InvalidArgumentError(absl::StrCat("entry (", e.user, ", ", e.item,
                                                     ") has weight ", e.weight,
                                                     "; weights must be finite and >= 0"));
    }
    if (e.weight > 0) triplets.emplace_back(e.user, e.item, e.weight);
  }
  InteractionMatrix out;
  out.matrix_.resize(num_users, num_items);
  out.matrix_.setFromTriplets(triplets.begin(), triplets.end());
  out.matrix_.makeCompressed();
  return out;
}

std::vector<HistoryItem> InteractionMatrix::History(int32_t user) const {
  std::vector<HistoryItem> history;
  for (Storage::InnerIterator it(matrix_, user); it; ++it) {
    history.push_back({.item = static_cast<int32_t>(it.col()), .weight = it.value()});
  }
  return history;
}

std::vector<HistoryItem> InteractionData::History(int32_t user) const {
  std::vector<HistoryItem> history = matrix.History(user);
  const std::vector<int32_t>& bought = purchased[static_cast<size_t>(user)];
  // A bought item whose weight is 0 has no matrix entry: add it so it is still excluded.
  for (int32_t item : bought) {
    auto it = std::lower_bound(history.begin(), history.end(), item,
                               [](const HistoryItem& h, int32_t i) { return h.item < i; });
    if (it != history.end() && it->item == item) {
      it->purchased = true;
    } else {
      history.insert(it, {.item = item, .weight = 0, .purchased = true});
    }
  }
  return history;
}

absl::StatusOr<InteractionMatrixBuilder> InteractionMatrixBuilder::Create(
    InteractionWeights weights, absl::Time as_of) {
  absl::Status status = weights.Validate();
  if (!status.ok()) return status;
  return InteractionMatrixBuilder(std::move(weights), as_of);
}

absl::Status InteractionMatrixBuilder::Add(absl::string_view user_key, absl::string_view item_id,
                                           absl::string_view event_type, absl::Time time) {
  if (user_key.empty()) return absl::InvalidArgumentError("interaction with an empty user key");
  if (item_id.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("interaction of user \"", user_key, "\" has an empty item id"));
  }
  if (!weights_.by_type.contains(event_type)) {
    ++stats_.skipped_unweighted_type;
    return absl::OkStatus();
  }
  if (time > as_of_) {
    ++stats_.skipped_after_as_of;
    return absl::OkStatus();
  }
  auto [user_it, new_user] = user_index_.emplace(user_key, static_cast<int32_t>(users_.size()));
  if (new_user) users_.emplace_back(user_key);
  const uint64_t user = static_cast<uint32_t>(user_it->second);
  const uint64_t item = static_cast<uint32_t>(items_.Add(item_id));
  Cell& cell = cells_[(user << 32) | item];
  cell.weight += weights_.EventWeight(event_type, time, as_of_);
  if (event_type == weights_.purchase_type) cell.purchased = true;
  ++stats_.events_used;
  return absl::OkStatus();
}

InteractionData InteractionMatrixBuilder::Build() {
  InteractionData data;
  data.purchased.resize(users_.size());
  std::vector<InteractionMatrix::Entry> entries;
  entries.reserve(cells_.size());
  for (const auto& [key, cell] : cells_) {
    const auto user = static_cast<int32_t>(key >> 32);
    const auto item = static_cast<int32_t>(key & 0xffffffffu);
    const double weight = Cap(cell.weight, weights_.max_weight);
    entries.push_back({.user = user, .item = item, .weight = static_cast<float>(weight)});
    if (cell.purchased) data.purchased[static_cast<size_t>(user)].push_back(item);
  }
  for (std::vector<int32_t>& bought : data.purchased) std::sort(bought.begin(), bought.end());
  // Entries are valid by construction (indices from the vocabularies, weights >= 0, finite).
  data.matrix =
      *InteractionMatrix::FromEntries(static_cast<int32_t>(users_.size()), items_.size(), entries);
  data.items = std::move(items_);
  data.users = std::move(users_);
  items_ = ItemVocabulary();
  users_.clear();
  user_index_.clear();
  cells_.clear();
  return data;
}

std::vector<HistoryItem> BuildHistory(absl::Span<const InteractionEvent> events,
                                      const ItemVocabulary& items,
                                      const InteractionWeights& weights, absl::Time as_of) {
  struct Totals {
    double weight = 0;
    bool purchased = false;
  };
  absl::flat_hash_map<int32_t, Totals> by_item;
  for (const InteractionEvent& event : events) {
    if (!weights.by_type.contains(event.type)) continue;
    std::optional<int32_t> item = items.Find(event.item_id);
    if (!item.has_value()) continue;
    Totals& totals = by_item[*item];
    totals.weight += weights.EventWeight(event.type, event.time, as_of);
    if (event.type == weights.purchase_type) totals.purchased = true;
  }
  std::vector<HistoryItem> history;
  history.reserve(by_item.size());
  for (const auto& [item, totals] : by_item) {
    history.push_back({.item = item,
                       .weight = static_cast<float>(Cap(totals.weight, weights.max_weight)),
                       .purchased = totals.purchased});
  }
  std::sort(history.begin(), history.end(),
            [](const HistoryItem& a, const HistoryItem& b) { return a.item < b.item; });
  return history;
}

}  // namespace cohort::models::recommend
