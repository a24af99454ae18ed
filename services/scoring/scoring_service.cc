#include "services/scoring/scoring_service.h"

#include <utility>

#include "services/common/grpc_status.h"

namespace cohort::scoring {

grpc::Status ScoringService::Score(grpc::ServerContext* /*context*/,
                                   const v1::ScoreRequest* request, v1::ScoreResponse* response) {
  absl::StatusOr<v1::ScoreResponse> result = scorer_.Score(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status ScoringService::ListModels(grpc::ServerContext* /*context*/,
                                        const v1::ListModelsRequest* /*request*/,
                                        v1::ListModelsResponse* response) {
  *response = scorer_.ListModels();
  return grpc::Status::OK;
}

grpc::Status ScoringService::ReloadModels(grpc::ServerContext* /*context*/,
                                          const v1::ReloadModelsRequest* /*request*/,
                                          v1::ReloadModelsResponse* response) {
  *response = scorer_.ReloadModels();
  return grpc::Status::OK;
}

}  // namespace cohort::scoring
