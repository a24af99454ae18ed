#include "models/segmentation/kmeans.h"

#include <algorithm>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cohort::models::segmentation {
namespace {

// SplitMix64 generator: fully specified, identical on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  uint64_t state_;
};

// Nearest column of `centroids` (d x k) to `point`.
int32_t Nearest(const Eigen::MatrixXd& centroids, const Eigen::Ref<const Eigen::VectorXd>& point,
                double* squared_distance) {
  int32_t best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (Eigen::Index c = 0; c < centroids.cols(); ++c) {
    const double d = (centroids.col(c) - point).squaredNorm();
    if (d < best_d) {
      best_d = d;
      best = static_cast<int32_t>(c);
    }
  }
  if (squared_distance != nullptr) *squared_distance = best_d;
  return best;
}

// k-means++ seeding over the columns of `cols` (d x n). Returns d x k centroids, or an empty
// matrix when fewer than k distinct points exist.
Eigen::MatrixXd SeedPlusPlus(const Eigen::MatrixXd& cols, int32_t k, Rng& rng) {
  const Eigen::Index n = cols.cols();
  Eigen::MatrixXd centroids(cols.rows(), k);
  auto first = static_cast<Eigen::Index>(rng.Next() % static_cast<uint64_t>(n));
  centroids.col(0) = cols.col(first);
  Eigen::VectorXd d2(n);
  for (Eigen::Index i = 0; i < n; ++i) d2[i] = (cols.col(i) - centroids.col(0)).squaredNorm();
  for (int32_t c = 1; c < k; ++c) {
    const double total = d2.sum();
    if (!(total > 0.0)) return Eigen::MatrixXd();
    const double target = rng.Uniform() * total;
    Eigen::Index pick = -1;
    double cumulative = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
      if (d2[i] <= 0.0) continue;
      pick = i;  // falls back to the last positive-weight point on rounding
      cumulative += d2[i];
      if (cumulative > target) break;
    }
    centroids.col(c) = cols.col(pick);
    for (Eigen::Index i = 0; i < n; ++i) {
      d2[i] = std::min(d2[i], (cols.col(i) - centroids.col(c)).squaredNorm());
    }
  }
  return centroids;
}

// Assigns every point to its nearest centroid; returns the number of labels that changed
// and sets `inertia` and `d2` (squared distance of each point to its centroid).
size_t Assign(const Eigen::MatrixXd& cols, const Eigen::MatrixXd& centroids,
              std::vector<int32_t>& labels, Eigen::VectorXd& d2, double& inertia) {
  size_t changed = 0;
  inertia = 0.0;
  for (Eigen::Index i = 0; i < cols.cols(); ++i) {
    const int32_t c = Nearest(centroids, cols.col(i), &d2[i]);
    if (labels[static_cast<size_t>(i)] != c) ++changed;
    labels[static_cast<size_t>(i)] = c;
    inertia += d2[i];
  }
  return changed;
}

// Recomputes centroids as cluster means; an empty cluster takes the point farthest from
// its current centroid (among clusters with more than one point).
void Update(const Eigen::MatrixXd& cols, std::vector<int32_t>& labels, Eigen::VectorXd& d2,
            Eigen::MatrixXd& centroids) {
  const Eigen::Index k = centroids.cols();
  Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(cols.rows(), k);
  std::vector<Eigen::Index> counts(static_cast<size_t>(k), 0);
  for (Eigen::Index i = 0; i < cols.cols(); ++i) {
    sums.col(labels[static_cast<size_t>(i)]) += cols.col(i);
    ++counts[static_cast<size_t>(labels[static_cast<size_t>(i)])];
  }
  for (Eigen::Index c = 0; c < k; ++c) {
    if (counts[static_cast<size_t>(c)] > 0) {
      centroids.col(c) = sums.col(c) / static_cast<double>(counts[static_cast<size_t>(c)]);
      continue;
    }
    Eigen::Index far = -1;
    for (Eigen::Index i = 0; i < cols.cols(); ++i) {
      const auto owner = static_cast<size_t>(labels[static_cast<size_t>(i)]);
      if (counts[owner] > 1 && (far < 0 || d2[i] > d2[far])) far = i;
    }
    if (far < 0) continue;  // cannot happen with n >= k
    --counts[static_cast<size_t>(labels[static_cast<size_t>(far)])];
    labels[static_cast<size_t>(far)] = static_cast<int32_t>(c);
    counts[static_cast<size_t>(c)] = 1;
    d2[far] = 0.0;
    centroids.col(c) = cols.col(far);
  }
}

}  // namespace

