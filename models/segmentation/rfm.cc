#include "models/segmentation/rfm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "models/common/model_envelope.h"
#include "models/segmentation/segmentation_model.pb.h"

namespace cohort::models::segmentation {
namespace {

constexpr absl::string_view kKind = "RFMQ";
constexpr uint32_t kVersion = 1;

// kGrid[5 - r][fm - 1]: the table in rfm.h.
constexpr RfmSegment kGrid[5][5] = {
    {RfmSegment::kNewCustomers, RfmSegment::kPotentialLoyalist, RfmSegment::kPotentialLoyalist,
     RfmSegment::kChampions, RfmSegment::kChampions},
    {RfmSegment::kPromising, RfmSegment::kPotentialLoyalist, RfmSegment::kPotentialLoyalist,
     RfmSegment::kLoyal, RfmSegment::kLoyal},
    {RfmSegment::kAboutToSleep, RfmSegment::kAboutToSleep, RfmSegment::kNeedAttention,
     RfmSegment::kLoyal, RfmSegment::kLoyal},
    {RfmSegment::kHibernating, RfmSegment::kHibernating, RfmSegment::kAtRisk, RfmSegment::kAtRisk,
     RfmSegment::kCannotLoseThem},
    {RfmSegment::kLost, RfmSegment::kLost, RfmSegment::kAtRisk, RfmSegment::kAtRisk,
     RfmSegment::kCannotLoseThem},
};

// The 4 quintile edges of `values` (sorted in place): e_i = sorted[ceil(i*n/5) - 1].
std::array<double, 4> QuintileEdges(std::vector<double>& values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  std::array<double, 4> edges{};
  for (size_t i = 1; i <= 4; ++i) edges[i - 1] = values[(i * n + 4) / 5 - 1];
  return edges;
}

int CountAbove(const std::array<double, 4>& edges, double value) {
  return static_cast<int>(
      std::count_if(edges.begin(), edges.end(), [value](double e) { return value > e; }));
}

absl::Status CheckEdges(const std::array<double, 4>& edges, absl::string_view name) {
  for (size_t i = 0; i < edges.size(); ++i) {
    if (!std::isfinite(edges[i]) || (i > 0 && edges[i] < edges[i - 1])) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " quintile edges must be finite and ascending"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckValue(double value, absl::string_view name, bool allow_infinity) {
  if (std::isnan(value) || value < 0.0 || (!allow_infinity && std::isinf(value))) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " = ", value, "; RFM values must be non-negative",
                     allow_infinity ? " (infinity means never purchased)" : " and finite"));
  }
  return absl::OkStatus();
}

void CopyEdges(const google::protobuf::RepeatedField<double>& from, std::array<double, 4>& to) {
  std::copy(from.begin(), from.end(), to.begin());
}

}  // namespace

absl::string_view RfmSegmentName(RfmSegment segment) {
  switch (segment) {
    case RfmSegment::kChampions:
      return "Champions";
    case RfmSegment::kLoyal:
      return "Loyal";
    case RfmSegment::kPotentialLoyalist:
      return "Potential Loyalist";
    case RfmSegment::kNewCustomers:
      return "New Customers";
    case RfmSegment::kPromising:
      return "Promising";
    case RfmSegment::kNeedAttention:
      return "Need Attention";
    case RfmSegment::kAboutToSleep:
      return "About To Sleep";
    case RfmSegment::kAtRisk:
      return "At Risk";
    case RfmSegment::kCannotLoseThem:
      return "Cannot Lose Them";
    case RfmSegment::kHibernating:
      return "Hibernating";
    case RfmSegment::kLost:
      return "Lost";
  }
  return "Unknown";
}

RfmSegment RfmSegmentFor(int r, int fm) {
  r = std::clamp(r, 1, 5);
  fm = std::clamp(fm, 1, 5);
  return kGrid[5 - r][fm - 1];
}

std::string RfmScore::Code() const { return absl::StrCat(recency, frequency, monetary); }

