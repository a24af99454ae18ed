// RFM segments, k-means and behavioural clusters (models/segmentation/).
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "models/metrics/clustering.h"
#include "models/segmentation/cluster_model.h"
#include "models/segmentation/kmeans.h"
#include "models/segmentation/rfm.h"

namespace cohort::models::segmentation {
namespace {

using ::testing::HasSubstr;

// ---------------------------------------------------------------- RFM

std::vector<RfmValues> OneToTen() {
  std::vector<RfmValues> population;
  for (int v = 1; v <= 10; ++v) population.push_back({double(v), double(v), double(v) * 10});
  return population;
}

TEST(RfmTest, QuintileEdgesOfAKnownList) {
  // Sorted 1..10: e_i = sorted[ceil(i * 10 / 5) - 1] = 2, 4, 6, 8.
  absl::StatusOr<RfmModel> model = RfmModel::Fit(OneToTen());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->recency_edges(), (std::array<double, 4>{2, 4, 6, 8}));
  EXPECT_EQ(model->frequency_edges(), (std::array<double, 4>{2, 4, 6, 8}));
  EXPECT_EQ(model->monetary_edges(), (std::array<double, 4>{20, 40, 60, 80}));
  EXPECT_EQ(model->training_size(), 10u);
  // Values 1,2 -> F 1; 3,4 -> 2; ...; 9,10 -> 5. Recency is reversed: 1,2 days -> R 5.
  const int expected_f[] = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5};
  for (int v = 1; v <= 10; ++v) {
    absl::StatusOr<RfmScore> s = model->Score({double(v), double(v), double(v) * 10});
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->frequency, expected_f[v - 1]) << v;
    EXPECT_EQ(s->monetary, expected_f[v - 1]) << v;
    EXPECT_EQ(s->recency, 6 - expected_f[v - 1]) << v;
  }
  // Between and beyond the training values.
  EXPECT_EQ(model->Score({2.5, 2.5, 0})->recency, 4);
  EXPECT_EQ(model->Score({2.5, 2.5, 0})->frequency, 2);
  EXPECT_EQ(model->Score({2.5, 2.5, 0})->monetary, 1);
  EXPECT_EQ(model->Score({0, 1000, 1e9})->Code(), "555");
  EXPECT_EQ(model->Score({std::numeric_limits<double>::infinity(), 0, 0})->Code(), "111");
}

TEST(RfmTest, TiesAreDeterministicAndShareAScore) {
  // Six customers bought once: edges 1, 1, 1, 3. Every frequency-1 customer scores F = 1; a
  // frequency of 2 is above 60% of the population (F = 4), whatever the input order.
  std::vector<RfmValues> population;
  for (double f : {1, 1, 1, 1, 1, 1, 2, 3, 4, 5}) population.push_back({f, f, f});
  absl::StatusOr<RfmModel> model = RfmModel::Fit(population);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->frequency_edges(), (std::array<double, 4>{1, 1, 1, 3}));
  EXPECT_EQ(model->Score({1, 1, 1})->frequency, 1);
  EXPECT_EQ(model->Score({1, 2, 1})->frequency, 4);
  EXPECT_EQ(model->Score({1, 3, 1})->frequency, 4);
  EXPECT_EQ(model->Score({1, 4, 1})->frequency, 5);
  std::vector<RfmValues> reversed(population.rbegin(), population.rend());
  EXPECT_EQ(RfmModel::Fit(reversed)->frequency_edges(), model->frequency_edges());
}

