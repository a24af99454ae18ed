#include "tools/datagen/internal/catalog.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace cohort::datagen::internal {
namespace {

// Share of the catalogue per category, and the lognormal price of its items (median in
// dollars, sigma of the log).
constexpr std::array<double, kNumCategories> kCategoryShare = {12, 18, 14, 12, 16, 10, 9, 9};
constexpr std::array<double, kNumCategories> kMedianPrice = {150, 40, 60, 25, 6, 50, 25, 15};
constexpr std::array<double, kNumCategories> kPriceSigma = {1.0, 0.6, 0.8, 0.5, 0.5, 0.8, 0.7, 0.4};

// Categories whose complement pieces may merge into one cross-category group.
constexpr std::array<std::pair<int, int>, 4> kComplementPairs = {
    {{0, 2}, {1, 3}, {5, 4}, {6, 7}}};  // electronics-home, apparel-beauty, sports-grocery,
                                        // toys-books
constexpr double kMergeProbability = 0.5;

int64_t PriceCents(double dollars) {
  // Charm pricing: prices of $5 and more end in .99.
  int64_t cents = dollars >= 5.0 ? static_cast<int64_t>(std::floor(dollars + 0.5)) * 100 - 1
                                 : static_cast<int64_t>(std::floor(dollars * 100.0 + 0.5));
  return std::clamp<int64_t>(cents, 49, 9'999'999);
}

template <typename T>
void Shuffle(std::vector<T>& v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.Below(i)]);
}

}  // namespace

Catalog Catalog::Build(uint64_t seed, int32_t items) {
  Catalog c;
  Rng rng = Rng::ForStream(seed, /*stream=*/0, /*index=*/0);
  int digits = 1;
  for (int64_t n = items; n >= 10; n /= 10) ++digits;
  c.id_width_ = std::max(5, digits);

  std::array<double, kNumCategories> share_cum = kCategoryShare;
  Accumulate(share_cum.data(), kNumCategories);
  c.items_.resize(items);
  std::array<std::vector<int32_t>, kNumCategories> by_cat;
  for (int32_t i = 0; i < items; ++i) {
    Item& it = c.items_[i];
    it.category = static_cast<uint8_t>(
        i < kMinItems ? i % kNumCategories : rng.Categorical(share_cum.data(), kNumCategories));
    it.price_cents =
        PriceCents(rng.LogNormal(std::log(kMedianPrice[it.category]), kPriceSigma[it.category]));
    by_cat[it.category].push_back(i);
  }

  for (int cat = 0; cat < kNumCategories; ++cat) {
    std::vector<int32_t> order = by_cat[cat];
    // Zipf popularity: a random rank per item, weight 1 / rank.
    Shuffle(order, rng);
    for (size_t r = 0; r < order.size(); ++r) c.items_[order[r]].popularity = 1.0 / (r + 1.0);
    // Price tiers: tertiles of the category's prices (ties broken by index).
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      const int64_t pa = c.items_[a].price_cents, pb = c.items_[b].price_cents;
      return pa != pb ? pa < pb : a < b;
    });
    for (size_t r = 0; r < order.size(); ++r) {
      c.items_[order[r]].tier = static_cast<uint8_t>(r * kNumTiers / order.size());
    }
  }
  for (int32_t i = 0; i < items; ++i) {
    const Item& it = c.items_[i];
    Bucket& b = c.buckets_[it.category * kNumTiers + it.tier];
    b.items.push_back(i);
    b.cumulative.push_back((b.cumulative.empty() ? 0.0 : b.cumulative.back()) + it.popularity);
  }
  c.BuildGroups(rng, by_cat);
  return c;
}

void Catalog::BuildGroups(Rng& rng,
                          const std::array<std::vector<int32_t>, kNumCategories>& by_cat) {
  // Each category's items, shuffled, are cut into pieces of 2-3 items (the last may be 1).
  std::array<std::vector<std::vector<int32_t>>, kNumCategories> pieces;
  for (int cat = 0; cat < kNumCategories; ++cat) {
    std::vector<int32_t> order = by_cat[cat];
    Shuffle(order, rng);
    for (size_t pos = 0; pos < order.size();) {
      const size_t len = std::min<size_t>(rng.Between(2, 3), order.size() - pos);
      pieces[cat].emplace_back(order.begin() + pos, order.begin() + pos + len);
      pos += len;
    }
  }
  group_offsets_.assign(1, 0);
  auto add_group = [&](const std::vector<int32_t>& a, const std::vector<int32_t>* b) {
    const int32_t group = num_groups();
    for (int32_t i : a) items_[i].group = group, group_members_.push_back(i);
    if (b != nullptr) {
      for (int32_t i : *b) items_[i].group = group, group_members_.push_back(i);
    }
    group_offsets_.push_back(static_cast<int32_t>(group_members_.size()));
  };
  // The j-th pieces of two paired categories merge into one group with kMergeProbability.
  for (const auto& [ca, cb] : kComplementPairs) {
    const size_t na = pieces[ca].size(), nb = pieces[cb].size();
    for (size_t j = 0; j < std::max(na, nb); ++j) {
      if (j < na && j < nb && rng.Bernoulli(kMergeProbability)) {
        add_group(pieces[ca][j], &pieces[cb][j]);
      } else {
        if (j < na) add_group(pieces[ca][j], nullptr);
        if (j < nb) add_group(pieces[cb][j], nullptr);
      }
    }
  }
}

int32_t Catalog::Sample(int category, int tier, Rng& rng) const {
  const Bucket& b = buckets_[category * kNumTiers + tier];
  return b.items[rng.CategoricalLarge(b.cumulative.data(), b.cumulative.size())];
}

int32_t Catalog::SampleComplement(int32_t item, Rng& rng) const {
  absl::Span<const int32_t> members = GroupMembers(items_[item].group);
  if (members.size() < 2) return -1;
  // Uniform over the other members: draw among size - 1 slots, skipping `item`.
  const size_t k = rng.Below(members.size() - 1);
  size_t self = 0;
  while (members[self] != item) ++self;
  return members[k < self ? k : k + 1];
}

}  // namespace cohort::datagen::internal