absl::StatusOr<RfmModel> RfmModel::Fit(absl::Span<const RfmValues> population) {
  if (population.size() < 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("RFM quintiles need at least 5 customers; got ", population.size()));
  }
  std::vector<double> r, f, m;
  r.reserve(population.size());
  f.reserve(population.size());
  m.reserve(population.size());
  for (size_t i = 0; i < population.size(); ++i) {
    const RfmValues& v = population[i];
    const std::string where = absl::StrCat("customer ", i, ": ");
    COHORT_RETURN_IF_ERROR(CheckValue(v.recency_days, where + "recency_days", false));
    COHORT_RETURN_IF_ERROR(CheckValue(v.frequency, where + "frequency", false));
    COHORT_RETURN_IF_ERROR(CheckValue(v.monetary, where + "monetary", false));
    r.push_back(v.recency_days);
    f.push_back(v.frequency);
    m.push_back(v.monetary);
  }
  RfmModel model;
  model.recency_ = QuintileEdges(r);
  model.frequency_ = QuintileEdges(f);
  model.monetary_ = QuintileEdges(m);
  model.training_size_ = population.size();
  return model;
}

absl::StatusOr<RfmModel> RfmModel::FromEdges(const std::array<double, 4>& recency,
                                             const std::array<double, 4>& frequency,
                                             const std::array<double, 4>& monetary) {
  COHORT_RETURN_IF_ERROR(CheckEdges(recency, "recency"));
  COHORT_RETURN_IF_ERROR(CheckEdges(frequency, "frequency"));
  COHORT_RETURN_IF_ERROR(CheckEdges(monetary, "monetary"));
  RfmModel model;
  model.recency_ = recency;
  model.frequency_ = frequency;
  model.monetary_ = monetary;
  return model;
}

absl::StatusOr<RfmScore> RfmModel::Score(const RfmValues& values) const {
  COHORT_RETURN_IF_ERROR(CheckValue(values.recency_days, "recency_days", true));
  COHORT_RETURN_IF_ERROR(CheckValue(values.frequency, "frequency", false));
  COHORT_RETURN_IF_ERROR(CheckValue(values.monetary, "monetary", false));
  RfmScore score;
  score.recency = 5 - CountAbove(recency_, values.recency_days);
  score.frequency = 1 + CountAbove(frequency_, values.frequency);
  score.monetary = 1 + CountAbove(monetary_, values.monetary);
  score.fm = RfmFmScore(score.frequency, score.monetary);
  score.segment = RfmSegmentFor(score.recency, score.fm);
  return score;
}

std::string RfmModel::Serialize() const {
  proto::RfmModelProto p;
  p.mutable_recency_edges()->Add(recency_.begin(), recency_.end());
  p.mutable_frequency_edges()->Add(frequency_.begin(), frequency_.end());
  p.mutable_monetary_edges()->Add(monetary_.begin(), monetary_.end());
  p.set_training_size(training_size_);
  return envelope::Wrap(kKind, kVersion, p.SerializeAsString());
}

absl::StatusOr<RfmModel> RfmModel::Deserialize(absl::string_view bytes) {
  COHORT_ASSIGN_OR_RETURN(absl::string_view payload,
                          envelope::Unwrap(bytes, kKind, kVersion, "RFM model"));
  proto::RfmModelProto p;
  if (!p.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
      p.recency_edges_size() != 4 || p.frequency_edges_size() != 4 ||
      p.monetary_edges_size() != 4) {
    return absl::DataLossError("RFM model payload is malformed (expected 4 edges per dimension)");
  }
  std::array<double, 4> r, f, m;
  CopyEdges(p.recency_edges(), r);
  CopyEdges(p.frequency_edges(), f);
  CopyEdges(p.monetary_edges(), m);
  absl::StatusOr<RfmModel> model = FromEdges(r, f, m);
  if (!model.ok()) {
    return absl::DataLossError(
        absl::StrCat("RFM model payload is invalid: ", model.status().message()));
  }
  model->training_size_ = p.training_size();
  return model;
}

}  // namespace cohort::models::segmentation