TEST(RfmTest, SegmentGrid) {
  EXPECT_EQ(RfmSegmentFor(5, 5), RfmSegment::kChampions);
  EXPECT_EQ(RfmSegmentFor(4, 4), RfmSegment::kLoyal);
  EXPECT_EQ(RfmSegmentFor(3, 5), RfmSegment::kLoyal);
  EXPECT_EQ(RfmSegmentFor(5, 2), RfmSegment::kPotentialLoyalist);
  EXPECT_EQ(RfmSegmentFor(5, 1), RfmSegment::kNewCustomers);
  EXPECT_EQ(RfmSegmentFor(4, 1), RfmSegment::kPromising);
  EXPECT_EQ(RfmSegmentFor(3, 3), RfmSegment::kNeedAttention);
  EXPECT_EQ(RfmSegmentFor(3, 2), RfmSegment::kAboutToSleep);
  EXPECT_EQ(RfmSegmentFor(2, 3), RfmSegment::kAtRisk);
  EXPECT_EQ(RfmSegmentFor(1, 5), RfmSegment::kCannotLoseThem);
  EXPECT_EQ(RfmSegmentFor(2, 1), RfmSegment::kHibernating);
  EXPECT_EQ(RfmSegmentFor(1, 2), RfmSegment::kLost);
  // FM rounds half up: F 5, M 4 -> FM 5; F 1, M 2 -> FM 2.
  EXPECT_EQ(RfmFmScore(5, 4), 5);
  EXPECT_EQ(RfmFmScore(1, 2), 2);
  EXPECT_EQ(RfmFmScore(3, 3), 3);
  // Every segment is reachable and every name is distinct.
  std::set<RfmSegment> seen;
  for (int r = 1; r <= 5; ++r) {
    for (int fm = 1; fm <= 5; ++fm) seen.insert(RfmSegmentFor(r, fm));
  }
  EXPECT_EQ(seen.size(), size_t(kRfmSegmentCount));
  std::set<std::string> names;
  for (RfmSegment s : seen) names.insert(std::string(RfmSegmentName(s)));
  EXPECT_EQ(names.size(), size_t(kRfmSegmentCount));
  EXPECT_EQ(RfmSegmentName(RfmSegment::kCannotLoseThem), "Cannot Lose Them");
}

TEST(RfmTest, ScoredSegments) {
  absl::StatusOr<RfmModel> model = RfmModel::Fit(OneToTen());
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->Score({1, 10, 100})->segment, RfmSegment::kChampions);
  EXPECT_EQ(model->Score({10, 10, 100})->segment, RfmSegment::kCannotLoseThem);
  EXPECT_EQ(model->Score({1, 1, 10})->segment, RfmSegment::kNewCustomers);
  EXPECT_EQ(model->Score({10, 1, 10})->segment, RfmSegment::kLost);
}

