// Probability calibration of a propensity model, fitted on a held-out set (never on the
// training rows), and CalibratedModel: a base model plus a calibrator behind the common
// PropensityModel interface.
//
// Both calibrators map the base model's raw margin (log-odds) to a probability:
// - Platt scaling: p = sigmoid(a * margin + b), (a, b) by maximum likelihood (Newton) on
//   Platt's smoothed targets t+ = (N+ + 1) / (N+ + 2), t- = 1 / (N- + 2), which keeps the fit
//   finite on separable held-out sets.
// - Isotonic regression: the non-decreasing step function of margin minimizing squared
//   error (pool-adjacent-violators, equal margins pooled first), served by linear
//   interpolation between the ends of each pooled block and clamped outside the fitted
//   range (the same prediction rule as scikit-learn's IsotonicRegression). It can return
//   exactly 0 or 1; metrics clip log loss.
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

enum class CalibrationMethod { kPlatt, kIsotonic };

// An immutable margin -> probability map. Copyable; thread-safe for const use.
class Calibrator {
 public:
  // Fits on held-out (margin, label) pairs. Errors: InvalidArgument on size mismatch, no
  // data, non-finite margins, labels not in {0, 1} or (Platt) a single-class label set.
  static absl::StatusOr<Calibrator> Fit(CalibrationMethod method, absl::Span<const double> margins,
                                        absl::Span<const double> labels);
  static absl::StatusOr<Calibrator> FitPlatt(absl::Span<const double> margins,
                                             absl::Span<const double> labels);
  static absl::StatusOr<Calibrator> FitIsotonic(absl::Span<const double> margins,
                                                absl::Span<const double> labels);

  // Calibrated probability of a raw margin; monotone non-decreasing in `margin`.
  double Apply(double margin) const;

  CalibrationMethod method() const { return method_; }
  double platt_a() const { return a_; }
  double platt_b() const { return b_; }
  // Isotonic knots: ascending margins and the non-decreasing probabilities at them.
  const std::vector<double>& knot_margins() const { return knot_x_; }
  const std::vector<double>& knot_probabilities() const { return knot_y_; }

 private:
  friend class CalibratedModel;  // (de)serializes the parameters
  Calibrator() = default;

  CalibrationMethod method_ = CalibrationMethod::kPlatt;
  double a_ = 1.0;
  double b_ = 0.0;
  std::vector<double> knot_x_;
  std::vector<double> knot_y_;
};

// A base model (logistic regression or XGBoost) whose probabilities go through a Calibrator.
// PredictMargin, Explain().margin/bias/contributions are the base model's raw log-odds;
// Predict(), PredictBatch() and Explain().probability are calibrated.
class CalibratedModel final : public PropensityModel {
 public:
  static constexpr absl::string_view kArtifactKind = "CALB";

  // Takes ownership of `base` (must be non-null and not itself calibrated).
  CalibratedModel(std::unique_ptr<PropensityModel> base, Calibrator calibrator);

  // Fits `method` on the base model's margins over a held-out set (rows of `heldout_x`,
  // labels `heldout_y`) and wraps the base. Errors: those of PredictMarginBatch and Fit;
  // InvalidArgument when `base` is null or already calibrated.
  static absl::StatusOr<std::unique_ptr<CalibratedModel>> Fit(
      std::unique_ptr<PropensityModel> base, CalibrationMethod method,
      const Eigen::Ref<const Eigen::MatrixXd>& heldout_x, absl::Span<const double> heldout_y);

  absl::string_view kind() const override { return "calibrated"; }
  const std::vector<std::string>& feature_names() const override;
  absl::StatusOr<double> PredictMargin(absl::Span<const double> features) const override;
  absl::StatusOr<double> Predict(absl::Span<const double> features) const override;
  absl::StatusOr<std::vector<double>> PredictMarginBatch(
      const Eigen::Ref<const Eigen::MatrixXd>& rows) const override;
  absl::StatusOr<std::vector<double>> PredictBatch(
      const Eigen::Ref<const Eigen::MatrixXd>& rows) const override;
  absl::StatusOr<Explanation> Explain(absl::Span<const double> features,
                                      size_t top_k = 0) const override;

  const PropensityModel& base() const { return *base_; }
  const Calibrator& calibrator() const { return calibrator_; }

  // Envelope kind "CALB" holding the base model's complete artifact and the calibrator.
  // Deserialize errors: as DeserializePropensityModel for either part; DataLoss when the
  // calibrator parameters are invalid.
  std::string Serialize() const override;
  static absl::StatusOr<std::unique_ptr<CalibratedModel>> Deserialize(absl::string_view bytes);

 private:
  std::unique_ptr<PropensityModel> base_;
  Calibrator calibrator_;
};

}  // namespace cohort::models::propensity
