// RFM segmentation: recency, frequency and monetary quintile scores (1..5 each) with quintile
// edges learned from a training population, and the 11 named RFM segments.
//
// Scoring rule (deterministic, ties included). For each dimension the model stores 4
// ascending edges e1 <= e2 <= e3 <= e4, where e_i is the largest value of the i-th fifth of
// the sorted training values: e_i = sorted[ceil(i * n / 5) - 1]. Let c = #{i : value > e_i}.
// - frequency and monetary (higher is better): score = 1 + c;
// - recency in days since the last purchase (lower is better): score = 5 - c.
// A value equal to an edge falls in the lower fifth, and equal values always get equal
// scores, so heavily tied populations (e.g. most customers with frequency 1) can skip
// scores: the quintile of a value is where it sits in the population, not a forced 20%.
//
// Segments come from R and FM = round-half-up((F + M) / 2) = (F + M + 1) / 2 through this
// grid (rows R, columns FM; documented in docs/models.md):
//
//          FM=1            FM=2                FM=3                FM=4          FM=5
//   R=5    New Customers   Potential Loyalist  Potential Loyalist  Champions     Champions
//   R=4    Promising       Potential Loyalist  Potential Loyalist  Loyal         Loyal
//   R=3    About To Sleep  About To Sleep      Need Attention      Loyal         Loyal
//   R=2    Hibernating     Hibernating         At Risk             At Risk       Cannot Lose Them
//   R=1    Lost            Lost                At Risk             At Risk       Cannot Lose Them
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace cohort::models::segmentation {

// One customer's raw RFM values.
struct RfmValues {
  double recency_days = 0.0;  // days since the last purchase; +infinity if never purchased
  double frequency = 0.0;     // purchases in the look-back window
  double monetary = 0.0;      // spend in the look-back window
};

enum class RfmSegment {
  kChampions,
  kLoyal,
  kPotentialLoyalist,
  kNewCustomers,
  kPromising,
  kNeedAttention,
  kAboutToSleep,
  kAtRisk,
  kCannotLoseThem,
  kHibernating,
  kLost,
};
inline constexpr int kRfmSegmentCount = 11;

// Display name of a segment, e.g. "Cannot Lose Them". Never empty.
absl::string_view RfmSegmentName(RfmSegment segment);

// The segment of scores r and fm (each clamped to 1..5) from the grid above.
RfmSegment RfmSegmentFor(int r, int fm);

// FM = (f + m + 1) / 2: the mean of F and M rounded half up.
inline int RfmFmScore(int f, int m) { return (f + m + 1) / 2; }

struct RfmScore {
  int recency = 0;    // R, 1..5 (5 = most recent)
  int frequency = 0;  // F, 1..5 (5 = most frequent)
  int monetary = 0;   // M, 1..5 (5 = highest spend)
  int fm = 0;         // (F + M + 1) / 2
  RfmSegment segment = RfmSegment::kLost;
  // "RFM" cell as three digits, e.g. "545".
  std::string Code() const;
};

// Quintile edges learned from a population. Immutable after Fit/Deserialize; all const
// methods are thread-safe. Copyable and cheap (12 doubles).
class RfmModel {
 public:
  // Learns the quintile edges. Errors: InvalidArgument when fewer than 5 customers are given
  // or a value is negative or not finite (fit on customers with at least one purchase;
  // score never-purchased customers with recency +infinity).
  static absl::StatusOr<RfmModel> Fit(absl::Span<const RfmValues> population);

  // Builds a model from explicit edges (each ascending; 4 per dimension). Errors:
  // InvalidArgument when an edge list is not ascending or not finite.
  static absl::StatusOr<RfmModel> FromEdges(const std::array<double, 4>& recency,
                                            const std::array<double, 4>& frequency,
                                            const std::array<double, 4>& monetary);

  // Scores one customer. recency_days may be +infinity (R = 1). Errors: InvalidArgument when
  // a value is NaN or negative, or frequency/monetary is infinite.
  absl::StatusOr<RfmScore> Score(const RfmValues& values) const;

  const std::array<double, 4>& recency_edges() const { return recency_; }
  const std::array<double, 4>& frequency_edges() const { return frequency_; }
  const std::array<double, 4>& monetary_edges() const { return monetary_; }
  uint64_t training_size() const { return training_size_; }

  // Model bytes (envelope kind "RFMQ", docs/models.md). Deserialize(Serialize()) scores
  // identically. Deserialize errors: InvalidArgument (not an RFM artifact),
  // FailedPrecondition (newer format version), DataLoss (corrupt or truncated bytes).
  std::string Serialize() const;
  static absl::StatusOr<RfmModel> Deserialize(absl::string_view bytes);

 private:
  RfmModel() = default;

  std::array<double, 4> recency_{};
  std::array<double, 4> frequency_{};
  std::array<double, 4> monetary_{};
  uint64_t training_size_ = 0;
};

}  // namespace cohort::models::segmentation
