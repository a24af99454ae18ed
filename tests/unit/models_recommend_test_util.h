// Small fixtures shared by the models_recommend* tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "models/recommend/interaction_matrix.h"
#include "models/recommend/types.h"

namespace cohort::models::recommend::test_util {

// A users x items matrix from dense rows (0 = no interaction).
inline InteractionMatrix Dense(const std::vector<std::vector<float>>& rows) {
  std::vector<InteractionMatrix::Entry> entries;
  const auto items = static_cast<int32_t>(rows.empty() ? 0 : rows[0].size());
  for (size_t u = 0; u < rows.size(); ++u) {
    for (size_t i = 0; i < rows[u].size(); ++i) {
      if (rows[u][i] != 0) {
        entries.push_back({static_cast<int32_t>(u), static_cast<int32_t>(i), rows[u][i]});
      }
    }
  }
  absl::StatusOr<InteractionMatrix> m =
      InteractionMatrix::FromEntries(static_cast<int32_t>(rows.size()), items, entries);
  EXPECT_TRUE(m.ok()) << m.status();
  return *std::move(m);
}

// The item indices of `recs`, in order.
inline std::vector<int32_t> Items(const std::vector<Recommendation>& recs) {
  std::vector<int32_t> items;
  for (const Recommendation& r : recs) items.push_back(r.item);
  return items;
}

inline bool Contains(const std::vector<int32_t>& items, int32_t item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// Planted blocks: users [0, 24) interact with items [0, 10), users [24, 40) with items
// [10, 20); each user skips three items of their block, in a rotating pattern. The blocks
// differ in size so that no factorization may mix them (equal blocks would be degenerate).
inline constexpr int kLeftUsers = 24;
inline int BlockOfUser(int user) { return user < kLeftUsers ? 0 : 1; }
inline int BlockOfItem(int item) { return item < 10 ? 0 : 1; }

inline InteractionMatrix PlantedBlocks() {
  std::vector<std::vector<float>> rows(40, std::vector<float>(20, 0));
  for (int u = 0; u < 40; ++u) {
    const int base = 10 * BlockOfUser(u);
    for (int j = 0; j < 10; ++j) {
      const int skip = (j - u % 10 + 10) % 10;
      if (skip >= 3) rows[u][base + j] = 1.0f + static_cast<float>((u + j) % 3);
    }
  }
  return Dense(rows);
}

}  // namespace cohort::models::recommend::test_util
