// Clustering metrics against hand-computed values (models/metrics/clustering.h).
#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "models/metrics/clustering.h"

namespace cohort::models::metrics {
namespace {

Eigen::MatrixXd Column(const std::vector<double>& values) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(values.size()), 1);
  for (size_t i = 0; i < values.size(); ++i) m(static_cast<Eigen::Index>(i), 0) = values[i];
  return m;
}

TEST(SilhouetteTest, MatchesHandComputedValue) {
  // Clusters {0, 1} and {4, 5} on a line. Every a(i) = 1; b = 4.5 for the outer points and
  // 3.5 for the inner ones: s = 3.5/4.5 = 7/9 and 2.5/3.5 = 5/7; mean = (7/9 + 5/7) / 2.
  const Eigen::MatrixXd points = Column({0, 1, 4, 5});
  const std::vector<int32_t> labels = {0, 0, 1, 1};
  absl::StatusOr<std::vector<double>> samples = SilhouetteSamples(points, labels);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_NEAR((*samples)[0], 7.0 / 9, 1e-15);
  EXPECT_NEAR((*samples)[1], 5.0 / 7, 1e-15);
  EXPECT_NEAR((*samples)[2], 5.0 / 7, 1e-15);
  EXPECT_NEAR((*samples)[3], 7.0 / 9, 1e-15);
  EXPECT_NEAR(*Silhouette(points, labels), (7.0 / 9 + 5.0 / 7) / 2, 1e-15);  // 0.746031...
}

TEST(SilhouetteTest, SingletonScoresZeroAndLabelsNeedNotBeContiguous) {
  // {0, 1} and {10}: s = 9/10, 8/9 and 0 for the singleton.
  EXPECT_NEAR(*Silhouette(Column({0, 1, 10}), {7, 7, 3}), (0.9 + 8.0 / 9) / 3, 1e-15);
}

TEST(SilhouetteTest, TwoDimensionalEuclidean) {
  // Squares of side 1 at (0,0) and (0,10): a = 1, b = mean(10, sqrt(101)).
  Eigen::MatrixXd points(4, 2);
  points << 0, 0, 1, 0, 0, 10, 1, 10;
  const double b = (10 + std::sqrt(101.0)) / 2;
  EXPECT_NEAR(*Silhouette(points, {0, 0, 1, 1}), (b - 1) / b, 1e-14);
}

TEST(SilhouetteTest, RefusesUndefinedCases) {
  EXPECT_EQ(Silhouette(Column({0, 1, 2}), {0, 0, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);  // one cluster
  EXPECT_EQ(Silhouette(Column({0, 1, 2}), {0, 1, 2}).status().code(),
            absl::StatusCode::kInvalidArgument);  // n clusters
  EXPECT_EQ(Silhouette(Column({0, 1}), {0}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Silhouette(Column({0, 1, 2}), {0, -1, 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SampledSilhouetteTest, EqualsExactWhenSampleCoversData) {
  const Eigen::MatrixXd points = Column({0, 1, 4, 5});
  EXPECT_DOUBLE_EQ(*SampledSilhouette(points, {0, 0, 1, 1}, 4, 7),
                   *Silhouette(points, {0, 0, 1, 1}));
  EXPECT_DOUBLE_EQ(*SampledSilhouette(points, {0, 0, 1, 1}, 100, 7),
                   *Silhouette(points, {0, 0, 1, 1}));
}

TEST(SampledSilhouetteTest, DeterministicAndCloseToExact) {
  // 400 points: two tight groups around 0 and 100.
  std::vector<double> values;
  std::vector<int32_t> labels;
  for (int i = 0; i < 400; ++i) {
    values.push_back((i % 2) * 100.0 + (i % 17) * 0.1);
    labels.push_back(i % 2);
  }
  const Eigen::MatrixXd points = Column(values);
  const double exact = *Silhouette(points, labels);
  absl::StatusOr<double> a = SampledSilhouette(points, labels, 60, 42);
  absl::StatusOr<double> b = SampledSilhouette(points, labels, 60, 42);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, *b);  // same seed, same sample
  EXPECT_NEAR(*a, exact, 0.01);
  EXPECT_EQ(SampledSilhouette(points, labels, 1, 42).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AdjustedRandIndexTest, MatchesHandComputedValues) {
  EXPECT_DOUBLE_EQ(*AdjustedRandIndex({0, 0, 1, 1}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(*AdjustedRandIndex({0, 0, 1, 1}, {5, 5, 2, 2}), 1.0);  // renamed labels
  // Contingency {(0,0):2, (1,1):1, (2,1):1}: index 1, expected 1/3, max 3/2 -> 4/7.
  EXPECT_NEAR(*AdjustedRandIndex({0, 0, 1, 2}, {0, 0, 1, 1}), 4.0 / 7, 1e-15);
  // No agreeing pair: (0 - 2/3) / (2 - 2/3) = -1/2.
  EXPECT_NEAR(*AdjustedRandIndex({0, 0, 1, 1}, {0, 1, 0, 1}), -0.5, 1e-15);
  EXPECT_DOUBLE_EQ(*AdjustedRandIndex({0, 0, 0, 0}, {0, 1, 2, 3}), 0.0);
  EXPECT_DOUBLE_EQ(*AdjustedRandIndex({0, 0, 0}, {4, 4, 4}), 1.0);  // both one cluster
  EXPECT_DOUBLE_EQ(*AdjustedRandIndex({0, 1, 2}, {2, 1, 0}), 1.0);  // both all singletons
  EXPECT_DOUBLE_EQ(*AdjustedRandIndex({1000000, 7}, {3, 9}), 1.0);  // sparse labels are fine
}

TEST(AdjustedRandIndexTest, RefusesBadInput) {
  EXPECT_EQ(AdjustedRandIndex({0, 1}, {0}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AdjustedRandIndex({}, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AdjustedRandIndex({0, -1}, {0, 0}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ClusterSizesTest, CountsPerLabel) {
  EXPECT_EQ(*ClusterSizes({2, 0, 2, 2}), (std::vector<size_t>{1, 0, 3}));
  EXPECT_EQ(ClusterSizes({-3}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cohort::models::metrics
