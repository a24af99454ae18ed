#include "models/segmentation/cluster_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "models/common/model_envelope.h"
#include "models/metrics/clustering.h"
#include "models/segmentation/kmeans.h"
#include "models/segmentation/segmentation_model.pb.h"

namespace cohort::models::segmentation {
namespace {

constexpr absl::string_view kKind = "KMCL";
// Version 2 adds per-feature transforms; a model without any non-identity transform is still
// written as version 1, so older scorers keep reading it.
constexpr uint32_t kVersion = 2;
constexpr double kMinScale = 1e-12;  // below this a feature counts as constant

absl::Status CheckOptions(const ClusterOptions& o) {
  if (o.min_k < 2 || o.max_k < o.min_k) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cluster options need 2 <= min_k <= max_k; got min_k = ", o.min_k, ", max_k = ", o.max_k));
  }
  if (o.restarts < 1 || o.max_iterations < 1 || o.top_features < 1 || o.silhouette_sample < 2 ||
      !(o.min_abs_z >= 0.0)) {
    return absl::InvalidArgumentError(
        "cluster options need restarts, max_iterations, top_features >= 1, "
        "silhouette_sample >= 2 and min_abs_z >= 0");
  }
  return absl::OkStatus();
}

double Transform(FeatureTransform t, double x) {
  if (t == FeatureTransform::kLog1p) return x < 0 ? -std::log1p(-x) : std::log1p(x);
  return x;
}

Eigen::MatrixXd Rows(const Eigen::MatrixXd& z, const std::vector<size_t>& rows) {
  if (static_cast<Eigen::Index>(rows.size()) == z.rows()) return z;
  Eigen::MatrixXd out(static_cast<Eigen::Index>(rows.size()), z.cols());
  for (size_t i = 0; i < rows.size(); ++i) {
    out.row(static_cast<Eigen::Index>(i)) = z.row(static_cast<Eigen::Index>(rows[i]));
  }
  return out;
}

}  // namespace

absl::StatusOr<ClusterModel> ClusterModel::Fit(const Eigen::Ref<const Eigen::MatrixXd>& features,
                                               std::vector<std::string> feature_names,
                                               const ClusterOptions& options) {
  COHORT_RETURN_IF_ERROR(CheckOptions(options));
  const Eigen::Index n = features.rows();
  const Eigen::Index d = features.cols();
  if (n < 3 || d < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("clustering needs at least 3 rows and 1 feature; got ", n, " x ", d));
  }
  if (feature_names.empty()) {
    for (Eigen::Index j = 0; j < d; ++j) feature_names.push_back(absl::StrCat("f", j));
  }
  if (static_cast<Eigen::Index>(feature_names.size()) != d) {
    return absl::InvalidArgumentError(
        absl::StrCat("got ", feature_names.size(), " feature names for ", d, " features"));
  }
  if (features.array().isInf().any()) {
    return absl::InvalidArgumentError("cluster training features hold an infinite value");
  }
  if (!options.transforms.empty() && static_cast<Eigen::Index>(options.transforms.size()) != d) {
    return absl::InvalidArgumentError(absl::StrCat("got ", options.transforms.size(),
                                                   " feature transforms for ", d, " features"));
  }
  ClusterModel model;
  model.feature_names_ = std::move(feature_names);
  model.transforms_ = options.transforms;
  model.transforms_.resize(static_cast<size_t>(d), FeatureTransform::kIdentity);
  Eigen::MatrixXd transformed = features;
  for (Eigen::Index j = 0; j < d; ++j) {
    const FeatureTransform t = model.transforms_[static_cast<size_t>(j)];
    if (t == FeatureTransform::kIdentity) continue;
    for (Eigen::Index i = 0; i < n; ++i) transformed(i, j) = Transform(t, transformed(i, j));
  }
  // A missing (NaN) value is imputed with the mean of its transformed column, i.e. z = 0,
  // exactly as Assign does at serving time.
  for (Eigen::Index j = 0; j < d; ++j) {
    double sum = 0.0;
    Eigen::Index count = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      if (!std::isnan(transformed(i, j))) {
        sum += transformed(i, j);
        ++count;
      }
    }
    const double mean = count > 0 ? sum / static_cast<double>(count) : 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
      if (std::isnan(transformed(i, j))) transformed(i, j) = mean;
    }
  }
  model.top_features_ = options.top_features;
  model.min_abs_z_ = options.min_abs_z;
  model.means_ = transformed.colwise().mean().transpose();
  const Eigen::MatrixXd centered = transformed.rowwise() - model.means_.transpose();
  model.stds_ =
      (centered.array().square().colwise().sum() / static_cast<double>(n)).sqrt().transpose();
  for (Eigen::Index j = 0; j < d; ++j) {
    if (!(model.stds_[j] > kMinScale)) model.stds_[j] = 1.0;
  }
  const Eigen::MatrixXd z = centered.array().rowwise() / model.stds_.transpose().array();

  const size_t fit_rows =
      options.max_fit_points == 0 ? static_cast<size_t>(n) : options.max_fit_points;
  const Eigen::MatrixXd fit =
      Rows(z, SampleIndices(static_cast<size_t>(n), fit_rows, options.seed ^ 0x5EEDF17ULL));
  const int32_t max_k = std::min<int32_t>(options.max_k, static_cast<int32_t>(fit.rows() - 1));
  double best_silhouette = -2.0;
  for (int32_t k = options.min_k; k <= max_k; ++k) {
    absl::StatusOr<KMeansResult> run =
        KMeans(fit, {.k = k,
                     .restarts = options.restarts,
                     .max_iterations = options.max_iterations,
                     .seed = options.seed + static_cast<uint64_t>(k)});
    if (absl::IsFailedPrecondition(run.status()) && !model.k_scores_.empty()) break;
    if (!run.ok()) return run.status();
    COHORT_ASSIGN_OR_RETURN(
        const double silhouette,
        metrics::SampledSilhouette(fit, run->labels, options.silhouette_sample, options.seed));
    model.k_scores_.push_back({k, silhouette, run->inertia});
    if (silhouette > best_silhouette) {
      best_silhouette = silhouette;
      model.centroids_ = std::move(run->centroids);
    }
  }
  if (model.k_scores_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no k in [", options.min_k, ", ", options.max_k,
                                                   "] fits ", fit.rows(),
                                                   " points (k must be below the row count)"));
  }
  model.silhouette_ = best_silhouette;
  model.sizes_.assign(static_cast<size_t>(model.centroids_.rows()), 0);
  for (Eigen::Index i = 0; i < n; ++i) {
    ++model.sizes_[static_cast<size_t>(NearestCentroid(model.centroids_, z.row(i).transpose()))];
  }
  model.Describe();
  return model;
}

