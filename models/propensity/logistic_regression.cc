#include "models/propensity/logistic_regression.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "Eigen/Cholesky"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "models/common/model_envelope.h"
#include "models/propensity/propensity_model.pb.h"

namespace cohort::models::propensity {
namespace {

constexpr uint32_t kVersion = 1;
constexpr double kMinScale = 1e-12;  // below this a feature counts as constant

double Softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

// The penalized objective and (optionally) its gradient and Hessian at beta = [b, w].
struct Problem {
  const Eigen::MatrixXd& a;  // n x (d + 1): a column of ones, then the standardized features
  const Eigen::VectorXd& y;
  const Eigen::VectorXd& s;
  double l2;

  double Objective(const Eigen::VectorXd& beta) const {
    const Eigen::VectorXd eta = a * beta;
    double total = 0.0;
    for (Eigen::Index i = 0; i < eta.size(); ++i)
      total += s[i] * (Softplus(eta[i]) - y[i] * eta[i]);
    return total + 0.5 * l2 * beta.tail(beta.size() - 1).squaredNorm();
  }

  void Derivatives(const Eigen::VectorXd& beta, Eigen::VectorXd& gradient,
                   Eigen::MatrixXd* hessian) const {
    const Eigen::VectorXd eta = a * beta;
    Eigen::VectorXd residual(eta.size()), curvature(eta.size());
    for (Eigen::Index i = 0; i < eta.size(); ++i) {
      const double p = Sigmoid(eta[i]);
      residual[i] = s[i] * (p - y[i]);
      curvature[i] = s[i] * p * (1.0 - p);
    }
    gradient = a.transpose() * residual;
    gradient.tail(beta.size() - 1) += l2 * beta.tail(beta.size() - 1);
    if (hessian == nullptr) return;
    *hessian = a.transpose() * curvature.asDiagonal() * a;
    hessian->diagonal().tail(beta.size() - 1).array() += l2;
  }
};

absl::Status CheckInputs(const Eigen::Ref<const Eigen::MatrixXd>& x, absl::Span<const double> y,
                         absl::Span<const double> weights, const LogisticRegressionOptions& o) {
  if (!(o.l2 >= 0.0) || o.max_iterations < 1 || !(o.tolerance > 0.0)) {
    return absl::InvalidArgumentError(
        "logistic regression options need l2 >= 0, max_iterations >= 1, tolerance > 0");
  }
  if (x.rows() < 1 || x.cols() < 1) {
    return absl::InvalidArgumentError("logistic regression needs at least 1 row and 1 feature");
  }
  if (static_cast<size_t>(x.rows()) != y.size() ||
      (!weights.empty() && weights.size() != y.size())) {
    return absl::InvalidArgumentError(absl::StrCat("got ", x.rows(), " rows, ", y.size(),
                                                   " labels and ", weights.size(),
                                                   " weights; labels (and weights) must match"));
  }
  if (!x.allFinite()) return absl::InvalidArgumentError("training features hold NaN or infinity");
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] != 0.0 && y[i] != 1.0) {
      return absl::InvalidArgumentError(
          absl::StrCat("label[", i, "] = ", y[i], "; must be 0 or 1"));
    }
    if (!weights.empty() && !(weights[i] >= 0.0 && std::isfinite(weights[i]))) {
      return absl::InvalidArgumentError(absl::StrCat("weight[", i, "] must be finite and >= 0"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<LogisticRegression>> LogisticRegression::Fit(
    const Eigen::Ref<const Eigen::MatrixXd>& x, absl::Span<const double> y,
    std::vector<std::string> feature_names, const LogisticRegressionOptions& options,
    absl::Span<const double> sample_weights) {
  COHORT_RETURN_IF_ERROR(CheckInputs(x, y, sample_weights, options));
  const Eigen::Index n = x.rows();
  const Eigen::Index d = x.cols();
  if (feature_names.empty()) {
    for (Eigen::Index j = 0; j < d; ++j) feature_names.push_back(absl::StrCat("f", j));
  }
  if (static_cast<Eigen::Index>(feature_names.size()) != d) {
    return absl::InvalidArgumentError(
        absl::StrCat("got ", feature_names.size(), " feature names for ", d, " features"));
  }
  const Eigen::VectorXd yv = Eigen::Map<const Eigen::VectorXd>(y.data(), n);
  const Eigen::VectorXd s =
      sample_weights.empty()
          ? Eigen::VectorXd::Ones(n)
          : Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(sample_weights.data(), n));
  const double total_weight = s.sum();
  if (!(total_weight > 0.0)) return absl::InvalidArgumentError("sample weights sum to 0");
  const double positive_weight = s.dot(yv);
  if (options.l2 == 0.0 && (positive_weight == 0.0 || positive_weight == total_weight)) {
    return absl::InvalidArgumentError(
        "labels hold a single class and l2 == 0: the intercept would diverge; use l2 > 0");
  }

  auto model = std::unique_ptr<LogisticRegression>(new LogisticRegression());
  model->feature_names_ = std::move(feature_names);
  model->l2_ = options.l2;
  model->means_ = x.colwise().mean().transpose();
  Eigen::MatrixXd a(n, d + 1);
  a.col(0).setOnes();
  a.rightCols(d) = x.rowwise() - model->means_.transpose();
  model->stds_ =
      (a.rightCols(d).array().square().colwise().sum() / static_cast<double>(n)).sqrt().transpose();
  for (Eigen::Index j = 0; j < d; ++j) {
    if (!(model->stds_[j] > kMinScale)) model->stds_[j] = 1.0;
  }
  a.rightCols(d) = a.rightCols(d).array().rowwise() / model->stds_.transpose().array();

  const Problem problem{a, yv, s, options.l2};
  Eigen::VectorXd beta = Eigen::VectorXd::Zero(d + 1);
  const double base_rate = std::clamp(positive_weight / total_weight, 1e-6, 1.0 - 1e-6);
  beta[0] = std::log(base_rate / (1.0 - base_rate));
  Eigen::VectorXd gradient;
  Eigen::MatrixXd hessian;
  LogisticRegressionFitInfo& info = model->fit_info_;
  double objective = problem.Objective(beta);
  for (info.iterations = 0;; ++info.iterations) {
    problem.Derivatives(beta, gradient, &hessian);
    info.max_gradient = gradient.cwiseAbs().maxCoeff();
    if (info.max_gradient <= options.tolerance * total_weight) {
      info.converged = true;
      break;
    }
    if (info.iterations == options.max_iterations) break;
    // A tiny ridge keeps the solve well posed when l2 == 0 and curvature vanishes.
    hessian.diagonal().array() += 1e-12 * (1.0 + hessian.diagonal().maxCoeff());
    const Eigen::VectorXd step = hessian.ldlt().solve(gradient);
    const double slope = gradient.dot(step);
    double t = 1.0;
    Eigen::VectorXd candidate = beta - step;
    double candidate_objective = problem.Objective(candidate);
    // Armijo backtracking; `slack` absorbs rounding so full Newton steps near the optimum
    // (where the objective can no longer visibly decrease) are still taken.
    const double slack = 1e-12 * (1.0 + std::abs(objective));
    while (candidate_objective > objective - 1e-4 * t * slope + slack && t > 1e-10) {
      t *= 0.5;
      candidate = beta - t * step;
      candidate_objective = problem.Objective(candidate);
    }
    if (!(candidate_objective <= objective + slack)) break;  // no descent direction left
    beta = std::move(candidate);
    objective = candidate_objective;
  }
  info.objective = objective;
  model->intercept_ = beta[0];
  model->weights_ = beta.tail(d);
  return model;
}

absl::Status LogisticRegression::Standardize(absl::Span<const double> features,
                                             Eigen::VectorXd& z) const {
  if (features.size() != feature_names_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "logistic regression expects ", feature_names_.size(), " features; got ", features.size()));
  }
  z.resize(static_cast<Eigen::Index>(features.size()));
  for (size_t j = 0; j < features.size(); ++j) {
    const auto jj = static_cast<Eigen::Index>(j);
    if (std::isinf(features[j])) {
      return absl::InvalidArgumentError(
          absl::StrCat("feature ", feature_names_[j], " is infinite"));
    }
    z[jj] = std::isnan(features[j]) ? 0.0 : (features[j] - means_[jj]) / stds_[jj];
  }
  return absl::OkStatus();
}

absl::StatusOr<double> LogisticRegression::PredictMargin(absl::Span<const double> features) const {
  Eigen::VectorXd z;
  COHORT_RETURN_IF_ERROR(Standardize(features, z));
  return intercept_ + weights_.dot(z);
}

absl::StatusOr<Explanation> LogisticRegression::Explain(absl::Span<const double> features,
                                                        size_t top_k) const {
  Eigen::VectorXd z;
  COHORT_RETURN_IF_ERROR(Standardize(features, z));
  Explanation e;
  e.bias = intercept_;
  e.margin = intercept_ + weights_.dot(z);
  e.probability = Sigmoid(e.margin);
  e.contributions.reserve(features.size());
  for (Eigen::Index j = 0; j < z.size(); ++j) {
    e.contributions.push_back({static_cast<size_t>(j), weights_[j] * z[j]});
  }
  SortContributions(e.contributions, top_k);
  return e;
}

Eigen::VectorXd LogisticRegression::RawWeights() const { return weights_.cwiseQuotient(stds_); }

double LogisticRegression::RawIntercept() const { return intercept_ - RawWeights().dot(means_); }

std::string LogisticRegression::Serialize() const {
  proto::LogisticRegressionProto p;
  for (const std::string& name : feature_names_) p.add_feature_names(name);
  p.mutable_means()->Add(means_.data(), means_.data() + means_.size());
  p.mutable_stds()->Add(stds_.data(), stds_.data() + stds_.size());
  p.mutable_weights()->Add(weights_.data(), weights_.data() + weights_.size());
  p.set_intercept(intercept_);
  p.set_l2(l2_);
  return envelope::Wrap(kArtifactKind, kVersion, p.SerializeAsString());
}

absl::StatusOr<std::unique_ptr<LogisticRegression>> LogisticRegression::Deserialize(
    absl::string_view bytes) {
  COHORT_ASSIGN_OR_RETURN(const absl::string_view payload,
                          envelope::Unwrap(bytes, kArtifactKind, kVersion, "logistic regression"));
  proto::LogisticRegressionProto p;
  if (!p.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::DataLossError("logistic regression payload is not a valid proto");
  }
  const int d = p.feature_names_size();
  if (d < 1 || p.means_size() != d || p.stds_size() != d || p.weights_size() != d) {
    return absl::DataLossError(
        "logistic regression payload is inconsistent (feature, mean, scale and weight counts "
        "disagree)");
  }
  auto model = std::unique_ptr<LogisticRegression>(new LogisticRegression());
  model->feature_names_.assign(p.feature_names().begin(), p.feature_names().end());
  model->means_ = Eigen::Map<const Eigen::VectorXd>(p.means().data(), d);
  model->stds_ = Eigen::Map<const Eigen::VectorXd>(p.stds().data(), d);
  model->weights_ = Eigen::Map<const Eigen::VectorXd>(p.weights().data(), d);
  model->intercept_ = p.intercept();
  model->l2_ = p.l2();
  if (!model->means_.allFinite() || !model->weights_.allFinite() ||
      !std::isfinite(model->intercept_) || !model->stds_.allFinite() ||
      !(model->stds_.array() > 0.0).all()) {
    return absl::DataLossError(
        "logistic regression payload holds a non-finite parameter or a non-positive scale");
  }
  return model;
}

}  // namespace cohort::models::propensity
