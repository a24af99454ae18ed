// Runs the loaded models for one customer whose features (and history) were fetched: pure
// computation on immutable models, no I/O. Used by Scorer (scorer.h).
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cohort/v1/feature_store.pb.h"
#include "cohort/v1/scoring.pb.h"
#include "services/scoring/model_registry.h"

namespace cohort::scoring {

// One customer's fetched data. Pointers are borrowed for the call.
struct CustomerData {
  const v1::FeatureVector* features = nullptr;
  // Column of each feature name in features->values().
  const absl::flat_hash_map<std::string, int>* columns = nullptr;
  // The customer's newest interactions, fetched with the features (FeatureVector.history);
  // null unless recommendations run.
  const google::protobuf::RepeatedPtrField<v1::Interaction>* history = nullptr;
};

// What one Score call asks for, resolved against a ModelSet.
struct ScorePlan {
  const LoadedModel* segmentation = nullptr;  // set when requested, or to segment popularity
  bool segmentation_requested = false;
  std::vector<const LoadedModel*> propensities;  // in request order
  const LoadedModel* recommend = nullptr;        // set when recommendations were requested
  int32_t k = 10;
  std::vector<int32_t> exclusions;  // item indices of recommend's vocabulary
  size_t top_features = 3;
  absl::Time now;  // the scored moment (time decay of history weights)
};

// Per-model wall time accumulated over a call's customers.
using InferenceTimes = absl::flat_hash_map<std::string, absl::Duration>;

// Fills `out` (whose customer_id and status are set by the caller) with the plan's results.
// Without marketing consent only non-personalized recommendations are produced and
// out->personalized() is false. Returns a non-OK status when a model rejects the inputs;
// `out` may then be partially filled. Propensity probabilities are appended to `scores`
// (model name, probability) for the drift histogram.
absl::Status ScoreCustomer(const ScorePlan& plan, const CustomerData& data, v1::CustomerScores* out,
                           InferenceTimes& times,
                           std::vector<std::pair<std::string, double>>& scores);

// The value of `name` as a number: int/double as is, bool as 0/1, string or missing as NaN.
double NumericFeature(const CustomerData& data, const std::string& name);

}  // namespace cohort::scoring
