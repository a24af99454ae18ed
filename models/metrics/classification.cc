#include "models/metrics/classification.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cohort::models::metrics {
namespace {

// Checks the shared conventions: equal non-zero lengths, labels in {0, 1}, finite values and,
// when `probabilities`, values in [0, 1].
absl::Status CheckInputs(absl::Span<const double> values, absl::Span<const double> labels,
                         bool probabilities) {
  if (values.size() != labels.size()) {
    return absl::InvalidArgumentError(absl::StrCat("got ", values.size(), " scores but ",
                                                   labels.size(), " labels; they must be equal"));
  }
  if (values.empty()) return absl::InvalidArgumentError("no examples to evaluate");
  for (size_t i = 0; i < values.size(); ++i) {
    if (labels[i] != 0.0 && labels[i] != 1.0) {
      return absl::InvalidArgumentError(
          absl::StrCat("label[", i, "] = ", labels[i], "; labels must be 0 or 1"));
    }
    if (!std::isfinite(values[i])) {
      return absl::InvalidArgumentError(absl::StrCat("score[", i, "] is not finite"));
    }
    if (probabilities && (values[i] < 0.0 || values[i] > 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("probability[", i, "] = ", values[i], " is outside [0, 1]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<double> RocAuc(absl::Span<const double> scores, absl::Span<const double> labels) {
  COHORT_RETURN_IF_ERROR(CheckInputs(scores, labels, /*probabilities=*/false));
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Sum of the (1-based, tie-averaged) ranks of the positives.
  double positive_rank_sum = 0.0;
  size_t positives = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double average_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (size_t t = i; t < j; ++t) {
      if (labels[order[t]] == 1.0) {
        positive_rank_sum += average_rank;
        ++positives;
      }
    }
    i = j;
  }
  const size_t negatives = n - positives;
  if (positives == 0 || negatives == 0) {
    return absl::InvalidArgumentError(absl::StrCat("ROC AUC needs both classes; got ", positives,
                                                   " positives and ", negatives, " negatives"));
  }
  const double p = static_cast<double>(positives);
  const double u = positive_rank_sum - p * (p + 1.0) / 2.0;
  return u / (p * static_cast<double>(negatives));
}

absl::StatusOr<double> LogLoss(absl::Span<const double> probabilities,
                               absl::Span<const double> labels, double eps) {
  if (!(eps > 0.0 && eps < 0.5)) {
    return absl::InvalidArgumentError(absl::StrCat("eps = ", eps, " must be in (0, 0.5)"));
  }
  COHORT_RETURN_IF_ERROR(CheckInputs(probabilities, labels, /*probabilities=*/true));
  double total = 0.0;
  for (size_t i = 0; i < probabilities.size(); ++i) {
    // Clip the probability given to the true class; 1 - p is exact for p >= 0.5, so a
    // confident mistake costs exactly -log(eps).
    const double p_true = labels[i] == 1.0 ? probabilities[i] : 1.0 - probabilities[i];
    total -= std::log(std::clamp(p_true, eps, 1.0 - eps));
  }
  return total / static_cast<double>(probabilities.size());
}

absl::StatusOr<double> BrierScore(absl::Span<const double> probabilities,
                                  absl::Span<const double> labels) {
  COHORT_RETURN_IF_ERROR(CheckInputs(probabilities, labels, /*probabilities=*/true));
  double total = 0.0;
  for (size_t i = 0; i < probabilities.size(); ++i) {
    const double d = probabilities[i] - labels[i];
    total += d * d;
  }
  return total / static_cast<double>(probabilities.size());
}

absl::StatusOr<std::vector<CalibrationBin>> CalibrationTable(absl::Span<const double> probabilities,
                                                             absl::Span<const double> labels,
                                                             size_t bins,
                                                             CalibrationBinning binning) {
  if (bins == 0) return absl::InvalidArgumentError("calibration table needs at least 1 bin");
  COHORT_RETURN_IF_ERROR(CheckInputs(probabilities, labels, /*probabilities=*/true));
  const size_t n = probabilities.size();
  std::vector<size_t> bin_of(n);
  if (binning == CalibrationBinning::kUniform) {
    for (size_t i = 0; i < n; ++i) {
      const auto b = static_cast<size_t>(probabilities[i] * static_cast<double>(bins));
      bin_of[i] = std::min(b, bins - 1);
    }
  } else {
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return probabilities[a] < probabilities[b]; });
    size_t group_bin = 0;
    for (size_t pos = 0; pos < n; ++pos) {
      if (pos == 0 || probabilities[order[pos]] != probabilities[order[pos - 1]]) {
        group_bin = pos * bins / n;  // a tie group joins the bin of its first member
      }
      bin_of[order[pos]] = group_bin;
    }
  }
  std::vector<CalibrationBin> table(bins);
  std::vector<double> sum_p(bins, 0.0), sum_y(bins, 0.0);
  for (size_t b = 0; b < bins; ++b) {
    if (binning == CalibrationBinning::kUniform) {
      table[b].lower = static_cast<double>(b) / static_cast<double>(bins);
      table[b].upper = static_cast<double>(b + 1) / static_cast<double>(bins);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    CalibrationBin& bin = table[bin_of[i]];
    if (binning == CalibrationBinning::kQuantile) {
      bin.lower = bin.count == 0 ? probabilities[i] : std::min(bin.lower, probabilities[i]);
      bin.upper = bin.count == 0 ? probabilities[i] : std::max(bin.upper, probabilities[i]);
    }
    ++bin.count;
    sum_p[bin_of[i]] += probabilities[i];
    sum_y[bin_of[i]] += labels[i];
  }
  for (size_t b = 0; b < bins; ++b) {
    if (table[b].count == 0) continue;
    table[b].mean_predicted = sum_p[b] / static_cast<double>(table[b].count);
    table[b].observed_rate = sum_y[b] / static_cast<double>(table[b].count);
  }
  return table;
}

absl::StatusOr<double> ExpectedCalibrationError(absl::Span<const double> probabilities,
                                                absl::Span<const double> labels, size_t bins,
                                                CalibrationBinning binning) {
  COHORT_ASSIGN_OR_RETURN(const std::vector<CalibrationBin> table,
                          CalibrationTable(probabilities, labels, bins, binning));
  double ece = 0.0;
  for (const CalibrationBin& bin : table) {
    ece += static_cast<double>(bin.count) * std::abs(bin.mean_predicted - bin.observed_rate);
  }
  return ece / static_cast<double>(probabilities.size());
}

}  // namespace cohort::models::metrics
