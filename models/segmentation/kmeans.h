// k-means clustering (Lloyd's algorithm) with k-means++ seeding and several restarts, fully
// deterministic for a given seed on every platform (the generator is SplitMix64 and no
// implementation-defined standard distribution is used).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"

namespace cohort::models::segmentation {

struct KMeansOptions {
  int32_t k = 3;                 // number of clusters; 1 <= k <= number of points
  int32_t restarts = 10;         // independent k-means++ seedings; the lowest inertia wins
  int32_t max_iterations = 300;  // Lloyd iterations per restart (>= 1)
  uint64_t seed = 0;             // same seed + same data => same result
};

struct KMeansResult {
  Eigen::MatrixXd centroids;    // k x d
  std::vector<int32_t> labels;  // per point: index of its nearest centroid (ties: lowest)
  double inertia = 0.0;         // sum of squared distances of points to their centroid
  int32_t iterations = 0;       // Lloyd iterations of the winning restart
  bool converged = false;       // assignments stopped changing before max_iterations
};

// Clusters the rows of `points` (n x d). The labels returned are always the nearest-centroid
// assignment under the returned centroids, so NearestCentroid() on a training point agrees
// with its label. A cluster that empties during Lloyd iterations is re-seeded with the point
// farthest from its centroid. Thread-safe (no shared state).
// Errors: InvalidArgument on bad options or non-finite points; FailedPrecondition when the
// data has fewer than k distinct points.
absl::StatusOr<KMeansResult> KMeans(const Eigen::Ref<const Eigen::MatrixXd>& points,
                                    const KMeansOptions& options);

// Index of the centroid (row of `centroids`) nearest to `point` (ties: lowest index), with
// the squared Euclidean distance in `*squared_distance` when non-null. `centroids` must
// have at least one row and as many columns as `point` has entries.
int32_t NearestCentroid(const Eigen::Ref<const Eigen::MatrixXd>& centroids,
                        const Eigen::Ref<const Eigen::VectorXd>& point,
                        double* squared_distance = nullptr);

// `m` distinct indices of [0, n), ascending, drawn with the same SplitMix64 generator (all of
// [0, n) when m >= n). Deterministic for a given (n, m, seed) on every platform.
std::vector<size_t> SampleIndices(size_t n, size_t m, uint64_t seed);

}  // namespace cohort::models::segmentation
