// The common interface of propensity models (probability that a customer does something,
// e.g. buys in the next 30 days or churns in the next 90), so a scorer can hold any of them:
//
//   LogisticRegression  (logistic_regression.h)  Eigen, L2, Newton/IRLS, standardization
//   XgbModel            (xgboost_model.h)        gradient-boosted trees via the XGBoost C API
//   CalibratedModel     (calibration.h)          either of the above + Platt or isotonic
//
// Every model reads a dense feature vector in feature_names() order, explains a score as
// additive contributions in log-odds units, and serializes to self-describing bytes that
// DeserializePropensityModel() turns back into the right class.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace cohort::models::propensity {

// One feature's additive share of a margin, in log-odds units.
struct FeatureContribution {
  size_t feature = 0;         // index into feature_names()
  double contribution = 0.0;  // > 0 pushes the score up
};

struct Explanation {
  double probability = 0.0;  // what Predict() returns (calibrated for a CalibratedModel)
  // Raw log-odds of the underlying (uncalibrated) model:
  //   margin == bias + sum of the contributions of *all* features.
  double margin = 0.0;
  double bias = 0.0;  // logistic regression: the intercept; trees: XGBoost's bias term
  // By |contribution| descending (ties: lower feature index); the first top_k only when
  // top_k > 0. Features contributing exactly 0 are kept (they still count toward top_k).
  std::vector<FeatureContribution> contributions;
};

// Thread-safety: every implementation is immutable after construction and all const methods
// may be called concurrently (XgbModel serializes access to its XGBoost handles itself).
class PropensityModel {
 public:
  virtual ~PropensityModel() = default;

  // Short name of the implementation: "logistic_regression", "xgboost" or "calibrated".
  virtual absl::string_view kind() const = 0;

  // Names of the features the model reads, in input order.
  virtual const std::vector<std::string>& feature_names() const = 0;
  size_t num_features() const { return feature_names().size(); }

  // Raw log-odds of one customer (before any calibration). `features` must hold
  // num_features() values; NaN means missing (logistic regression imputes the training
  // mean, XGBoost follows its learned default direction). Errors: InvalidArgument on a wrong
  // count or an infinite value.
  virtual absl::StatusOr<double> PredictMargin(absl::Span<const double> features) const = 0;

  // Probability in [0, 1]: sigmoid(margin), or the calibrated value. Errors as PredictMargin.
  virtual absl::StatusOr<double> Predict(absl::Span<const double> features) const;

  // Margins / probabilities of every row of `rows` (n x num_features()); for evaluation.
  // The defaults loop over rows; XgbModel predicts the whole matrix at once.
  virtual absl::StatusOr<std::vector<double>> PredictMarginBatch(
      const Eigen::Ref<const Eigen::MatrixXd>& rows) const;
  virtual absl::StatusOr<std::vector<double>> PredictBatch(
      const Eigen::Ref<const Eigen::MatrixXd>& rows) const;

  // The probability plus its per-feature contributions (see Explanation). Errors as
  // PredictMargin.
  virtual absl::StatusOr<Explanation> Explain(absl::Span<const double> features,
                                              size_t top_k = 0) const = 0;

  // Self-describing model bytes (docs/models.md "Model bytes"); never fails.
  virtual std::string Serialize() const = 0;
};

// Loads any propensity model written by Serialize(), dispatching on the kind in the
// envelope. Errors: InvalidArgument when the bytes are not a propensity-model artifact,
// FailedPrecondition when written by a newer format version, DataLoss when corrupt or
// truncated; XGBoost load failures come back as DataLoss with XGBoost's message.
absl::StatusOr<std::unique_ptr<PropensityModel>> DeserializePropensityModel(
    absl::string_view bytes);

// 1 / (1 + exp(-x)), computed without overflow.
double Sigmoid(double x);

// Sorts contributions by |contribution| descending (ties: lower feature index) and keeps
// the first top_k when top_k > 0.
void SortContributions(std::vector<FeatureContribution>& contributions, size_t top_k);

}  // namespace cohort::models::propensity