void ClusterModel::Describe() {
  descriptions_.clear();
  const auto d = static_cast<size_t>(centroids_.cols());
  for (Eigen::Index c = 0; c < centroids_.rows(); ++c) {
    ClusterDescription desc;
    desc.cluster = static_cast<int32_t>(c);
    desc.size = sizes_[static_cast<size_t>(c)];
    std::vector<size_t> order(d);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return std::abs(centroids_(c, static_cast<Eigen::Index>(a))) >
             std::abs(centroids_(c, static_cast<Eigen::Index>(b)));
    });
    std::vector<std::string> parts;
    for (size_t j : order) {
      const double zj = centroids_(c, static_cast<Eigen::Index>(j));
      if (desc.top.size() == static_cast<size_t>(top_features_) || std::abs(zj) < min_abs_z_) {
        break;
      }
      desc.top.push_back({j, zj});
      parts.push_back(absl::StrCat(zj > 0 ? "high " : "low ", feature_names_[j]));
    }
    desc.text = parts.empty() ? "close to average on every feature" : absl::StrJoin(parts, ", ");
    descriptions_.push_back(std::move(desc));
  }
}

absl::StatusOr<ClusterAssignment> ClusterModel::Assign(absl::Span<const double> features) const {
  if (features.size() != num_features()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster model expects ", num_features(), " features (",
                     absl::StrJoin(feature_names_, ", "), "); got ", features.size()));
  }
  Eigen::VectorXd z(static_cast<Eigen::Index>(features.size()));
  for (size_t j = 0; j < features.size(); ++j) {
    const auto jj = static_cast<Eigen::Index>(j);
    if (std::isinf(features[j])) {
      return absl::InvalidArgumentError(
          absl::StrCat("feature ", feature_names_[j], " is infinite"));
    }
    z[jj] = std::isnan(features[j])
                ? 0.0
                : (Transform(transforms_[j], features[j]) - means_[jj]) / stds_[jj];
  }
  double d2 = 0.0;
  const int32_t cluster = NearestCentroid(centroids_, z, &d2);
  return ClusterAssignment{cluster, std::sqrt(d2)};
}

