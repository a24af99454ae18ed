// EASE, "Embarrassingly Shallow Autoencoders for Sparse Data" (Steck, WWW 2019).
//
// With G = XᵀX + λI (X users x items) and P = G⁻¹, the item-item weights minimizing
// ||X - XB||²_F + λ||B||²_F subject to diag(B) = 0 are, in closed form,
//   B[i][j] = -P[i][j] / P[j][j] for i != j,   B[j][j] = 0.
// A customer's score for item j is sum over history items i of weight_i * B[i][j]; its
// explanation lists the history items with the largest terms. B is dense: training takes
// O(n³) time and about 2·8·n² bytes, serving 4·n² bytes, so catalogues above
// EaseOptions::max_items are refused (use ALS there; see factory.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "models/recommend/interaction_matrix.h"
#include "models/recommend/recommender.h"

namespace cohort::models::recommend {

struct EaseOptions {
  // L2 regularization λ > 0. Default 500 (Steck reports a few hundred to a few thousand on
  // binary data; scale with the weights' magnitude).
  double lambda = 500;
  // Largest catalogue trained, in [1, 40000]. Default 4000 (~256 MB while training).
  int32_t max_items = 4000;

  // Errors: INVALID_ARGUMENT naming the field out of range.
  absl::Status Validate() const;
};

// Immutable; every const method is thread-safe.
class EaseModel final : public Recommender {
 public:
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  // Trains on `interactions`. Errors: INVALID_ARGUMENT from options.Validate();
  // RESOURCE_EXHAUSTED if the catalogue has more than options.max_items items;
  // INTERNAL if XᵀX + λI is numerically not positive definite.
  static absl::StatusOr<std::unique_ptr<EaseModel>> Train(const InteractionMatrix& interactions,
                                                          const EaseOptions& options);

  // Loads Serialize() output. Errors: INVALID_ARGUMENT (not an ease artifact),
  // FAILED_PRECONDITION (unsupported format version), DATA_LOSS (truncated or corrupt).
  static absl::StatusOr<std::unique_ptr<EaseModel>> Deserialize(absl::string_view bytes);

  ModelKind kind() const override { return ModelKind::kEase; }
  int32_t num_items() const override { return static_cast<int32_t>(weights_.rows()); }
  absl::StatusOr<std::vector<Recommendation>> Recommend(
      absl::Span<const HistoryItem> history, const RecommendOptions& options) const override;
  std::string Serialize() const override;

  double lambda() const { return lambda_; }
  // B, num_items x num_items: weights()(i, j) is how much history item i adds to item j.
  const Matrix& weights() const { return weights_; }

 private:
  EaseModel(double lambda, Matrix weights) : lambda_(lambda), weights_(std::move(weights)) {}

  double lambda_;
  Matrix weights_;
};

}  // namespace cohort::models::recommend
