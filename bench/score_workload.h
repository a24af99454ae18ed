// The score workload of cohort-bench: cohort.v1.Scoring/Score calls against a cohort-scorer,
// asking for segmentation, the propensity models and recommendations, with the customers
// drawn exactly as the GetFeatures workload draws them (same RequestShape, same per-worker
// generators), so a Score row and a GetFeatures row of the same seed, batch and concurrency
// cover the same customers and their latency difference is what scoring adds.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/driver.h"
#include "bench/workloads.h"
#include "cohort/v1/scoring.grpc.pb.h"

namespace cohort::bench {

// What every Score request of a run asks for.
struct ScoreModels {
  bool segmentation = false;
  std::vector<std::string> propensity;  // propensity model names, in ListModels order
  int k = 0;                            // recommendations per customer; 0 means none

  // e.g. "segmentation+propensity_churn_90d+propensity_purchase_30d+recommend(k=10)".
  std::string Describe() const;
  // Sets the model fields of `request` (segmentation, propensity_models, recommendations).
  void Fill(v1::ScoreRequest& request) const;
};

// Chooses the models of a run from what the scorer serves (`loaded`, a ListModels answer):
// the `wanted` model names (empty: every loaded model), recommendations with `k` (1..100)
// when a recommend model is chosen. With `require_all_families` the choice must cover the
// three families (segmentation, propensity, recommend). Errors (INVALID_ARGUMENT /
// FAILED_PRECONDITION) name the missing or unknown model and list the loaded ones.
absl::StatusOr<ScoreModels> ChooseScoreModels(const v1::ListModelsResponse& loaded,
                                              const std::vector<std::string>& wanted, int k,
                                              bool require_all_families);

// A Scoring stub on one channel to `address` ("host:port"); thread-safe, shared by workers.
std::shared_ptr<v1::Scoring::Stub> ScorerStub(const std::string& address);

// ListModels, retried while the scorer is unreachable or serves no model, for up to
// `wait_for`. Errors: the last RPC error, or FAILED_PRECONDITION when still no model is
// loaded (train models into the scorer's --models_dir).
absl::StatusOr<v1::ListModelsResponse> WaitForModels(v1::Scoring::Stub& stub,
                                                     absl::Duration wait_for);

// One Score call of `ids` asking for `models`, with a 10 s deadline. Fails on an RPC error,
// an answer with a different number of customers, or a customer not scored (its status).
// `found` (optional) receives how many customers the store knew.
absl::Status ScoreOnce(v1::Scoring::Stub& stub, const ScoreModels& models,
                       const std::vector<std::string>& ids, size_t* found);

// Score of `shape.batch` customers per request through `stub` (shared by the workers).
OpFactory GrpcScore(std::shared_ptr<v1::Scoring::Stub> stub, ScoreModels models,
                    RequestShape shape);

}  // namespace cohort::bench
