// Behavioural clusters: k-means++ on standardized features with k chosen by silhouette, each
// cluster described by its most distinguishing features.
//
// Fit:
//  0. Transform every feature as ClusterOptions::transforms says (log1p tames the heavy tails
//     of counts and money: a customer with 10x the purchases is not 10x as far away).
//  1. Standardize every feature with the population mean and standard deviation (divisor
//     n); a constant feature gets scale 1, so it is always 0 after standardization.
//  2. For each k in [min_k, max_k] run k-means (kmeans.h) with `restarts` seeded restarts
//     and score it with the silhouette on a deterministic sample of `silhouette_sample`
//     points. The k with the highest silhouette wins (ties: the smaller k).
//  3. Describe each cluster by its centroid in standardized units (z): the `top_features`
//     features with the largest |z| (at least `min_abs_z`), e.g. "high purchases_90d, low
//     recency_days"; a cluster with no such feature is "close to average on every feature".
//
// Serving: Assign(features) applies the stored transforms, standardizes with the stored
// mean/std (a NaN feature is imputed
// with the mean, i.e. z = 0) and returns the nearest centroid and the Euclidean distance to
// it in standardized units.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace cohort::models::segmentation {

// How a raw feature value is transformed before standardization. Stored in the model, so
// serving (Assign) transforms exactly as training did.
enum class FeatureTransform : uint32_t {
  kIdentity = 0,
  kLog1p = 1,  // sign(x) * log(1 + |x|): counts, money and day counts
};

struct ClusterOptions {
  // Per-feature transform, in feature order; empty means identity for every feature.
  std::vector<FeatureTransform> transforms = {};
  int32_t min_k = 2;                // smallest k tried (>= 2: silhouette needs two clusters)
  int32_t max_k = 8;                // largest k tried; capped at (fit points - 1)
  int32_t restarts = 5;             // k-means++ restarts per k
  int32_t max_iterations = 300;     // Lloyd iterations per restart
  uint64_t seed = 0;                // seeds k-means, the silhouette sample and the fit sample
  size_t silhouette_sample = 2000;  // silhouette on at most this many points (>= 2)
  // k-means (and the silhouette) run on a deterministic sample of at most this many rows;
  // sizes still count every row. 0 means use every row.
  size_t max_fit_points = 50000;
  int32_t top_features = 3;  // features named per cluster description (>= 1)
  double min_abs_z = 0.25;   // smallest |standardized centroid| a description mentions
};

// Silhouette and inertia of the best k-means fit for one candidate k.
struct KScore {
  int32_t k = 0;
  double silhouette = 0.0;
  double inertia = 0.0;
};

// One feature's standardized centroid coordinate: > 0 means above the population mean.
struct FeatureDeviation {
  size_t feature = 0;  // index into feature_names()
  double z = 0.0;
};

struct ClusterDescription {
  int32_t cluster = 0;
  uint64_t size = 0;                  // training rows assigned to the cluster
  std::vector<FeatureDeviation> top;  // by |z| descending (ties: lower feature index)
  std::string text;                   // e.g. "high purchases_90d, low recency_days"
};

struct ClusterAssignment {
  int32_t cluster = 0;    // 0..k-1
  double distance = 0.0;  // Euclidean distance to the centroid, standardized units
};

// A fitted cluster model. Immutable after Fit/Deserialize: every const method is thread-safe.
class ClusterModel {
 public:
  // Fits on the rows of `features` (n customers x d raw features). `feature_names` must hold d
  // names (or be empty: names become "f0", "f1", ...). Errors: InvalidArgument on bad
  // options (transforms not empty and not d long), a size mismatch, infinite values or
  // fewer than 3 rows; a NaN is imputed with its transformed column's mean (as Assign does);
  // FailedPrecondition when the data has fewer than min_k distinct rows.
  static absl::StatusOr<ClusterModel> Fit(const Eigen::Ref<const Eigen::MatrixXd>& features,
                                          std::vector<std::string> feature_names,
                                          const ClusterOptions& options = {});

  // Nearest cluster of one customer's raw (unstandardized) features, in feature_names()
  // order. Errors: InvalidArgument when the number of features differs from num_features()
  // or a value is infinite (NaN is imputed with the training mean).
  absl::StatusOr<ClusterAssignment> Assign(absl::Span<const double> features) const;

  int32_t k() const { return static_cast<int32_t>(centroids_.rows()); }
  size_t num_features() const { return feature_names_.size(); }
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  const std::vector<FeatureTransform>& transforms() const { return transforms_; }  // d entries
  const Eigen::VectorXd& means() const { return means_; }  // of the transformed features
  const Eigen::VectorXd& stds() const { return stds_; }
  const Eigen::MatrixXd& centroids() const { return centroids_; }  // k x d, standardized
  const std::vector<uint64_t>& cluster_sizes() const { return sizes_; }
  double silhouette() const { return silhouette_; }  // of the chosen k (sampled)
  const std::vector<KScore>& k_scores() const { return k_scores_; }
  const std::vector<ClusterDescription>& descriptions() const { return descriptions_; }

  // Model bytes (envelope kind "KMCL", docs/models.md). Deserialize(Serialize()) assigns and
  // describes identically. Deserialize errors: InvalidArgument (not a cluster-model
  // artifact), FailedPrecondition (newer format version), DataLoss (corrupt bytes).
  std::string Serialize() const;
  static absl::StatusOr<ClusterModel> Deserialize(absl::string_view bytes);

 private:
  ClusterModel() = default;
  void Describe();

  std::vector<std::string> feature_names_;
  std::vector<FeatureTransform> transforms_;
  Eigen::VectorXd means_;
  Eigen::VectorXd stds_;
  Eigen::MatrixXd centroids_;
  std::vector<uint64_t> sizes_;
  double silhouette_ = 0.0;
  std::vector<KScore> k_scores_;
  int32_t top_features_ = 3;
  double min_abs_z_ = 0.25;
  std::vector<ClusterDescription> descriptions_;
};

}  // namespace cohort::models::segmentation
