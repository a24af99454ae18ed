// L2-regularized logistic regression on Eigen, fitted by Newton's method (IRLS) with a
// backtracking line search, with feature standardization inside the model.
//
// Model: z_j = (x_j - mean_j) / std_j  (population mean and std of the training data; a
// constant feature gets std 1), margin = b + sum_j w_j z_j, p = sigmoid(margin).
// Objective minimized (s_i = sample weights, default 1; the intercept is not penalized):
//   L(b, w) = sum_i s_i * logloss(y_i, p_i) + (l2 / 2) * ||w||^2
// Contributions (Explain): w_j * z_j per feature, bias = b, so they sum to the margin. A NaN
// input is imputed with the training mean (z_j = 0, contribution 0).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "models/propensity/propensity_model.h"

namespace cohort::models::propensity {

struct LogisticRegressionOptions {
  double l2 = 1.0;               // L2 penalty on standardized weights (>= 0)
  int32_t max_iterations = 100;  // Newton steps (>= 1)
  // Converged when max |gradient of L| <= tolerance * (sum of sample weights).
  double tolerance = 1e-10;
};

// How the fit went (not serialized).
struct LogisticRegressionFitInfo {
  int32_t iterations = 0;
  bool converged = false;
  double objective = 0.0;     // L at the solution
  double max_gradient = 0.0;  // max |dL/dparam| at the solution
};

class LogisticRegression final : public PropensityModel {
 public:
  static constexpr absl::string_view kArtifactKind = "LOGR";

  // Fits on the rows of `x` (n x d) with labels `y` in {0, 1}. `feature_names` holds d names
  // (empty: "f0", "f1", ...); `sample_weights` is empty or n non-negative weights.
  // Errors: InvalidArgument on size mismatches, non-finite features, labels not in {0, 1},
  // bad options, or a single-class `y` with l2 == 0 (the optimum is at infinity).
  // Not converging within max_iterations is not an error: see fit_info().
  static absl::StatusOr<std::unique_ptr<LogisticRegression>> Fit(
      const Eigen::Ref<const Eigen::MatrixXd>& x, absl::Span<const double> y,
      std::vector<std::string> feature_names, const LogisticRegressionOptions& options = {},
      absl::Span<const double> sample_weights = {});

  absl::string_view kind() const override { return "logistic_regression"; }
  const std::vector<std::string>& feature_names() const override { return feature_names_; }
  absl::StatusOr<double> PredictMargin(absl::Span<const double> features) const override;
  absl::StatusOr<Explanation> Explain(absl::Span<const double> features,
                                      size_t top_k = 0) const override;

  // Parameters in standardized units.
  const Eigen::VectorXd& means() const { return means_; }
  const Eigen::VectorXd& stds() const { return stds_; }
  const Eigen::VectorXd& weights() const { return weights_; }
  double intercept() const { return intercept_; }
  // The same linear function on raw features: margin = raw_intercept + raw_weights . x.
  Eigen::VectorXd RawWeights() const;
  double RawIntercept() const;
  const LogisticRegressionFitInfo& fit_info() const { return fit_info_; }

  // Envelope kind "LOGR". Deserialize errors: InvalidArgument (not a logistic-regression
  // artifact), FailedPrecondition (newer version), DataLoss (corrupt bytes).
  std::string Serialize() const override;
  static absl::StatusOr<std::unique_ptr<LogisticRegression>> Deserialize(absl::string_view bytes);

 private:
  LogisticRegression() = default;
  // Standardized features into `z`; InvalidArgument on a wrong count or an infinite value.
  absl::Status Standardize(absl::Span<const double> features, Eigen::VectorXd& z) const;

  std::vector<std::string> feature_names_;
  Eigen::VectorXd means_;
  Eigen::VectorXd stds_;
  Eigen::VectorXd weights_;
  double intercept_ = 0.0;
  double l2_ = 0.0;
  LogisticRegressionFitInfo fit_info_;
};

}  // namespace cohort::models::propensity
