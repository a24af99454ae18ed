#include "models/recommend/als.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "models/recommend/als_internal.h"
#include "models/recommend/artifact_format_internal.h"
#include "models/recommend/recommend_artifacts.pb.h"
#include "models/recommend/recommend_internal.h"

namespace cohort::models::recommend {
namespace internal {

AlsRowSystem BuildAlsRow(const Eigen::MatrixXd& gram, const AlsModel::Matrix& factors, double alpha,
                         absl::Span<const AlsObservation> observations) {
  Eigen::MatrixXd a = gram;
  AlsRowSystem system;
  system.b = Eigen::VectorXd::Zero(gram.rows());
  for (const AlsObservation& o : observations) {
    const Eigen::VectorXd f = factors.row(o.index).transpose().cast<double>();
    const double extra = alpha * o.weight;  // c - 1
    a.selfadjointView<Eigen::Lower>().rankUpdate(f, extra);
    system.b += (1.0 + extra) * f;
  }
  system.llt.compute(a);  // LLT reads only the lower triangle, the one rankUpdate maintains
  return system;
}

Eigen::MatrixXd RegularizedGram(const AlsModel::Matrix& factors, double regularization) {
  const Eigen::MatrixXd f = factors.cast<double>();
  Eigen::MatrixXd gram = f.transpose() * f;
  gram.diagonal().array() += regularization;
  return gram;
}

}  // namespace internal

namespace {

using internal::AlsObservation;
using internal::ArtifactKind;

std::vector<AlsObservation> Observations(absl::Span<const HistoryItem> history) {
  std::vector<AlsObservation> observations;
  for (const HistoryItem& h : history) {
    if (h.weight > 0) observations.push_back({h.item, h.weight});
  }
  return observations;
}

}  // namespace

AlsModel::AlsModel(double regularization, double alpha, Matrix item_factors)
    : regularization_(regularization),
      alpha_(alpha),
      item_factors_(std::move(item_factors)),
      item_gram_(internal::RegularizedGram(item_factors_, regularization)) {}

absl::StatusOr<Eigen::VectorXf> AlsModel::FoldIn(absl::Span<const HistoryItem> history) const {
  RecommendOptions defaults;
  absl::StatusOr<internal::PreparedRequest> request =
      internal::PrepareRequest(history, defaults, num_items());
  if (!request.ok()) return request.status();
  const std::vector<AlsObservation> observations = Observations(request->history);
  if (observations.empty()) return Eigen::VectorXf::Zero(factors());
  internal::AlsRowSystem system =
      internal::BuildAlsRow(item_gram_, item_factors_, alpha_, observations);
  return system.llt.solve(system.b).cast<float>().eval();
}

absl::StatusOr<std::vector<Recommendation>> AlsModel::Recommend(
    absl::Span<const HistoryItem> history, const RecommendOptions& options) const {
  absl::StatusOr<internal::PreparedRequest> request =
      internal::PrepareRequest(history, options, num_items());
  if (!request.ok()) return request.status();
  const std::vector<AlsObservation> observations = Observations(request->history);
  if (observations.empty()) return std::vector<Recommendation>();
  internal::AlsRowSystem system =
      internal::BuildAlsRow(item_gram_, item_factors_, alpha_, observations);
  const Eigen::VectorXf user = system.llt.solve(system.b).cast<float>();
  const Eigen::VectorXf scores = item_factors_ * user;
  std::vector<Recommendation> out;
  for (const internal::ScoredItem& top :
       internal::TopK(absl::MakeConstSpan(scores.data(), static_cast<size_t>(scores.size())),
                      request->excluded, options.k)) {
    std::vector<Contribution> contributions;
    if (options.max_explanations > 0) {
      // z = A⁻¹ y_i; history item j contributes c_j · zᵀ y_j.
      const Eigen::VectorXd z =
          system.llt.solve(item_factors_.row(top.item).transpose().cast<double>());
      for (const AlsObservation& o : observations) {
        const double dot = z.dot(item_factors_.row(o.index).transpose().cast<double>());
        contributions.push_back({o.index, static_cast<float>((1.0 + alpha_ * o.weight) * dot)});
      }
    }
    out.push_back({top.item, top.score,
                   internal::TopContributions(std::move(contributions), options.max_explanations)});
  }
  return out;
}

std::string AlsModel::Serialize() const {
  artifact::Als proto;
  proto.set_num_items(num_items());
  proto.set_factors(factors());
  proto.set_regularization(regularization_);
  proto.set_alpha(alpha_);
  proto.mutable_item_factors()->Add(item_factors_.data(),
                                    item_factors_.data() + item_factors_.size());
  return internal::WrapArtifact(ArtifactKind::kAls, proto);
}

absl::StatusOr<std::unique_ptr<AlsModel>> AlsModel::Deserialize(absl::string_view bytes) {
  artifact::Als proto;
  absl::Status status = internal::UnwrapArtifact(bytes, ArtifactKind::kAls, proto);
  if (!status.ok()) return status;
  auto corrupt = [](absl::string_view detail) {
    return internal::CorruptArtifact(ArtifactKind::kAls, detail);
  };
  const int64_t n = proto.num_items();
  const int64_t f = proto.factors();
  if (n < 0 || f < 1 || f > 1024) {
    return corrupt(absl::StrCat("num_items ", n, ", factors ", f));
  }
  if (proto.item_factors_size() != n * f) {
    return corrupt(
        absl::StrCat("expected ", n * f, " factor values, found ", proto.item_factors_size()));
  }
  if (!std::isfinite(proto.regularization()) || proto.regularization() <= 0 ||
      !std::isfinite(proto.alpha()) || proto.alpha() < 0) {
    return corrupt(
        absl::StrCat("regularization ", proto.regularization(), ", alpha ", proto.alpha()));
  }
  Matrix factors = Eigen::Map<const Matrix>(proto.item_factors().data(), n, f);
  if (!factors.allFinite()) return corrupt("non-finite item factors");
  return std::unique_ptr<AlsModel>(
      new AlsModel(proto.regularization(), proto.alpha(), std::move(factors)));
}

}  // namespace cohort::models::recommend