std::string ClusterModel::Serialize() const {
  proto::ClusterModelProto p;
  for (const std::string& name : feature_names_) p.add_feature_names(name);
  p.mutable_means()->Add(means_.data(), means_.data() + means_.size());
  p.mutable_stds()->Add(stds_.data(), stds_.data() + stds_.size());
  p.set_k(static_cast<uint32_t>(centroids_.rows()));
  for (Eigen::Index c = 0; c < centroids_.rows(); ++c) {
    for (Eigen::Index j = 0; j < centroids_.cols(); ++j) p.add_centroids(centroids_(c, j));
  }
  p.mutable_cluster_sizes()->Add(sizes_.begin(), sizes_.end());
  p.set_silhouette(silhouette_);
  for (const KScore& s : k_scores_) {
    proto::KScoreProto* ks = p.add_k_scores();
    ks->set_k(static_cast<uint32_t>(s.k));
    ks->set_silhouette(s.silhouette);
    ks->set_inertia(s.inertia);
  }
  p.set_top_features(static_cast<uint32_t>(top_features_));
  p.set_min_abs_z(min_abs_z_);
  bool transformed = false;
  for (FeatureTransform t : transforms_)
    transformed = transformed || t != FeatureTransform::kIdentity;
  if (transformed) {
    for (FeatureTransform t : transforms_) p.add_transforms(static_cast<uint32_t>(t));
  }
  return envelope::Wrap(kKind, transformed ? kVersion : 1, p.SerializeAsString());
}

absl::StatusOr<ClusterModel> ClusterModel::Deserialize(absl::string_view bytes) {
  COHORT_ASSIGN_OR_RETURN(absl::string_view payload,
                          envelope::Unwrap(bytes, kKind, kVersion, "cluster model"));
  proto::ClusterModelProto p;
  if (!p.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::DataLossError("cluster model payload is not a valid ClusterModelProto");
  }
  const int d = p.feature_names_size();
  const auto k = static_cast<int64_t>(p.k());
  if (d < 1 || p.means_size() != d || p.stds_size() != d || k < 1 || k > (1 << 20) ||
      p.centroids_size() != k * d || p.cluster_sizes_size() != k || p.top_features() < 1 ||
      p.top_features() > (1u << 20) || (p.transforms_size() != 0 && p.transforms_size() != d)) {
    return absl::DataLossError(
        "cluster model payload is inconsistent (feature, mean, scale, centroid or size counts "
        "disagree)");
  }
  ClusterModel model;
  model.feature_names_.assign(p.feature_names().begin(), p.feature_names().end());
  model.means_ = Eigen::Map<const Eigen::VectorXd>(p.means().data(), d);
  model.stds_ = Eigen::Map<const Eigen::VectorXd>(p.stds().data(), d);
  model.centroids_ =
      Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          p.centroids().data(), k, d);
  if (!model.means_.allFinite() || !model.centroids_.allFinite() ||
      !(model.stds_.array() > 0.0).all() || !model.stds_.allFinite()) {
    return absl::DataLossError(
        "cluster model payload holds a non-finite mean/centroid or a "
        "non-positive scale");
  }
  model.sizes_.assign(p.cluster_sizes().begin(), p.cluster_sizes().end());
  model.silhouette_ = p.silhouette();
  for (const proto::KScoreProto& s : p.k_scores()) {
    model.k_scores_.push_back({static_cast<int32_t>(s.k()), s.silhouette(), s.inertia()});
  }
  model.top_features_ = static_cast<int32_t>(p.top_features());
  model.min_abs_z_ = p.min_abs_z();
  model.transforms_.assign(static_cast<size_t>(d), FeatureTransform::kIdentity);
  for (int j = 0; j < p.transforms_size(); ++j) {
    if (p.transforms(j) > static_cast<uint32_t>(FeatureTransform::kLog1p)) {
      return absl::FailedPreconditionError(
          absl::StrCat("cluster model uses feature transform ", p.transforms(j),
                       ", unknown to this build: upgrade the scorer"));
    }
    model.transforms_[static_cast<size_t>(j)] = static_cast<FeatureTransform>(p.transforms(j));
  }
  model.Describe();
  return model;
}

}  // namespace cohort::models::segmentation
