// Classification metrics against hand-computed values (models/metrics/classification.h).
#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "models/metrics/classification.h"

namespace cohort::models::metrics {
namespace {

TEST(RocAucTest, MatchesHandComputedValue) {
  // Positives 0.35, 0.8; negatives 0.1, 0.4: 3 of 4 pairs ordered correctly.
  absl::StatusOr<double> auc = RocAuc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1});
  ASSERT_TRUE(auc.ok()) << auc.status();
  EXPECT_DOUBLE_EQ(*auc, 0.75);
}

TEST(RocAucTest, TiesCountHalf) {
  // Positives 0.6, 0.9; negatives 0.2, 0.6: pairs 1 + 0.5 + 1 + 1 = 3.5 of 4.
  EXPECT_DOUBLE_EQ(*RocAuc({0.2, 0.6, 0.6, 0.9}, {0, 0, 1, 1}), 0.875);
  EXPECT_DOUBLE_EQ(*RocAuc({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1}), 0.5);
  EXPECT_DOUBLE_EQ(*RocAuc({3, 2, 1}, {1, 0, 0}), 1.0);
  EXPECT_DOUBLE_EQ(*RocAuc({3, 2, 1}, {0, 1, 1}), 0.0);
}

TEST(RocAucTest, RefusesBadInput) {
  EXPECT_EQ(RocAuc({0.1, 0.2}, {1, 1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RocAuc({0.1, 0.2}, {1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RocAuc({0.1, 0.2}, {1, 2}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RocAuc({NAN, 0.2}, {1, 0}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RocAuc({}, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LogLossTest, MatchesHandComputedValue) {
  const double expected = -(std::log(0.9) + std::log(0.8)) / 2;  // 0.16425203...
  EXPECT_NEAR(*LogLoss({0.9, 0.2}, {1, 0}), expected, 1e-15);
  EXPECT_NEAR(expected, 0.164252033486018, 1e-12);
}

TEST(LogLossTest, ClipsConfidentMistakes) {
  // Both predictions are certain and wrong: each costs -log(eps).
  EXPECT_NEAR(*LogLoss({1.0, 0.0}, {0, 1}), -std::log(1e-15), 1e-9);
  EXPECT_NEAR(*LogLoss({1.0, 0.0}, {0, 1}, 1e-3), -std::log(1e-3), 1e-12);
  EXPECT_NEAR(*LogLoss({1.0, 0.0}, {1, 0}), -std::log(1 - 1e-15), 1e-12);
  EXPECT_EQ(LogLoss({0.5}, {1}, 0.0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LogLoss({1.5}, {1}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BrierScoreTest, MatchesHandComputedValue) {
  // (0.1^2 + 0.2^2 + 0.5^2) / 3 = 0.3 / 3.
  EXPECT_NEAR(*BrierScore({0.9, 0.2, 0.5}, {1, 0, 1}), 0.1, 1e-15);
  EXPECT_DOUBLE_EQ(*BrierScore({1, 0}, {1, 0}), 0.0);
}

TEST(CalibrationTableTest, UniformBinsAndEce) {
  const std::vector<double> p = {0.05, 0.15, 0.15, 0.95};
  const std::vector<double> y = {0, 1, 0, 1};
  absl::StatusOr<std::vector<CalibrationBin>> table =
      CalibrationTable(p, y, 10, CalibrationBinning::kUniform);
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->size(), 10u);
  EXPECT_EQ((*table)[0].count, 1u);
  EXPECT_DOUBLE_EQ((*table)[0].mean_predicted, 0.05);
  EXPECT_DOUBLE_EQ((*table)[0].observed_rate, 0.0);
  EXPECT_EQ((*table)[1].count, 2u);
  EXPECT_DOUBLE_EQ((*table)[1].mean_predicted, 0.15);
  EXPECT_DOUBLE_EQ((*table)[1].observed_rate, 0.5);
  EXPECT_DOUBLE_EQ((*table)[1].lower, 0.1);
  EXPECT_DOUBLE_EQ((*table)[1].upper, 0.2);
  EXPECT_EQ((*table)[5].count, 0u);
  EXPECT_EQ((*table)[9].count, 1u);
  // ECE = (1 * 0.05 + 2 * 0.35 + 1 * 0.05) / 4 = 0.2.
  EXPECT_NEAR(*ExpectedCalibrationError(p, y), 0.2, 1e-12);
}

TEST(CalibrationTableTest, ProbabilityOneFallsInLastUniformBin) {
  absl::StatusOr<std::vector<CalibrationBin>> table =
      CalibrationTable({1.0, 0.0}, {1, 0}, 4, CalibrationBinning::kUniform);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ((*table)[3].count, 1u);
  EXPECT_EQ((*table)[0].count, 1u);
  EXPECT_DOUBLE_EQ(*ExpectedCalibrationError({1.0, 0.0}, {1, 0}, 4), 0.0);
}

TEST(CalibrationTableTest, QuantileDecilesHaveEqualCounts) {
  std::vector<double> p, y;
  for (int i = 0; i < 20; ++i) {
    p.push_back((i + 0.5) / 20.0);
    y.push_back(i % 2);
  }
  absl::StatusOr<std::vector<CalibrationBin>> table = CalibrationTable(p, y);  // deciles
  ASSERT_TRUE(table.ok());
  ASSERT_EQ(table->size(), 10u);
  for (size_t b = 0; b < 10; ++b) {
    EXPECT_EQ((*table)[b].count, 2u) << b;
    EXPECT_DOUBLE_EQ((*table)[b].observed_rate, 0.5);
    EXPECT_DOUBLE_EQ((*table)[b].lower, p[2 * b]);
    EXPECT_DOUBLE_EQ((*table)[b].upper, p[2 * b + 1]);
    EXPECT_NEAR((*table)[b].mean_predicted, (p[2 * b] + p[2 * b + 1]) / 2, 1e-15);
  }
}

TEST(CalibrationTableTest, QuantileKeepsTiesTogether) {
  absl::StatusOr<std::vector<CalibrationBin>> table =
      CalibrationTable({0.1, 0.9, 0.1, 0.1}, {0, 1, 1, 0}, 2, CalibrationBinning::kQuantile);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ((*table)[0].count, 3u);
  EXPECT_NEAR((*table)[0].observed_rate, 1.0 / 3, 1e-15);
  EXPECT_EQ((*table)[1].count, 1u);
  EXPECT_EQ(CalibrationTable({0.1}, {0}, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cohort::models::metrics
