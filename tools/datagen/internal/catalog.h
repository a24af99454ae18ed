// Internal to cohort-datagen: the synthetic product catalogue.
//
// Items sku-00001.. are spread over the 8 categories; each has a lognormal price (median and
// spread per category), a price tier (tertile of its category's prices), a Zipf popularity
// rank within its category, and belongs to one "complement group" of 1..6 items that tend
// to be viewed and bought together or in sequence. See docs/datagen.md.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "tools/datagen/internal/rng.h"
#include "tools/datagen/vocabulary.h"

namespace cohort::datagen::internal {

struct Item {
  uint8_t category = 0;  // index into kCategoryNames
  uint8_t tier = 0;      // index into kTierNames
  int32_t group = 0;     // complement group
  int64_t price_cents = 0;
  double popularity = 0;  // Zipf weight within the category (1 / rank)
};

// An immutable catalogue. Thread-safe for concurrent reads; sampling takes the caller's Rng.
class Catalog {
 public:
  // Three items per category at least, so every (category, tier) bucket is non-empty.
  static constexpr int32_t kMinItems = 3 * kNumCategories;
  static constexpr int32_t kMaxItems = 1'000'000;

  // Builds the catalogue of `items` (in [kMinItems, kMaxItems]) items; a pure function of
  // (seed, items).
  static Catalog Build(uint64_t seed, int32_t items);

  int32_t size() const { return static_cast<int32_t>(items_.size()); }
  const Item& item(int32_t index) const { return items_[index]; }
  // Digits of the zero-padded number in item ids ("sku-" + number, from 1): at least 5.
  int id_width() const { return id_width_; }

  // An item of `category` and `tier`, drawn by popularity.
  int32_t Sample(int category, int tier, Rng& rng) const;
  // Another member of `item`'s complement group, uniformly; -1 if the group has one item.
  int32_t SampleComplement(int32_t item, Rng& rng) const;

  int32_t num_groups() const { return static_cast<int32_t>(group_offsets_.size()) - 1; }
  absl::Span<const int32_t> GroupMembers(int32_t group) const {
    return absl::MakeConstSpan(group_members_.data() + group_offsets_[group],
                               group_offsets_[group + 1] - group_offsets_[group]);
  }

 private:
  struct Bucket {
    std::vector<int32_t> items;
    std::vector<double> cumulative;  // cumulative popularity, parallel to `items`
  };

  Catalog() = default;
  void BuildGroups(Rng& rng, const std::array<std::vector<int32_t>, kNumCategories>& by_cat);

  std::vector<Item> items_;
  std::array<Bucket, kNumCategories * kNumTiers> buckets_;
  std::vector<int32_t> group_offsets_;  // CSR over group_members_; size num_groups + 1
  std::vector<int32_t> group_members_;
  int id_width_ = 5;
};

}  // namespace cohort::datagen::internal
