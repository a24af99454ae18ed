// The cohort.v1.Scoring gRPC service: a thin adapter from gRPC to Scorer (scorer.h).
#pragma once

#include "cohort/v1/scoring.grpc.pb.h"
#include "services/scoring/scorer.h"

namespace cohort::scoring {

// Thread-safe (synchronous gRPC handlers run concurrently). Borrows `scorer`, which must
// outlive the server serving this service.
class ScoringService final : public v1::Scoring::Service {
 public:
  explicit ScoringService(Scorer& scorer) : scorer_(scorer) {}

  grpc::Status Score(grpc::ServerContext* context, const v1::ScoreRequest* request,
                     v1::ScoreResponse* response) override;
  grpc::Status ListModels(grpc::ServerContext* context, const v1::ListModelsRequest* request,
                          v1::ListModelsResponse* response) override;
  grpc::Status ReloadModels(grpc::ServerContext* context, const v1::ReloadModelsRequest* request,
                            v1::ReloadModelsResponse* response) override;

 private:
  Scorer& scorer_;
};

}  // namespace cohort::scoring
