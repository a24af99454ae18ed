// Ranking metrics (models/metrics/ranking.h) against hand-computed values.
#include <cmath>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "models/metrics/ranking.h"

namespace cohort::models::metrics {
namespace {

constexpr double kTol = 1e-9;

// ranked 1..5, relevant {1, 3, 6}: hits at ranks 1 and 3.
const std::vector<int32_t> kRanked = {1, 2, 3, 4, 5};
const std::vector<int32_t> kRelevant = {1, 3, 6};

TEST(RankingMetricsTest, PrecisionAndRecall) {
  EXPECT_NEAR(PrecisionAtK(kRanked, kRelevant, 5), 2.0 / 5, kTol);
  EXPECT_NEAR(RecallAtK(kRanked, kRelevant, 5), 2.0 / 3, kTol);
  EXPECT_NEAR(PrecisionAtK(kRanked, kRelevant, 2), 1.0 / 2, kTol);
  EXPECT_NEAR(RecallAtK(kRanked, kRelevant, 2), 1.0 / 3, kTol);
  // A list shorter than k is not padded: precision still divides by k.
  EXPECT_NEAR(PrecisionAtK({1}, kRelevant, 4), 1.0 / 4, kTol);
}

TEST(RankingMetricsTest, NdcgOfAKnownRanking) {
  // DCG@5 = 1/log2(2) + 1/log2(4) = 1.5; IDCG@5 (3 relevant) = 1 + 1/log2(3) + 1/log2(4).
  const double idcg = 1.0 + 1.0 / std::log2(3.0) + 0.5;
  EXPECT_NEAR(NdcgAtK(kRanked, kRelevant, 5), 1.5 / idcg, kTol);
  EXPECT_NEAR(NdcgAtK(kRanked, kRelevant, 5), 0.703918, 1e-6);
  // k = 2: DCG = 1, IDCG = 1 + 1/log2(3).
  EXPECT_NEAR(NdcgAtK(kRanked, kRelevant, 2), 1.0 / (1.0 + 1.0 / std::log2(3.0)), kTol);
  // Perfect ranking scores 1; no hit scores 0.
  EXPECT_NEAR(NdcgAtK({3, 1, 6}, kRelevant, 3), 1.0, kTol);
  EXPECT_NEAR(NdcgAtK({7, 8}, kRelevant, 2), 0.0, kTol);
}

TEST(RankingMetricsTest, AveragePrecisionNormalisedByMinKAndRelevant) {
  // Hits at ranks 1 and 3: (1/1 + 2/3) / min(5, 3).
  EXPECT_NEAR(AveragePrecisionAtK(kRanked, kRelevant, 5), (1.0 + 2.0 / 3) / 3, kTol);
  // k = 2: one hit at rank 1, normalised by min(2, 3) = 2.
  EXPECT_NEAR(AveragePrecisionAtK(kRanked, kRelevant, 2), 1.0 / 2, kTol);
  // One relevant item found at rank 2: AP = 1/2 whatever k >= 2.
  EXPECT_NEAR(AveragePrecisionAtK({9, 4, 8}, {4}, 3), 0.5, kTol);
}

TEST(RankingMetricsTest, RepeatedItemsCountOnce) {
  // [1, 1, 3] with relevant {1, 3}: hits at ranks 1 and 3 only.
  EXPECT_NEAR(PrecisionAtK({1, 1, 3}, {1, 3}, 3), 2.0 / 3, kTol);
  EXPECT_NEAR(AveragePrecisionAtK({1, 1, 3}, {1, 3}, 3), (1.0 + 2.0 / 3) / 2, kTol);
  EXPECT_NEAR(RecallAtK({1, 1}, {1, 1, 3}, 2), 1.0 / 2, kTol);  // relevant is a set
}

TEST(RankingMetricsTest, EvaluateAveragesOverUsersWithCounts) {
  std::vector<UserRanking> users = {
      {kRanked, kRelevant},  // P 0.4, R 2/3, AP 5/9
      {{7, 8, 9}, {9}},      // P 1/5, R 1, AP 1/3
      {{0, 1}, {}},          // no relevant item: skipped, but counts for coverage
      {{4, 5}, {20}},        // no hit
  };
  absl::StatusOr<RankingMetrics> m = EvaluateRanking(users, 5, 20);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->k, 5);
  EXPECT_EQ(m->users_total, 4);
  EXPECT_EQ(m->users_evaluated, 3);
  EXPECT_EQ(m->users_skipped, 1);
  EXPECT_EQ(m->users_with_hit, 2);
  EXPECT_NEAR(m->hit_rate, 2.0 / 3, kTol);
  EXPECT_NEAR(m->precision, (0.4 + 0.2 + 0) / 3, kTol);
  EXPECT_NEAR(m->recall, (2.0 / 3 + 1 + 0) / 3, kTol);
  const double idcg = 1.0 + 1.0 / std::log2(3.0) + 0.5;
  EXPECT_NEAR(m->ndcg, (1.5 / idcg + 1.0 / std::log2(4.0) + 0) / 3, kTol);
  EXPECT_NEAR(m->map, ((1.0 + 2.0 / 3) / 3 + 1.0 / 3 + 0) / 3, kTol);
  // Distinct recommended items in [0, 20): {0, 1, 2, 3, 4, 5, 7, 8, 9}.
  EXPECT_EQ(m->distinct_items_recommended, 9);
  EXPECT_EQ(m->catalogue_size, 20);
  EXPECT_NEAR(m->coverage, 9.0 / 20, kTol);
}

TEST(RankingMetricsTest, CoverageCountsOnlyTheTopKInsideTheCatalogue) {
  std::vector<UserRanking> users = {{{0, 1, 2, 3}, {0}}, {{-1, 1, 99}, {1}}};
  absl::StatusOr<RankingMetrics> m = EvaluateRanking(users, 2, 10);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->distinct_items_recommended, 2);  // 0 and 1; 2, 3 are beyond k, -1 outside
  EXPECT_NEAR(m->coverage, 0.2, kTol);
}

TEST(RankingMetricsTest, EmptyInputAndBadArguments) {
  absl::StatusOr<RankingMetrics> empty = EvaluateRanking({}, 10, 5);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->users_evaluated, 0);
  EXPECT_EQ(empty->precision, 0);
  EXPECT_EQ(empty->coverage, 0);
  EXPECT_EQ(EvaluateRanking({}, 0, 5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EvaluateRanking({}, 5, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cohort::models::metrics
