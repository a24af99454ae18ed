#include "models/metrics/clustering.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cohort::models::metrics {
namespace {

absl::Status CheckLabels(absl::Span<const int32_t> labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("label[", i, "] = ", labels[i], "; cluster labels must be >= 0"));
    }
  }
  return absl::OkStatus();
}

// Relabels to 0..k-1 in order of first appearance; returns k. Labels must be >= 0.
size_t Densify(absl::Span<const int32_t> labels, std::vector<int32_t>& dense) {
  absl::flat_hash_map<int32_t, int32_t> map;
  dense.resize(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    dense[i] = map.try_emplace(labels[i], static_cast<int32_t>(map.size())).first->second;
  }
  return map.size();
}

// SplitMix64: tiny, fully specified, so samples are identical on every platform (the
// standard distributions are implementation-defined).
uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Silhouette values of the points stored as the columns of `cols` (d x n).
absl::StatusOr<std::vector<double>> SilhouetteOfColumns(const Eigen::MatrixXd& cols,
                                                        absl::Span<const int32_t> labels) {
  const size_t n = labels.size();
  if (!cols.allFinite()) return absl::InvalidArgumentError("points hold a non-finite value");
  std::vector<int32_t> dense;
  const size_t k = Densify(labels, dense);
  std::vector<size_t> sizes(k, 0);
  for (int32_t d : dense) ++sizes[static_cast<size_t>(d)];
  if (k < 2 || k > n - 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "silhouette needs between 2 and n - 1 clusters; got ", k, " clusters of ", n, " points"));
  }
  std::vector<double> result(n, 0.0);
  std::vector<double> sums(k);
  for (size_t i = 0; i < n; ++i) {
    std::fill(sums.begin(), sums.end(), 0.0);
    for (size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      sums[static_cast<size_t>(dense[j])] += (cols.col(i) - cols.col(j)).norm();
    }
    const auto own = static_cast<size_t>(dense[i]);
    if (sizes[own] == 1) continue;  // singleton: s = 0
    const double a = sums[own] / static_cast<double>(sizes[own] - 1);
    double b = std::numeric_limits<double>::infinity();
    for (size_t c = 0; c < k; ++c) {
      if (c != own) b = std::min(b, sums[c] / static_cast<double>(sizes[c]));
    }
    const double denom = std::max(a, b);
    result[i] = denom > 0.0 ? (b - a) / denom : 0.0;
  }
  return result;
}

double Mean(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

absl::Status CheckShape(const Eigen::Ref<const Eigen::MatrixXd>& points,
                        absl::Span<const int32_t> labels) {
  if (static_cast<size_t>(points.rows()) != labels.size()) {
    return absl::InvalidArgumentError(absl::StrCat("got ", points.rows(), " points but ",
                                                   labels.size(), " labels; they must be equal"));
  }
  return CheckLabels(labels);
}

}  // namespace

absl::StatusOr<std::vector<double>> SilhouetteSamples(
    const Eigen::Ref<const Eigen::MatrixXd>& points, absl::Span<const int32_t> labels) {
  COHORT_RETURN_IF_ERROR(CheckShape(points, labels));
  return SilhouetteOfColumns(points.transpose(), labels);
}

absl::StatusOr<double> Silhouette(const Eigen::Ref<const Eigen::MatrixXd>& points,
                                  absl::Span<const int32_t> labels) {
  COHORT_ASSIGN_OR_RETURN(const std::vector<double> samples, SilhouetteSamples(points, labels));
  return Mean(samples);
}

absl::StatusOr<double> SampledSilhouette(const Eigen::Ref<const Eigen::MatrixXd>& points,
                                         absl::Span<const int32_t> labels, size_t sample_size,
                                         uint64_t seed) {
  if (sample_size < 2) return absl::InvalidArgumentError("silhouette sample_size must be >= 2");
  COHORT_RETURN_IF_ERROR(CheckShape(points, labels));
  const size_t n = labels.size();
  if (n <= sample_size) return Silhouette(points, labels);
  // Partial Fisher-Yates: the first sample_size entries of `index` are the sample.
  std::vector<size_t> index(n);
  std::iota(index.begin(), index.end(), 0);
  uint64_t state = seed;
  for (size_t i = 0; i < sample_size; ++i) {
    const size_t j = i + static_cast<size_t>(SplitMix64(state) % (n - i));
    std::swap(index[i], index[j]);
  }
  index.resize(sample_size);
  std::sort(index.begin(), index.end());
  Eigen::MatrixXd cols(points.cols(), static_cast<Eigen::Index>(sample_size));
  std::vector<int32_t> sample_labels(sample_size);
  for (size_t s = 0; s < sample_size; ++s) {
    cols.col(static_cast<Eigen::Index>(s)) =
        points.row(static_cast<Eigen::Index>(index[s])).transpose();
    sample_labels[s] = labels[index[s]];
  }
  COHORT_ASSIGN_OR_RETURN(const std::vector<double> samples,
                          SilhouetteOfColumns(cols, sample_labels));
  return Mean(samples);
}

absl::StatusOr<double> AdjustedRandIndex(absl::Span<const int32_t> labels_a,
                                         absl::Span<const int32_t> labels_b) {
  if (labels_a.size() != labels_b.size() || labels_a.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("adjusted Rand index needs two non-empty labelings of equal size; got ",
                     labels_a.size(), " and ", labels_b.size()));
  }
  COHORT_RETURN_IF_ERROR(CheckLabels(labels_a));
  COHORT_RETURN_IF_ERROR(CheckLabels(labels_b));
  std::vector<int32_t> dense_a, dense_b;
  const size_t rows = Densify(labels_a, dense_a);
  const size_t cols = Densify(labels_b, dense_b);
  const size_t n = labels_a.size();
  // Both labelings trivial the same way (one cluster, or all singletons): identical, and the
  // formula below would divide 0 by 0.
  if (rows == cols && (rows == 1 || rows == n)) return 1.0;
  std::vector<size_t> sizes_a(rows, 0), sizes_b(cols, 0);
  // Sparse contingency table: at most n non-zero cells whatever the number of labels.
  absl::flat_hash_map<uint64_t, size_t> table;
  for (size_t i = 0; i < dense_a.size(); ++i) {
    const auto a = static_cast<uint64_t>(dense_a[i]);
    const auto b = static_cast<uint64_t>(dense_b[i]);
    ++sizes_a[a];
    ++sizes_b[b];
    ++table[a * cols + b];
  }
  auto pairs = [](size_t m) { return static_cast<double>(m) * (static_cast<double>(m) - 1) / 2; };
  double index = 0.0, sum_a = 0.0, sum_b = 0.0;
  for (const auto& entry : table) index += pairs(entry.second);
  for (size_t c : sizes_a) sum_a += pairs(c);
  for (size_t c : sizes_b) sum_b += pairs(c);
  const double expected = sum_a * sum_b / pairs(n);
  const double max_index = (sum_a + sum_b) / 2.0;
  return (index - expected) / (max_index - expected);
}

absl::StatusOr<std::vector<size_t>> ClusterSizes(absl::Span<const int32_t> labels) {
  COHORT_RETURN_IF_ERROR(CheckLabels(labels));
  std::vector<size_t> sizes;
  for (int32_t l : labels) {
    if (static_cast<size_t>(l) >= sizes.size()) sizes.resize(static_cast<size_t>(l) + 1, 0);
    ++sizes[static_cast<size_t>(l)];
  }
  return sizes;
}

}  // namespace cohort::models::metrics
