#include "services/featurestore/feature_store_service.h"

#include <functional>

#include "services/common/grpc_status.h"
#include "services/featurestore/stream_reactors.h"

namespace cohort::featurestore {

FeatureStoreService::FeatureStoreService(const RequestHandler& handler, WorkerPool& requests,
                                         WorkerPool& exports)
    : handler_(handler), requests_(requests), exports_(exports) {
  SetMessageAllocatorFor_GetFeatures(&get_features_allocator_);
}

template <class Request, class Response>
grpc::ServerUnaryReactor* FeatureStoreService::RunUnary(
    grpc::CallbackServerContext* context, const Request* request, Response* response,
    absl::Status (RequestHandler::*method)(const Request&, Response*) const) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  bool queued = requests_.TrySubmit([this, context, request, response, reactor, method] {
    if (context->IsCancelled()) {  // e.g. the deadline passed while the call waited
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before it ran"));
      return;
    }
    const absl::Status status = std::invoke(method, handler_, *request, response);
    reactor->Finish(ToGrpcStatus(status));
  });
  if (!queued) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                     "the node is overloaded (too many requests queued); retry with backoff"));
  }
  return reactor;
}

template <class Request, class Response>
grpc::ServerUnaryReactor* FeatureStoreService::RunInline(
    grpc::CallbackServerContext* context, const Request* request, Response* response,
    absl::Status (RequestHandler::*method)(const Request&, Response*) const) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(std::invoke(method, handler_, *request, response)));
  return reactor;
}

grpc::ServerUnaryReactor* FeatureStoreService::Ingest(grpc::CallbackServerContext* context,
                                                      const v1::IngestRequest* request,
                                                      v1::IngestResponse* response) {
  return RunUnary(context, request, response, &RequestHandler::Ingest);
}

grpc::ServerBidiReactor<v1::IngestRequest, v1::IngestResponse>* FeatureStoreService::IngestStream(
    grpc::CallbackServerContext* context) {
  return internal::NewIngestStreamReactor(handler_, requests_, context);
}

grpc::ServerUnaryReactor* FeatureStoreService::UpsertAttributes(
    grpc::CallbackServerContext* context, const v1::UpsertAttributesRequest* request,
    v1::UpsertAttributesResponse* response) {
  return RunUnary(context, request, response, &RequestHandler::UpsertAttributes);
}

// GetFeatures, GetProfile and GetHistory answer inline on the callback thread: they read the
// block cache (or SSD), a few µs per customer (GetFeatures: at most 1,000), while a hand-off
// to a worker thread cost more CPU than the whole read at small batches (docs/benchmarks.md).
grpc::ServerUnaryReactor* FeatureStoreService::GetFeatures(grpc::CallbackServerContext* context,
                                                           const v1::GetFeaturesRequest* request,
                                                           v1::GetFeaturesResponse* response) {
  return RunInline(context, request, response, &RequestHandler::GetFeatures);
}

grpc::ServerUnaryReactor* FeatureStoreService::GetProfile(grpc::CallbackServerContext* context,
                                                          const v1::GetProfileRequest* request,
                                                          v1::GetProfileResponse* response) {
  return RunInline(context, request, response, &RequestHandler::GetProfile);
}

grpc::ServerUnaryReactor* FeatureStoreService::GetHistory(grpc::CallbackServerContext* context,
                                                          const v1::GetHistoryRequest* request,
                                                          v1::GetHistoryResponse* response) {
  return RunInline(context, request, response, &RequestHandler::GetHistory);
}

grpc::ServerUnaryReactor* FeatureStoreService::EraseCustomer(
    grpc::CallbackServerContext* context, const v1::EraseCustomerRequest* request,
    v1::EraseCustomerResponse* response) {
  return RunUnary(context, request, response, &RequestHandler::EraseCustomer);
}

grpc::ServerWriteReactor<v1::ExportResponse>* FeatureStoreService::Export(
    grpc::CallbackServerContext* context, const v1::ExportRequest* request) {
  return internal::NewExportReactor(handler_, exports_, context, request);
}

// ListFeatures and NodeInfo only read memory (NodeInfo: RocksDB's in-memory properties),
// so they answer inline on the callback thread.
grpc::ServerUnaryReactor* FeatureStoreService::ListFeatures(grpc::CallbackServerContext* context,
                                                            const v1::ListFeaturesRequest* request,
                                                            v1::ListFeaturesResponse* response) {
  return RunInline(context, request, response, &RequestHandler::ListFeatures);
}

grpc::ServerUnaryReactor* FeatureStoreService::NodeInfo(grpc::CallbackServerContext* context,
                                                        const v1::NodeInfoRequest* request,
                                                        v1::NodeInfoResponse* response) {
  return RunInline(context, request, response, &RequestHandler::NodeInfo);
}

grpc::ServerUnaryReactor* FeatureStoreService::Checkpoint(grpc::CallbackServerContext* context,
                                                          const v1::CheckpointRequest* request,
                                                          v1::CheckpointResponse* response) {
  return RunUnary(context, request, response, &RequestHandler::Checkpoint);
}

grpc::ServerUnaryReactor* FeatureStoreService::Compact(grpc::CallbackServerContext* context,
                                                       const v1::CompactRequest* request,
                                                       v1::CompactResponse* response) {
  return RunUnary(context, request, response, &RequestHandler::Compact);
}

}  // namespace cohort::featurestore
