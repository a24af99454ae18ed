#include "bench/score_workload.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "services/common/grpc_status.h"

namespace cohort::bench {
namespace {

absl::Status Annotated(const grpc::Status& status, const char* rpc) {
  const absl::Status s = FromGrpcStatus(status);
  return absl::Status(s.code(), absl::StrCat(rpc, " on the scorer: ", s.message()));
}

}  // namespace

std::string ScoreModels::Describe() const {
  std::vector<std::string> parts;
  if (segmentation) parts.push_back("segmentation");
  for (const std::string& name : propensity) parts.push_back(name);
  if (k > 0) parts.push_back(absl::StrCat("recommend(k=", k, ")"));
  return absl::StrJoin(parts, "+");
}

void ScoreModels::Fill(v1::ScoreRequest& request) const {
  request.set_segmentation(segmentation);
  request.clear_propensity_models();
  for (const std::string& name : propensity) request.add_propensity_models(name);
  if (k > 0) {
    request.mutable_recommendations()->set_k(static_cast<uint32_t>(k));
  } else {
    request.clear_recommendations();
  }
}

absl::StatusOr<ScoreModels> ChooseScoreModels(const v1::ListModelsResponse& loaded,
                                              const std::vector<std::string>& wanted, int k,
                                              bool require_all_families) {
  if (k < 1 || k > 100) return absl::InvalidArgumentError("--score_k must be in 1..100");
  std::vector<std::string> names;
  for (const v1::ModelInfo& model : loaded.models()) names.push_back(model.name());
  const std::string listed = names.empty() ? "none" : absl::StrJoin(names, ", ");
  ScoreModels models;
  bool recommend = false;
  auto take = [&](const v1::ModelInfo& model) -> absl::Status {
    if (model.kind() == "segmentation") {
      models.segmentation = true;
    } else if (model.kind() == "propensity") {
      models.propensity.push_back(model.name());
    } else if (model.kind() == "recommend") {
      recommend = true;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("model '", model.name(), "' has unknown kind '", model.kind(), "'"));
    }
    return absl::OkStatus();
  };
  for (const std::string& name : wanted) {
    const v1::ModelInfo* found = nullptr;
    for (const v1::ModelInfo& model : loaded.models()) {
      if (model.name() == name) found = &model;
    }
    if (found == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--score_models: '", name, "' is not served by the scorer; loaded: ", listed));
    }
    if (absl::Status s = take(*found); !s.ok()) return s;
  }
  if (wanted.empty()) {
    for (const v1::ModelInfo& model : loaded.models()) {
      if (absl::Status s = take(model); !s.ok()) return s;
    }
  }
  if (recommend) models.k = k;
  if (require_all_families && (!models.segmentation || models.propensity.empty() || !recommend)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the score workload asks for all three model families (segmentation, propensity, "
        "recommend) but the scorer serves only: ",
        listed,
        "; train them into its --models_dir (cohort-train) or name models with --score_models"));
  }
  if (!models.segmentation && models.propensity.empty() && models.k == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("no model to score with; the scorer serves: ", listed));
  }
  return models;
}

std::shared_ptr<v1::Scoring::Stub> ScorerStub(const std::string& address) {
  return v1::Scoring::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

absl::StatusOr<v1::ListModelsResponse> WaitForModels(v1::Scoring::Stub& stub,
                                                     absl::Duration wait_for) {
  const absl::Time give_up = absl::Now() + wait_for;
  for (;;) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    v1::ListModelsResponse response;
    const grpc::Status status = stub.ListModels(&context, v1::ListModelsRequest(), &response);
    const bool retry = status.ok() ? response.models().empty()
                                   : status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                                         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
    if (!retry || absl::Now() >= give_up) {
      if (!status.ok()) return Annotated(status, "ListModels");
      if (response.models().empty()) {
        return absl::FailedPreconditionError(
            "the scorer has no model loaded: train models into its --models_dir (cohort-train) "
            "or wait longer with --score_wait");
      }
      return response;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

absl::Status ScoreOnce(v1::Scoring::Stub& stub, const ScoreModels& models,
                       const std::vector<std::string>& ids, size_t* found) {
  v1::ScoreRequest request;
  models.Fill(request);
  for (const std::string& id : ids) request.add_customer_ids(id);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::ScoreResponse response;
  const grpc::Status status = stub.Score(&context, request, &response);
  if (!status.ok()) return Annotated(status, "Score");
  if (response.customers_size() != static_cast<int>(ids.size())) {
    return absl::InternalError(absl::StrCat("Score answered ", response.customers_size(),
                                            " customers for ", ids.size(), " ids"));
  }
  size_t known = 0;
  for (const v1::CustomerScores& c : response.customers()) {
    if (c.status_code() != 0) {
      return absl::Status(static_cast<absl::StatusCode>(c.status_code()),
                          absl::StrCat(c.customer_id(), " not scored: ", c.status_message()));
    }
    known += c.feature_status().customer_found() ? 1 : 0;
  }
  if (found != nullptr) *found = known;
  return absl::OkStatus();
}

OpFactory GrpcScore(std::shared_ptr<v1::Scoring::Stub> stub, ScoreModels models,
                    RequestShape shape) {
  return
      [stub = std::move(stub), models = std::move(models), shape](int index) -> absl::StatusOr<Op> {
        return Op([stub, models, shape, rng = WorkerRng(shape, index),
                   ids = std::vector<std::string>(shape.batch)]() mutable -> absl::Status {
          DrawIds(shape, rng, ids);
          return ScoreOnce(*stub, models, ids, nullptr);
        });
      };
}

}  // namespace cohort::bench
