// Binary-classification metrics for propensity models: ROC AUC, log loss, Brier score, a
// calibration table and the expected calibration error (ECE).
//
// Conventions shared by every function here:
// - `scores` / `probabilities` and `labels` are parallel arrays of equal, non-zero length.
// - Labels are 0.0 or 1.0 exactly (anything else is InvalidArgument naming the index).
// - Probabilities must lie in [0, 1] and scores must be finite (NaN is refused).
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace cohort::models::metrics {

// Area under the ROC curve via the Mann-Whitney U statistic; tied scores get their average
// rank, so a tie between a positive and a negative counts 1/2. `scores` may be any finite
// monotone score (probabilities or margins). Errors: InvalidArgument on bad input or when
// the labels hold only one class (AUC is undefined).
absl::StatusOr<double> RocAuc(absl::Span<const double> scores, absl::Span<const double> labels);

// Mean negative log-likelihood, with probabilities clipped to [eps, 1 - eps] so a confident
// mistake costs -log(eps) instead of infinity. `eps` must be in (0, 0.5).
absl::StatusOr<double> LogLoss(absl::Span<const double> probabilities,
                               absl::Span<const double> labels, double eps = 1e-15);

// Mean squared difference between probability and label (0 is perfect).
absl::StatusOr<double> BrierScore(absl::Span<const double> probabilities,
                                  absl::Span<const double> labels);

// How the calibration table splits the probability range.
enum class CalibrationBinning {
  // `bins` equal-width intervals [i/bins, (i+1)/bins); 1.0 falls in the last one. Empty bins
  // are reported with count 0. This is the usual binning of the ECE.
  kUniform,
  // Equal-count groups by sorted probability (deciles when bins == 10). Equal probabilities
  // always share a group (a tie group goes where its first member falls), so groups can be
  // uneven or empty when many probabilities tie.
  kQuantile,
};

struct CalibrationBin {
  double lower = 0.0;           // kUniform: interval bounds; kQuantile: min/max probability
  double upper = 0.0;           //   in the group (0/0 when empty)
  size_t count = 0;             // examples in the bin
  double mean_predicted = 0.0;  // mean probability in the bin (0 when empty)
  double observed_rate = 0.0;   // fraction of positives in the bin (0 when empty)
};

// Calibration (reliability) table: per bin, mean predicted probability vs observed positive
// rate, with counts. Always returns exactly `bins` rows (bins >= 1), lowest first.
absl::StatusOr<std::vector<CalibrationBin>> CalibrationTable(
    absl::Span<const double> probabilities, absl::Span<const double> labels, size_t bins = 10,
    CalibrationBinning binning = CalibrationBinning::kQuantile);

// Expected calibration error: sum over bins of (count / n) * |mean_predicted - observed_rate|,
// from CalibrationTable with the given binning (default: 10 equal-width bins).
absl::StatusOr<double> ExpectedCalibrationError(
    absl::Span<const double> probabilities, absl::Span<const double> labels, size_t bins = 10,
    CalibrationBinning binning = CalibrationBinning::kUniform);

}  // namespace cohort::models::metrics