TEST(RfmTest, RefusesBadValues) {
  EXPECT_EQ(RfmModel::Fit({{1, 1, 1}, {2, 2, 2}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<RfmValues> bad = OneToTen();
  bad[3].monetary = -1;
  EXPECT_EQ(RfmModel::Fit(bad).status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<RfmModel> model = RfmModel::Fit(OneToTen());
  EXPECT_EQ(model->Score({NAN, 1, 1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(model->Score({1, std::numeric_limits<double>::infinity(), 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RfmModel::FromEdges({4, 3, 2, 1}, {1, 2, 3, 4}, {1, 2, 3, 4}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RfmTest, SerializationRoundTripAndCorruption) {
  absl::StatusOr<RfmModel> model = RfmModel::Fit(OneToTen());
  ASSERT_TRUE(model.ok());
  const std::string bytes = model->Serialize();
  absl::StatusOr<RfmModel> loaded = RfmModel::Deserialize(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  for (double v = 0; v <= 12; v += 0.5) {
    EXPECT_EQ(loaded->Score({v, v, v * 10})->Code(), model->Score({v, v, v * 10})->Code());
  }
  EXPECT_EQ(loaded->training_size(), 10u);

  std::string flipped = bytes;
  flipped.back() ^= 0x01;
  EXPECT_EQ(RfmModel::Deserialize(flipped).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(RfmModel::Deserialize(bytes.substr(0, bytes.size() - 3)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(RfmModel::Deserialize(bytes.substr(0, 10)).status().code(),
            absl::StatusCode::kDataLoss);
  absl::Status garbage = RfmModel::Deserialize("hello, world, this is not a model").status();
  EXPECT_EQ(garbage.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(garbage.message()), HasSubstr("not a Cohort model artifact"));
  std::string newer = bytes;
  newer[8] = 9;  // format version 9
  absl::Status version = RfmModel::Deserialize(newer).status();
  EXPECT_EQ(version.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(version.message()), HasSubstr("version 9"));
}

// ---------------------------------------------------------------- k-means

// Three well-separated 2-D blobs of `per_blob` points; labels 0, 1, 2 by blob.
Eigen::MatrixXd Blobs(int per_blob, std::vector<int32_t>& truth, uint64_t seed = 1) {
  const double centers[3][2] = {{0, 0}, {10, 10}, {-10, 10}};
  std::mt19937_64 rng(seed);
  Eigen::MatrixXd x(3 * per_blob, 2);
  truth.clear();
  for (int i = 0; i < 3 * per_blob; ++i) {
    const int blob = i % 3;
    for (int j = 0; j < 2; ++j) {
      x(i, j) = centers[blob][j] + (static_cast<double>(rng() % 2001) / 1000.0 - 1.0);
    }
    truth.push_back(blob);
  }
  return x;
}

TEST(KMeansTest, RecoversSeparableBlobs) {
  std::vector<int32_t> truth;
  const Eigen::MatrixXd x = Blobs(50, truth);
  absl::StatusOr<KMeansResult> result = KMeans(x, {.k = 3, .restarts = 5, .seed = 3});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->converged);
  EXPECT_DOUBLE_EQ(*metrics::AdjustedRandIndex(truth, result->labels), 1.0);
  // Labels are the nearest centroids, and the inertia is their squared distance sum.
  double inertia = 0;
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    double d2 = 0;
    EXPECT_EQ(NearestCentroid(result->centroids, x.row(i).transpose(), &d2),
              result->labels[static_cast<size_t>(i)]);
    inertia += d2;
  }
  EXPECT_NEAR(inertia, result->inertia, 1e-9);
}

TEST(KMeansTest, DeterministicForASeed) {
  std::vector<int32_t> truth;
  const Eigen::MatrixXd x = Blobs(40, truth);
  absl::StatusOr<KMeansResult> a = KMeans(x, {.k = 5, .restarts = 3, .seed = 11});
  absl::StatusOr<KMeansResult> b = KMeans(x, {.k = 5, .restarts = 3, .seed = 11});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->labels, b->labels);
  EXPECT_EQ(a->centroids, b->centroids);
  EXPECT_EQ(SampleIndices(100, 10, 5), SampleIndices(100, 10, 5));
  EXPECT_EQ(SampleIndices(100, 10, 5).size(), 10u);
  EXPECT_EQ(SampleIndices(3, 10, 5), (std::vector<size_t>{0, 1, 2}));
}

TEST(KMeansTest, RefusesImpossibleK) {
  Eigen::MatrixXd same(4, 1);
  same << 1, 1, 2, 2;
  EXPECT_EQ(KMeans(same, {.k = 3}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(KMeans(same, {.k = 5}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(KMeans(same, {.k = 0}).status().code(), absl::StatusCode::kInvalidArgument);
  same(0, 0) = NAN;
  EXPECT_EQ(KMeans(same, {.k = 2}).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- behavioural clusters

// Three customer behaviours on (purchases_90d, recency_days, email_opens) with very different
// scales, so standardization matters.
Eigen::MatrixXd Behaviours(std::vector<int32_t>& truth) {
  const double centers[3][3] = {{12, 5, 3}, {1, 200, 2}, {2, 30, 40}};
  std::mt19937_64 rng(7);
  const int n = 240;
  Eigen::MatrixXd x(n, 3);
  truth.clear();
  for (int i = 0; i < n; ++i) {
    const int c = i % 3;
    for (int j = 0; j < 3; ++j) {
      const double spread = 0.05 * (centers[c][j] + 1.0);
      x(i, j) = centers[c][j] + spread * (static_cast<double>(rng() % 2001) / 1000.0 - 1.0);
    }
    truth.push_back(c);
  }
  return x;
}

TEST(ClusterModelTest, ChoosesThreeClustersAndDescribesThem) {
  std::vector<int32_t> truth;
  const Eigen::MatrixXd x = Behaviours(truth);
  absl::StatusOr<ClusterModel> model = ClusterModel::Fit(
      x, {"purchases_90d", "recency_days", "email_opens"}, {.min_k = 2, .max_k = 6, .seed = 1});
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->k(), 3);
  ASSERT_EQ(model->k_scores().size(), 5u);  // k = 2..6
  for (const KScore& s : model->k_scores()) {
    if (s.k != 3) {
      EXPECT_LT(s.silhouette, model->silhouette()) << s.k;
    }
  }
  EXPECT_GT(model->silhouette(), 0.8);
  std::vector<int32_t> assigned;
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const std::vector<double> row = {x(i, 0), x(i, 1), x(i, 2)};
    absl::StatusOr<ClusterAssignment> a = model->Assign(row);
    ASSERT_TRUE(a.ok()) << a.status();
    assigned.push_back(a->cluster);
  }
  EXPECT_DOUBLE_EQ(*metrics::AdjustedRandIndex(truth, assigned), 1.0);
  uint64_t total = 0;
  for (uint64_t size : model->cluster_sizes()) {
    EXPECT_EQ(size, 80u);
    total += size;
  }
  EXPECT_EQ(total, 240u);
  // The frequent, recent buyers: high purchases_90d first, low recency_days among the top.
  const ClusterDescription& buyers = model->descriptions()[static_cast<size_t>(assigned[0])];
  ASSERT_FALSE(buyers.top.empty());
  EXPECT_EQ(buyers.top[0].feature, 0u);
  EXPECT_GT(buyers.top[0].z, 0);
  EXPECT_THAT(buyers.text, HasSubstr("high purchases_90d"));
  EXPECT_THAT(buyers.text, HasSubstr("low recency_days"));
  const ClusterDescription& lapsed = model->descriptions()[static_cast<size_t>(assigned[1])];
  EXPECT_EQ(lapsed.top[0].feature, 1u);
  EXPECT_THAT(lapsed.text, HasSubstr("high recency_days"));
  const ClusterDescription& readers = model->descriptions()[static_cast<size_t>(assigned[2])];
  EXPECT_EQ(readers.top[0].feature, 2u);
  EXPECT_THAT(readers.text, HasSubstr("high email_opens"));
}

TEST(ClusterModelTest, AssignHandlesMissingAndWrongInput) {
  std::vector<int32_t> truth;
  absl::StatusOr<ClusterModel> model = ClusterModel::Fit(Behaviours(truth), {}, {.max_k = 4});
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->feature_names()[2], "f2");
  // Exactly the population mean is at distance |centroid| from the centroid it picks.
  absl::StatusOr<ClusterAssignment> mean = model->Assign({NAN, NAN, NAN});
  ASSERT_TRUE(mean.ok());
  EXPECT_NEAR(mean->distance, model->centroids().row(mean->cluster).norm(), 1e-12);
  EXPECT_EQ(model->Assign({1, 2}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(model->Assign({1, 2, INFINITY}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ClusterModelTest, SerializationRoundTripAndCorruption) {
  std::vector<int32_t> truth;
  const Eigen::MatrixXd x = Behaviours(truth);
  absl::StatusOr<ClusterModel> model =
      ClusterModel::Fit(x, {"purchases_90d", "recency_days", "email_opens"}, {.max_k = 4});
  ASSERT_TRUE(model.ok());
  const std::string bytes = model->Serialize();
  absl::StatusOr<ClusterModel> loaded = ClusterModel::Deserialize(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const std::vector<double> row = {x(i, 0), x(i, 1), x(i, 2) + 0.37};
    EXPECT_EQ(loaded->Assign(row)->cluster, model->Assign(row)->cluster);
    EXPECT_EQ(loaded->Assign(row)->distance, model->Assign(row)->distance);
  }
  ASSERT_EQ(loaded->descriptions().size(), model->descriptions().size());
  for (size_t c = 0; c < model->descriptions().size(); ++c) {
    EXPECT_EQ(loaded->descriptions()[c].text, model->descriptions()[c].text);
  }
  EXPECT_EQ(loaded->cluster_sizes(), model->cluster_sizes());
  EXPECT_EQ(loaded->silhouette(), model->silhouette());
  EXPECT_EQ(loaded->k_scores().size(), model->k_scores().size());

  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  EXPECT_EQ(ClusterModel::Deserialize(flipped).status().code(), absl::StatusCode::kDataLoss);
  // An RFM artifact is not a cluster model.
  absl::Status wrong = ClusterModel::Deserialize(RfmModel::Fit(OneToTen())->Serialize()).status();
  EXPECT_EQ(wrong.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(wrong.message()), HasSubstr("RFMQ"));
  EXPECT_EQ(ClusterModel::Deserialize("").status().code(), absl::StatusCode::kInvalidArgument);
}

// Two groups that differ by a factor (10x the purchases), each spread multiplicatively, and a
// handful of extreme spenders: raw standardization splits off the extremes, log1p finds the
// two groups. The transform is stored, so Assign on raw values agrees after a round trip.
TEST(ClusterModelTest, Log1pTransformFindsMultiplicativeGroups) {
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> spread(0.0, 0.35);
  std::vector<int32_t> truth;
  Eigen::MatrixXd x(400, 2);
  for (Eigen::Index i = 0; i < 400; ++i) {
    const int32_t group = i < 200 ? 0 : 1;
    const double scale = group == 0 ? 3.0 : 30.0;
    x(i, 0) = scale * spread(rng);         // purchases
    x(i, 1) = 20.0 * scale * spread(rng);  // spend
    if (i % 100 == 99) x(i, 1) *= 40.0;    // a few extreme spenders
    truth.push_back(group);
  }
  const std::vector<FeatureTransform> log1p(2, FeatureTransform::kLog1p);
  absl::StatusOr<ClusterModel> model = ClusterModel::Fit(
      x, {"purchases", "spend"}, {.transforms = log1p, .min_k = 2, .max_k = 4, .seed = 3});
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->k(), 2);
  EXPECT_EQ(model->transforms(), log1p);
  absl::StatusOr<ClusterModel> loaded = ClusterModel::Deserialize(model->Serialize());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->transforms(), log1p);
  std::vector<int32_t> assigned;
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const std::vector<double> row = {x(i, 0), x(i, 1)};
    absl::StatusOr<ClusterAssignment> a = model->Assign(row);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(loaded->Assign(row)->cluster, a->cluster);
    EXPECT_EQ(loaded->Assign(row)->distance, a->distance);
    assigned.push_back(a->cluster);
  }
  EXPECT_GT(*metrics::AdjustedRandIndex(truth, assigned), 0.9);
  // The means are of the transformed features.
  EXPECT_NEAR(model->means()[0], x.col(0).array().log1p().mean(), 1e-9);

  absl::StatusOr<ClusterModel> raw =
      ClusterModel::Fit(x, {"purchases", "spend"}, {.min_k = 2, .max_k = 4, .seed = 3});
  ASSERT_TRUE(raw.ok());
  std::vector<int32_t> raw_assigned;
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    raw_assigned.push_back(raw->Assign(std::vector<double>{x(i, 0), x(i, 1)})->cluster);
  }
  EXPECT_LT(*metrics::AdjustedRandIndex(truth, raw_assigned),
            *metrics::AdjustedRandIndex(truth, assigned));
}

TEST(ClusterModelTest, TransformsAreCheckedAndMissingValuesImputed) {
  std::vector<int32_t> truth;
  Eigen::MatrixXd x = Behaviours(truth);
  EXPECT_EQ(ClusterModel::Fit(x, {}, {.transforms = {FeatureTransform::kLog1p}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A NaN at training is imputed with its (transformed) column mean, as Assign does.
  x(0, 0) = NAN;
  absl::StatusOr<ClusterModel> model = ClusterModel::Fit(
      x, {},
      {.transforms = std::vector<FeatureTransform>(3, FeatureTransform::kLog1p), .max_k = 4});
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_TRUE(model->means().allFinite());
  x(0, 0) = INFINITY;
  EXPECT_EQ(ClusterModel::Fit(x, {}, {.max_k = 4}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ClusterModelTest, RefusesBadOptionsAndData) {
  std::vector<int32_t> truth;
  const Eigen::MatrixXd x = Behaviours(truth);
  EXPECT_EQ(ClusterModel::Fit(x, {}, {.min_k = 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ClusterModel::Fit(x, {"a"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ClusterModel::Fit(x.topRows(2), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cohort::models::segmentation
