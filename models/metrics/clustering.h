// Clustering metrics for segmentation: the silhouette coefficient (exact and on a
// deterministic sample), the adjusted Rand index and cluster sizes.
//
// Points are the rows of an Eigen matrix (n points x d features); distances are Euclidean.
// Cluster labels are non-negative integers (they need not be contiguous). All functions are
// pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace cohort::models::metrics {

// Per-point silhouette s(i) = (b(i) - a(i)) / max(a(i), b(i)), where a(i) is the mean distance
// from point i to the other members of its cluster and b(i) the smallest mean distance to the
// members of another cluster. A point alone in its cluster has s(i) = 0 (the usual
// convention). Exact: O(n^2 d) time.
// Errors: InvalidArgument when sizes differ, a label is negative, a coordinate is not finite,
// or the number of distinct labels is not in [2, n - 1] (silhouette is undefined there).
absl::StatusOr<std::vector<double>> SilhouetteSamples(
    const Eigen::Ref<const Eigen::MatrixXd>& points, absl::Span<const int32_t> labels);

// Mean of SilhouetteSamples over all points, in [-1, 1]; higher is better separated.
absl::StatusOr<double> Silhouette(const Eigen::Ref<const Eigen::MatrixXd>& points,
                                  absl::Span<const int32_t> labels);

// Silhouette of a deterministic sample: when n > sample_size, `sample_size` distinct points
// are drawn with a seeded generator (the same seed, data and labels always give the same
// sample on every platform) and the mean silhouette is computed among them only, in
// O(sample_size^2 d). When n <= sample_size this equals Silhouette(). Errors as Silhouette,
// applied to the sample (e.g. a sample that holds a single cluster); sample_size must be >= 2.
absl::StatusOr<double> SampledSilhouette(const Eigen::Ref<const Eigen::MatrixXd>& points,
                                         absl::Span<const int32_t> labels, size_t sample_size,
                                         uint64_t seed);

// Adjusted Rand index of two labelings of the same n items: 1 for identical partitions (up to
// renaming of labels), about 0 for independent ones, can be negative. When both labelings
// are trivial in the same way (one cluster each, or all singletons) the result is 1.
// Errors: InvalidArgument when sizes differ, are zero, or a label is negative.
absl::StatusOr<double> AdjustedRandIndex(absl::Span<const int32_t> labels_a,
                                         absl::Span<const int32_t> labels_b);

// Number of items per label: result[l] counts label l, for l in [0, max label]. Errors:
// InvalidArgument on a negative label.
absl::StatusOr<std::vector<size_t>> ClusterSizes(absl::Span<const int32_t> labels);

}  // namespace cohort::models::metrics
