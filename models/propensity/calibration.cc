#include "models/propensity/calibration.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "models/common/model_envelope.h"
#include "models/propensity/propensity_model.pb.h"

namespace cohort::models::propensity {
namespace {

constexpr uint32_t kVersion = 1;

// Counts positives; InvalidArgument unless the inputs are usable held-out data.
absl::StatusOr<size_t> CheckHeldOut(absl::Span<const double> margins,
                                    absl::Span<const double> labels) {
  if (margins.size() != labels.size() || margins.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("calibration needs equal, non-zero numbers of margins and labels; got ",
                     margins.size(), " and ", labels.size()));
  }
  size_t positives = 0;
  for (size_t i = 0; i < margins.size(); ++i) {
    if (!std::isfinite(margins[i])) {
      return absl::InvalidArgumentError(absl::StrCat("margin[", i, "] is not finite"));
    }
    if (labels[i] != 0.0 && labels[i] != 1.0) {
      return absl::InvalidArgumentError(
          absl::StrCat("label[", i, "] = ", labels[i], "; must be 0 or 1"));
    }
    if (labels[i] == 1.0) ++positives;
  }
  if (positives == 0 || positives == labels.size()) {
    return absl::InvalidArgumentError(
        "held-out labels hold a single class; calibration needs positives and negatives");
  }
  return positives;
}

double Softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

}  // namespace

absl::StatusOr<Calibrator> Calibrator::Fit(CalibrationMethod method,
                                           absl::Span<const double> margins,
                                           absl::Span<const double> labels) {
  return method == CalibrationMethod::kPlatt ? FitPlatt(margins, labels)
                                             : FitIsotonic(margins, labels);
}

absl::StatusOr<Calibrator> Calibrator::FitPlatt(absl::Span<const double> margins,
                                                absl::Span<const double> labels) {
  COHORT_ASSIGN_OR_RETURN(const size_t positives, CheckHeldOut(margins, labels));
  const size_t n = margins.size();
  const double np = static_cast<double>(positives);
  const double nn = static_cast<double>(n - positives);
  const double t_pos = (np + 1.0) / (np + 2.0);
  const double t_neg = 1.0 / (nn + 2.0);
  auto objective = [&](double a, double b) {
    double total = 0.0;
    for (size_t i = 0; i < n; ++i) {
      const double f = a * margins[i] + b;
      total += Softplus(f) - (labels[i] == 1.0 ? t_pos : t_neg) * f;
    }
    return total;
  };
  double a = 0.0, b = std::log((np + 1.0) / (nn + 1.0));
  double current = objective(a, b);
  for (int iteration = 0; iteration < 100; ++iteration) {
    double ga = 0.0, gb = 0.0, haa = 0.0, hab = 0.0, hbb = 0.0;
    for (size_t i = 0; i < n; ++i) {
      const double p = Sigmoid(a * margins[i] + b);
      const double r = p - (labels[i] == 1.0 ? t_pos : t_neg);
      const double w = p * (1.0 - p);
      ga += r * margins[i];
      gb += r;
      haa += w * margins[i] * margins[i];
      hab += w * margins[i];
      hbb += w;
    }
    if (std::max(std::abs(ga), std::abs(gb)) <= 1e-10 * static_cast<double>(n)) break;
    haa += 1e-12;
    hbb += 1e-12;
    const double det = haa * hbb - hab * hab;
    if (!(det > 0.0)) break;
    const double da = (hbb * ga - hab * gb) / det;
    const double db = (haa * gb - hab * ga) / det;
    // Armijo backtracking with rounding slack (see logistic_regression.cc).
    const double slack = 1e-12 * (1.0 + std::abs(current));
    double t = 1.0, next = objective(a - da, b - db);
    while (next > current - 1e-4 * t * (ga * da + gb * db) + slack && t > 1e-10) {
      t *= 0.5;
      next = objective(a - t * da, b - t * db);
    }
    if (!(next <= current + slack)) break;  // no descent direction left
    a -= t * da;
    b -= t * db;
    current = next;
  }
  Calibrator c;
  c.method_ = CalibrationMethod::kPlatt;
  c.a_ = a;
  c.b_ = b;
  return c;
}

