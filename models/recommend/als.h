// Implicit-feedback ALS (Hu, Koren, Volinsky, "Collaborative Filtering for Implicit Feedback
// Datasets", ICDM 2008), with fold-in of customers unseen at training.
//
// With interaction weights r_ui, preferences p_ui = [r_ui > 0] and confidences
// c_ui = 1 + alpha * r_ui, training minimizes over user factors x_u and item factors y_i
//   L = sum_{u,i} c_ui (p_ui - x_u·y_i)² + regularization * (sum_u |x_u|² + sum_i |y_i|²)
// by alternating exact least-squares solves (a Cholesky factorization per row): each
// iteration solves every item given the users, then every user given the items, so L never
// increases. Initialization is deterministic (user factors from a seeded SplitMix64).
//
// Fold-in: a customer's factor is the same regularized least-squares solve against the item
// factors, computed at request time from the served history, so users unseen at training are
// scored; a training user's history reproduces their trained factor. Score of item i:
// x·y_i. Explanation (HKV section 5): score = sum_j c_j · y_iᵀ A⁻¹ y_j over history items j,
// where A = YᵀY + regularization·I + sum_j (c_j - 1) y_j y_jᵀ; the largest terms are listed.
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

struct AlsOptions {
  int32_t factors = 32;         // latent dimensions, in [1, 1024]
  double regularization = 0.1;  // L2 weight, finite and > 0
  double alpha = 10;            // confidence slope: c = 1 + alpha * r; finite and >= 0
  int32_t iterations = 15;      // alternations (items then users), in [1, 1000]
  uint64_t seed = 42;           // initialization seed: same seed and data -> same model
  double init_scale = 0.1;      // initial user factors uniform in ±init_scale/sqrt(factors)
  int32_t num_threads = 1;      // rows solved in parallel during training, in [1, 256]

  // Errors: INVALID_ARGUMENT naming the field out of range.
  absl::Status Validate() const;
};

class AlsModel;

// The output of AlsModel::Train.
struct AlsTrainingResult {
  std::unique_ptr<AlsModel> model;  // the serving artifact (item factors)
  // Trained user factors, num_users x factors, in the matrix's user order (for evaluation;
  // serving folds users in from their history instead).
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> user_factors;
  std::vector<double> loss;  // L after each iteration (non-increasing)
};

// Immutable; every const method is thread-safe.
class AlsModel final : public Recommender {
 public:
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  // Trains on `interactions`. Errors: INVALID_ARGUMENT from options.Validate().
  static absl::StatusOr<AlsTrainingResult> Train(const InteractionMatrix& interactions,
                                                 const AlsOptions& options);

  // Loads Serialize() output. Errors: INVALID_ARGUMENT (not an als artifact),
  // FAILED_PRECONDITION (unsupported format version), DATA_LOSS (truncated or corrupt).
  static absl::StatusOr<std::unique_ptr<AlsModel>> Deserialize(absl::string_view bytes);

  ModelKind kind() const override { return ModelKind::kAls; }
  int32_t num_items() const override { return static_cast<int32_t>(item_factors_.rows()); }
  absl::StatusOr<std::vector<Recommendation>> Recommend(
      absl::Span<const HistoryItem> history, const RecommendOptions& options) const override;
  std::string Serialize() const override;

  // The factor of a customer with `history` (zero if no item has a positive weight).
  // Errors: INVALID_ARGUMENT for an item out of range or a negative/non-finite weight.
  absl::StatusOr<Eigen::VectorXf> FoldIn(absl::Span<const HistoryItem> history) const;

  int32_t factors() const { return static_cast<int32_t>(item_factors_.cols()); }
  double regularization() const { return regularization_; }
  double alpha() const { return alpha_; }
  const Matrix& item_factors() const { return item_factors_; }

 private:
  AlsModel(double regularization, double alpha, Matrix item_factors);

  double regularization_;
  double alpha_;
  Matrix item_factors_;        // num_items x factors
  Eigen::MatrixXd item_gram_;  // YᵀY + regularization·I, cached for fold-in
};

// The objective L above for the given factors (users x f, items x f).
double AlsLoss(const InteractionMatrix& interactions, const AlsModel::Matrix& user_factors,
               const AlsModel::Matrix& item_factors, double alpha, double regularization);

}  // namespace cohort::models::recommend