absl::StatusOr<KMeansResult> KMeans(const Eigen::Ref<const Eigen::MatrixXd>& points,
                                    const KMeansOptions& options) {
  const Eigen::Index n = points.rows();
  if (options.k < 1 || options.k > n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "k-means needs 1 <= k <= number of points; got k = ", options.k, " and ", n, " points"));
  }
  if (options.restarts < 1 || options.max_iterations < 1) {
    return absl::InvalidArgumentError("k-means restarts and max_iterations must be >= 1");
  }
  if (points.cols() < 1) return absl::InvalidArgumentError("k-means points have no features");
  if (!points.allFinite()) {
    return absl::InvalidArgumentError("k-means points hold a NaN or infinite value");
  }
  const Eigen::MatrixXd cols = points.transpose();  // one contiguous column per point
  Rng seeds(options.seed);
  KMeansResult best;
  best.inertia = std::numeric_limits<double>::infinity();
  for (int32_t restart = 0; restart < options.restarts; ++restart) {
    Rng rng(seeds.Next());
    Eigen::MatrixXd centroids = SeedPlusPlus(cols, options.k, rng);
    if (centroids.size() == 0) {
      return absl::FailedPreconditionError(absl::StrCat("the data has fewer than k = ", options.k,
                                                        " distinct points; choose a smaller k"));
    }
    std::vector<int32_t> labels(static_cast<size_t>(n), -1);
    Eigen::VectorXd d2(n);
    double inertia = 0.0;
    int32_t iterations = 0;
    bool converged = false;
    while (true) {
      const size_t changed = Assign(cols, centroids, labels, d2, inertia);
      if (changed == 0) {
        converged = true;
        break;
      }
      if (iterations == options.max_iterations) break;
      Update(cols, labels, d2, centroids);
      ++iterations;
    }
    if (inertia < best.inertia) {
      best.centroids = centroids.transpose();
      best.labels = std::move(labels);
      best.inertia = inertia;
      best.iterations = iterations;
      best.converged = converged;
    }
  }
  return best;
}

int32_t NearestCentroid(const Eigen::Ref<const Eigen::MatrixXd>& centroids,
                        const Eigen::Ref<const Eigen::VectorXd>& point, double* squared_distance) {
  int32_t best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (Eigen::Index c = 0; c < centroids.rows(); ++c) {
    const double d = (centroids.row(c).transpose() - point).squaredNorm();
    if (d < best_d) {
      best_d = d;
      best = static_cast<int32_t>(c);
    }
  }
  if (squared_distance != nullptr) *squared_distance = best_d;
  return best;
}

std::vector<size_t> SampleIndices(size_t n, size_t m, uint64_t seed) {
  std::vector<size_t> index(n);
  for (size_t i = 0; i < n; ++i) index[i] = i;
  if (m >= n) return index;
  Rng rng(seed);
  for (size_t i = 0; i < m; ++i) {  // partial Fisher-Yates
    const size_t j = i + static_cast<size_t>(rng.Next() % (n - i));
    std::swap(index[i], index[j]);
  }
  index.resize(m);
  std::sort(index.begin(), index.end());
  return index;
}

}  // namespace cohort::models::segmentation
