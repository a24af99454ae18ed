#include "models/recommend/ease.h"

#include <cmath>
#include <utility>

#include "Eigen/Cholesky"
#include "absl/strings/str_cat.h"
#include "models/recommend/artifact_format_internal.h"
#include "models/recommend/recommend_artifacts.pb.h"
#include "models/recommend/recommend_internal.h"

namespace cohort::models::recommend {

using internal::ArtifactKind;

absl::Status EaseOptions::Validate() const {
  if (!std::isfinite(lambda) || lambda <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("EaseOptions.lambda must be finite and > 0, got ", lambda));
  }
  if (max_items < 1 || max_items > 40000) {
    return absl::InvalidArgumentError(
        absl::StrCat("EaseOptions.max_items must be in [1, 40000], got ", max_items));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<EaseModel>> EaseModel::Train(const InteractionMatrix& interactions,
                                                            const EaseOptions& options) {
  absl::Status status = options.Validate();
  if (!status.ok()) return status;
  const int32_t n = interactions.num_items();
  if (n > options.max_items) {
    return absl::ResourceExhaustedError(
        absl::StrCat("EASE needs a dense ", n, " x ", n, " item matrix; the catalogue has ", n,
                     " items, above EaseOptions.max_items = ", options.max_items,
                     ". Use ALS (or item-kNN) for this catalogue or raise max_items"));
  }
  // G = XᵀX + λI, accumulated user by user (lower triangle; the Cholesky reads only it).
  const InteractionMatrix::Storage& x = interactions.matrix();
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(n, n);
  for (int32_t u = 0; u < interactions.num_users(); ++u) {
    for (InteractionMatrix::Storage::InnerIterator a(x, u); a; ++a) {
      for (InteractionMatrix::Storage::InnerIterator b(x, u); b && b.index() <= a.index(); ++b) {
        gram(a.index(), b.index()) += static_cast<double>(a.value()) * b.value();
      }
    }
  }
  gram.diagonal().array() += options.lambda;
  // P = G⁻¹ through an in-place Cholesky factorization of G (G is symmetric positive definite).
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(gram);
  if (llt.info() != Eigen::Success) {
    return absl::InternalError("EASE: XᵀX + λI is not numerically positive definite");
  }
  Eigen::MatrixXd p = Eigen::MatrixXd::Identity(n, n);
  llt.solveInPlace(p);
  Matrix weights(n, n);
  for (int32_t j = 0; j < n; ++j) {
    const double inverse_diagonal = 1.0 / p(j, j);
    for (int32_t i = 0; i < n; ++i) {
      weights(i, j) = i == j ? 0.0f : static_cast<float>(-p(i, j) * inverse_diagonal);
    }
  }
  return std::unique_ptr<EaseModel>(new EaseModel(options.lambda, std::move(weights)));
}

absl::StatusOr<std::vector<Recommendation>> EaseModel::Recommend(
    absl::Span<const HistoryItem> history, const RecommendOptions& options) const {
  absl::StatusOr<internal::PreparedRequest> request =
      internal::PrepareRequest(history, options, num_items());
  if (!request.ok()) return request.status();
  if (internal::HasNoSignal(request->history)) return std::vector<Recommendation>();
  Eigen::VectorXf scores = Eigen::VectorXf::Zero(num_items());
  for (const HistoryItem& h : request->history) {
    if (h.weight > 0) scores += h.weight * weights_.row(h.item).transpose();
  }
  std::vector<Recommendation> out;
  for (const internal::ScoredItem& top :
       internal::TopK(absl::MakeConstSpan(scores.data(), static_cast<size_t>(scores.size())),
                      request->excluded, options.k)) {
    std::vector<Contribution> contributions;
    for (const HistoryItem& h : request->history) {
      contributions.push_back({h.item, h.weight * weights_(h.item, top.item)});
    }
    out.push_back({top.item, top.score,
                   internal::TopContributions(std::move(contributions), options.max_explanations)});
  }
  return out;
}

std::string EaseModel::Serialize() const {
  artifact::Ease proto;
  proto.set_num_items(num_items());
  proto.set_lambda(lambda_);
  proto.mutable_weights()->Add(weights_.data(), weights_.data() + weights_.size());
  return internal::WrapArtifact(ArtifactKind::kEase, proto);
}

absl::StatusOr<std::unique_ptr<EaseModel>> EaseModel::Deserialize(absl::string_view bytes) {
  artifact::Ease proto;
  absl::Status status = internal::UnwrapArtifact(bytes, ArtifactKind::kEase, proto);
  if (!status.ok()) return status;
  auto corrupt = [](absl::string_view detail) {
    return internal::CorruptArtifact(ArtifactKind::kEase, detail);
  };
  const int64_t n = proto.num_items();
  if (n < 0 || n > 40000) return corrupt(absl::StrCat("num_items is ", n));
  if (proto.weights_size() != n * n) {
    return corrupt(absl::StrCat("expected ", n * n, " weights, found ", proto.weights_size()));
  }
  if (!std::isfinite(proto.lambda()) || proto.lambda() <= 0) {
    return corrupt(absl::StrCat("lambda is ", proto.lambda()));
  }
  Matrix weights = Eigen::Map<const Matrix>(proto.weights().data(), n, n);
  if (!weights.allFinite()) return corrupt("non-finite weights");
  if (n > 0 && weights.diagonal().cwiseAbs().maxCoeff() != 0.0f) {
    return corrupt("the diagonal of B is not zero");
  }
  return std::unique_ptr<EaseModel>(new EaseModel(proto.lambda(), std::move(weights)));
}

}  // namespace cohort::models::recommend
