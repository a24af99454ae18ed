// Internal to the feature store service: the reactors of its two streaming methods.
#pragma once

#include "cohort/v1/feature_store.grpc.pb.h"
#include "services/featurestore/request_handler.h"
#include "services/featurestore/worker_pool.h"

namespace cohort::featurestore::internal {

// IngestStream: reads one batch at a time, applies it on `pool` exactly like Ingest, and
// answers it with one ack carrying its sequence before reading the next, so acks come in
// batch order. A batch-level error (oversized batch, foreign partition, overload...) goes
// into the ack's error_code/error_message and the stream stays open. Deletes itself when
// the call is done.
grpc::ServerBidiReactor<v1::IngestRequest, v1::IngestResponse>* NewIngestStreamReactor(
    const RequestHandler& handler, WorkerPool& pool, grpc::CallbackServerContext* context);

// Export: validates the request, then streams rows_per_message rows per message from one
// storage snapshot on `pool`, never more than one message ahead of the client (flow
// control: the producer waits for each write to complete). The first message carries the
// feature names (and is sent even when there are no rows). Deletes itself when done.
grpc::ServerWriteReactor<v1::ExportResponse>* NewExportReactor(const RequestHandler& handler,
                                                               WorkerPool& pool,
                                                               grpc::CallbackServerContext* context,
                                                               const v1::ExportRequest* request);

}  // namespace cohort::featurestore::internal