absl::StatusOr<Calibrator> Calibrator::FitIsotonic(absl::Span<const double> margins,
                                                   absl::Span<const double> labels) {
  COHORT_RETURN_IF_ERROR(CheckHeldOut(margins, labels).status());
  std::vector<size_t> order(margins.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t i, size_t j) { return margins[i] < margins[j]; });
  struct Block {
    double x_min, x_max, sum_y, weight;
    double Mean() const { return sum_y / weight; }
  };
  std::vector<Block> stack;
  for (size_t pos = 0; pos < order.size();) {
    // Pool equal margins first: they must get one value.
    Block block{margins[order[pos]], margins[order[pos]], 0.0, 0.0};
    for (; pos < order.size() && margins[order[pos]] == block.x_min; ++pos) {
      block.sum_y += labels[order[pos]];
      block.weight += 1.0;
    }
    stack.push_back(block);
    while (stack.size() >= 2 && stack[stack.size() - 2].Mean() > stack.back().Mean()) {
      const Block top = stack.back();
      stack.pop_back();
      stack.back().x_max = top.x_max;
      stack.back().sum_y += top.sum_y;
      stack.back().weight += top.weight;
    }
  }
  Calibrator c;
  c.method_ = CalibrationMethod::kIsotonic;
  for (const Block& block : stack) {
    c.knot_x_.push_back(block.x_min);
    c.knot_y_.push_back(block.Mean());
    if (block.x_max > block.x_min) {
      c.knot_x_.push_back(block.x_max);
      c.knot_y_.push_back(block.Mean());
    }
  }
  return c;
}

double Calibrator::Apply(double margin) const {
  if (method_ == CalibrationMethod::kPlatt) return Sigmoid(a_ * margin + b_);
  if (std::isnan(margin)) return knot_y_.front();  // never produced by our models
  if (margin <= knot_x_.front()) return knot_y_.front();
  if (margin >= knot_x_.back()) return knot_y_.back();
  const size_t hi = static_cast<size_t>(std::upper_bound(knot_x_.begin(), knot_x_.end(), margin) -
                                        knot_x_.begin());
  const size_t lo = hi - 1;
  const double t = (margin - knot_x_[lo]) / (knot_x_[hi] - knot_x_[lo]);
  return knot_y_[lo] + t * (knot_y_[hi] - knot_y_[lo]);
}

CalibratedModel::CalibratedModel(std::unique_ptr<PropensityModel> base, Calibrator calibrator)
    : base_(std::move(base)), calibrator_(std::move(calibrator)) {}

absl::StatusOr<std::unique_ptr<CalibratedModel>> CalibratedModel::Fit(
    std::unique_ptr<PropensityModel> base, CalibrationMethod method,
    const Eigen::Ref<const Eigen::MatrixXd>& heldout_x, absl::Span<const double> heldout_y) {
  if (base == nullptr || base->kind() == "calibrated") {
    return absl::InvalidArgumentError("calibration needs a non-null, uncalibrated base model");
  }
  COHORT_ASSIGN_OR_RETURN(const std::vector<double> margins, base->PredictMarginBatch(heldout_x));
  COHORT_ASSIGN_OR_RETURN(Calibrator calibrator, Calibrator::Fit(method, margins, heldout_y));
  return std::make_unique<CalibratedModel>(std::move(base), std::move(calibrator));
}

const std::vector<std::string>& CalibratedModel::feature_names() const {
  return base_->feature_names();
}

absl::StatusOr<double> CalibratedModel::PredictMargin(absl::Span<const double> features) const {
  return base_->PredictMargin(features);
}

absl::StatusOr<double> CalibratedModel::Predict(absl::Span<const double> features) const {
  COHORT_ASSIGN_OR_RETURN(const double margin, base_->PredictMargin(features));
  return calibrator_.Apply(margin);
}

