#include "models/propensity/propensity_model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "models/common/model_envelope.h"
#include "models/propensity/calibration.h"
#include "models/propensity/logistic_regression.h"
#include "models/propensity/xgboost_model.h"

namespace cohort::models::propensity {

double Sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

void SortContributions(std::vector<FeatureContribution>& contributions, size_t top_k) {
  std::sort(contributions.begin(), contributions.end(),
            [](const FeatureContribution& a, const FeatureContribution& b) {
              const double abs_a = std::abs(a.contribution);
              const double abs_b = std::abs(b.contribution);
              if (abs_a != abs_b) return abs_a > abs_b;
              return a.feature < b.feature;
            });
  if (top_k > 0 && contributions.size() > top_k) contributions.resize(top_k);
}

absl::StatusOr<double> PropensityModel::Predict(absl::Span<const double> features) const {
  COHORT_ASSIGN_OR_RETURN(const double margin, PredictMargin(features));
  return Sigmoid(margin);
}

absl::StatusOr<std::vector<double>> PropensityModel::PredictMarginBatch(
    const Eigen::Ref<const Eigen::MatrixXd>& rows) const {
  std::vector<double> out;
  out.reserve(static_cast<size_t>(rows.rows()));
  std::vector<double> row(static_cast<size_t>(rows.cols()));
  for (Eigen::Index i = 0; i < rows.rows(); ++i) {
    for (Eigen::Index j = 0; j < rows.cols(); ++j) row[static_cast<size_t>(j)] = rows(i, j);
    COHORT_ASSIGN_OR_RETURN(const double margin, PredictMargin(row));
    out.push_back(margin);
  }
  return out;
}

absl::StatusOr<std::vector<double>> PropensityModel::PredictBatch(
    const Eigen::Ref<const Eigen::MatrixXd>& rows) const {
  COHORT_ASSIGN_OR_RETURN(std::vector<double> out, PredictMarginBatch(rows));
  for (double& v : out) v = Sigmoid(v);
  return out;
}

absl::StatusOr<std::unique_ptr<PropensityModel>> DeserializePropensityModel(
    absl::string_view bytes) {
  COHORT_ASSIGN_OR_RETURN(const absl::string_view kind, envelope::PeekKind(bytes));
  if (kind == LogisticRegression::kArtifactKind) {
    COHORT_ASSIGN_OR_RETURN(std::unique_ptr<LogisticRegression> model,
                            LogisticRegression::Deserialize(bytes));
    return std::unique_ptr<PropensityModel>(std::move(model));
  }
  if (kind == XgbModel::kArtifactKind) {
    COHORT_ASSIGN_OR_RETURN(std::unique_ptr<XgbModel> model, XgbModel::Deserialize(bytes));
    return std::unique_ptr<PropensityModel>(std::move(model));
  }
  if (kind == CalibratedModel::kArtifactKind) {
    COHORT_ASSIGN_OR_RETURN(std::unique_ptr<CalibratedModel> model,
                            CalibratedModel::Deserialize(bytes));
    return std::unique_ptr<PropensityModel>(std::move(model));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("artifact holds a \"", absl::CHexEscape(kind),
                   "\" model, not a propensity model (LOGR, XGBT or CALB)"));
}

}  // namespace cohort::models::propensity
