// cohort.v1.FeatureStore on gRPC's callback API. Writes, exports and checkpoints run on a
// WorkerPool thread (they wait for fsync or scan: gRPC's callback threads must not block on
// them); the reads (GetFeatures, GetProfile, GetHistory, ListFeatures, NodeInfo) answer
// inline. The RequestHandler does the work.
#pragma once

#include "cohort/v1/feature_store.grpc.pb.h"
#include "services/common/arena_allocator.h"
#include "services/featurestore/request_handler.h"
#include "services/featurestore/worker_pool.h"

namespace cohort::featurestore {

// Thread-safe. The handler and pools are not owned and must outlive the gRPC server the
// service is registered with (shut the server down first). A call that finds the request
// pool's queue full is refused with RESOURCE_EXHAUSTED.
class FeatureStoreService final : public v1::FeatureStore::CallbackService {
 public:
  // `requests` runs unary calls and IngestStream batches; `exports` runs Export streams,
  // each of which holds its thread until the stream ends.
  FeatureStoreService(const RequestHandler& handler, WorkerPool& requests, WorkerPool& exports);

  grpc::ServerUnaryReactor* Ingest(grpc::CallbackServerContext* context,
                                   const v1::IngestRequest* request,
                                   v1::IngestResponse* response) override;
  grpc::ServerBidiReactor<v1::IngestRequest, v1::IngestResponse>* IngestStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* UpsertAttributes(grpc::CallbackServerContext* context,
                                             const v1::UpsertAttributesRequest* request,
                                             v1::UpsertAttributesResponse* response) override;
  grpc::ServerUnaryReactor* GetFeatures(grpc::CallbackServerContext* context,
                                        const v1::GetFeaturesRequest* request,
                                        v1::GetFeaturesResponse* response) override;
  grpc::ServerUnaryReactor* GetProfile(grpc::CallbackServerContext* context,
                                       const v1::GetProfileRequest* request,
                                       v1::GetProfileResponse* response) override;
  grpc::ServerUnaryReactor* GetHistory(grpc::CallbackServerContext* context,
                                       const v1::GetHistoryRequest* request,
                                       v1::GetHistoryResponse* response) override;
  grpc::ServerUnaryReactor* EraseCustomer(grpc::CallbackServerContext* context,
                                          const v1::EraseCustomerRequest* request,
                                          v1::EraseCustomerResponse* response) override;
  grpc::ServerWriteReactor<v1::ExportResponse>* Export(grpc::CallbackServerContext* context,
                                                       const v1::ExportRequest* request) override;
  grpc::ServerUnaryReactor* ListFeatures(grpc::CallbackServerContext* context,
                                         const v1::ListFeaturesRequest* request,
                                         v1::ListFeaturesResponse* response) override;
  grpc::ServerUnaryReactor* NodeInfo(grpc::CallbackServerContext* context,
                                     const v1::NodeInfoRequest* request,
                                     v1::NodeInfoResponse* response) override;
  grpc::ServerUnaryReactor* Checkpoint(grpc::CallbackServerContext* context,
                                       const v1::CheckpointRequest* request,
                                       v1::CheckpointResponse* response) override;
  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* context,
                                    const v1::CompactRequest* request,
                                    v1::CompactResponse* response) override;

 private:
  template <class Request, class Response>
  grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context, const Request* request,
                                     Response* response,
                                     absl::Status (RequestHandler::*method)(const Request&,
                                                                            Response*) const);

  // Runs `method` on the callback thread (memory-bound calls).
  template <class Request, class Response>
  grpc::ServerUnaryReactor* RunInline(grpc::CallbackServerContext* context, const Request* request,
                                      Response* response,
                                      absl::Status (RequestHandler::*method)(const Request&,
                                                                             Response*) const);

  const RequestHandler& handler_;
  ArenaMessageAllocator<v1::GetFeaturesRequest, v1::GetFeaturesResponse> get_features_allocator_;
  WorkerPool& requests_;
  WorkerPool& exports_;
};

}  // namespace cohort::featurestore