absl::StatusOr<std::vector<double>> CalibratedModel::PredictMarginBatch(
    const Eigen::Ref<const Eigen::MatrixXd>& rows) const {
  return base_->PredictMarginBatch(rows);
}

absl::StatusOr<std::vector<double>> CalibratedModel::PredictBatch(
    const Eigen::Ref<const Eigen::MatrixXd>& rows) const {
  COHORT_ASSIGN_OR_RETURN(std::vector<double> out, base_->PredictMarginBatch(rows));
  for (double& v : out) v = calibrator_.Apply(v);
  return out;
}

absl::StatusOr<Explanation> CalibratedModel::Explain(absl::Span<const double> features,
                                                     size_t top_k) const {
  COHORT_ASSIGN_OR_RETURN(Explanation e, base_->Explain(features, top_k));
  e.probability = calibrator_.Apply(e.margin);
  return e;
}

std::string CalibratedModel::Serialize() const {
  proto::CalibratedModelProto p;
  p.set_base_model(base_->Serialize());
  proto::CalibratorProto* c = p.mutable_calibrator();
  if (calibrator_.method_ == CalibrationMethod::kPlatt) {
    c->set_method(proto::CalibratorProto::PLATT);
    c->set_platt_a(calibrator_.a_);
    c->set_platt_b(calibrator_.b_);
  } else {
    c->set_method(proto::CalibratorProto::ISOTONIC);
    c->mutable_knot_x()->Add(calibrator_.knot_x_.begin(), calibrator_.knot_x_.end());
    c->mutable_knot_y()->Add(calibrator_.knot_y_.begin(), calibrator_.knot_y_.end());
  }
  return envelope::Wrap(kArtifactKind, kVersion, p.SerializeAsString());
}

absl::StatusOr<std::unique_ptr<CalibratedModel>> CalibratedModel::Deserialize(
    absl::string_view bytes) {
  COHORT_ASSIGN_OR_RETURN(const absl::string_view payload,
                          envelope::Unwrap(bytes, kArtifactKind, kVersion, "calibrated model"));
  proto::CalibratedModelProto p;
  if (!p.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::DataLossError("calibrated model payload is not a valid proto");
  }
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<PropensityModel> base,
                          DeserializePropensityModel(p.base_model()));
  if (base->kind() == "calibrated") {
    return absl::DataLossError("calibrated model wraps another calibrated model");
  }
  const proto::CalibratorProto& c = p.calibrator();
  Calibrator calibrator;
  if (c.method() == proto::CalibratorProto::PLATT) {
    if (!std::isfinite(c.platt_a()) || !std::isfinite(c.platt_b())) {
      return absl::DataLossError("Platt calibrator parameters are not finite");
    }
    calibrator.method_ = CalibrationMethod::kPlatt;
    calibrator.a_ = c.platt_a();
    calibrator.b_ = c.platt_b();
  } else if (c.method() == proto::CalibratorProto::ISOTONIC) {
    calibrator.method_ = CalibrationMethod::kIsotonic;
    calibrator.knot_x_.assign(c.knot_x().begin(), c.knot_x().end());
    calibrator.knot_y_.assign(c.knot_y().begin(), c.knot_y().end());
    const auto& x = calibrator.knot_x_;
    const auto& y = calibrator.knot_y_;
    bool ok = !x.empty() && x.size() == y.size();
    for (size_t i = 0; ok && i < x.size(); ++i) {
      ok = std::isfinite(x[i]) && y[i] >= 0.0 && y[i] <= 1.0 &&
           (i == 0 || (x[i] > x[i - 1] && y[i] >= y[i - 1]));
    }
    if (!ok) return absl::DataLossError("isotonic calibrator knots are invalid");
  } else {
    return absl::DataLossError("calibrated model has no calibration method");
  }
  return std::make_unique<CalibratedModel>(std::move(base), std::move(calibrator));
}

}  // namespace cohort::models::propensity
