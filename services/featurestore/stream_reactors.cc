#include "services/featurestore/stream_reactors.h"

#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/common/grpc_status.h"
#include "services/featurestore/convert.h"

namespace cohort::featurestore::internal {

namespace {

constexpr char kOverloaded[] =
    "the node is overloaded (too many requests queued); retry with backoff";

class IngestStreamReactor final
    : public grpc::ServerBidiReactor<v1::IngestRequest, v1::IngestResponse> {
 public:
  IngestStreamReactor(const RequestHandler& handler, WorkerPool& pool)
      : handler_(handler), pool_(pool) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side (or the call was cancelled)
      Finish(grpc::Status::OK);
      return;
    }
    bool queued = pool_.TrySubmit([this] {
      absl::Status status = handler_.Ingest(request_, &response_);
      if (!status.ok()) SetBatchError(status);
      StartWrite(&response_);
    });
    if (!queued) {
      SetBatchError(absl::ResourceExhaustedError(kOverloaded));
      StartWrite(&response_);
    }
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "an ack could not be sent"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  void SetBatchError(const absl::Status& status) {
    response_.Clear();
    response_.set_sequence(request_.sequence());
    response_.set_error_code(static_cast<int32_t>(status.code()));
    response_.set_error_message(std::string(status.message()));
  }

  const RequestHandler& handler_;
  WorkerPool& pool_;
  // One batch is in flight at a time: read, apply, ack, then read the next.
  v1::IngestRequest request_;
  v1::IngestResponse response_;
};

class ExportReactor final : public grpc::ServerWriteReactor<v1::ExportResponse> {
 public:
  ExportReactor(const RequestHandler& handler, WorkerPool& pool,
                grpc::CallbackServerContext* context, const v1::ExportRequest& request)
      : handler_(handler), context_(context) {
    absl::StatusOr<ExportPlan> plan = handler_.PlanExport(request);
    if (!plan.ok()) {
      Finish(ToGrpcStatus(plan.status()));
      return;
    }
    plan_ = *std::move(plan);
    if (!pool.TrySubmit([this] { Run(); })) {
      Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "too many exports are running or waiting; retry later"));
    }
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    write_pending_ = false;
    if (!ok) write_failed_ = true;
  }

  void OnDone() override { delete this; }

 private:
  // Runs on a pool thread; the last thing it does is Finish (after which `this` may be gone).
  void Run() {
    absl::Status status =
        handler_.RunExport(plan_, [this](absl::string_view id, storage::FeatureVector vector) {
          ToProto(id, vector, v1::VALUE_LAYOUT_MESSAGES, filling_.add_rows());
          if (static_cast<size_t>(filling_.rows_size()) < plan_.rows_per_message) {
            return absl::OkStatus();
          }
          return Send();
        });
    if (status.ok() && (filling_.rows_size() > 0 || !sent_any_)) status = Send();
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &ExportReactor::WriteIdle));
    }
    Finish(ToGrpcStatus(status));
  }

  // Waits for the previous message to be written, then starts writing `filling_`.
  absl::Status Send() {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &ExportReactor::WriteIdle));
      if (write_failed_ || context_->IsCancelled()) {
        return absl::CancelledError("the export was cancelled by the client");
      }
      writing_.Swap(&filling_);
      filling_.Clear();
      if (!sent_any_) {
        for (const std::string& name : plan_.feature_names) writing_.add_feature_names(name);
        sent_any_ = true;
      }
      write_pending_ = true;
    }
    StartWrite(&writing_);  // outside the lock: OnWriteDone takes it
    return absl::OkStatus();
  }

  bool WriteIdle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !write_pending_; }

  const RequestHandler& handler_;
  grpc::CallbackServerContext* const context_;
  ExportPlan plan_;
  v1::ExportResponse filling_;  // producer side, only touched by the pool thread
  v1::ExportResponse writing_;  // owned by gRPC while a write is pending
  bool sent_any_ = false;       // pool thread only
  absl::Mutex mu_;
  bool write_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerBidiReactor<v1::IngestRequest, v1::IngestResponse>* NewIngestStreamReactor(
    const RequestHandler& handler, WorkerPool& pool, grpc::CallbackServerContext* /*context*/) {
  return new IngestStreamReactor(handler, pool);
}

grpc::ServerWriteReactor<v1::ExportResponse>* NewExportReactor(const RequestHandler& handler,
                                                               WorkerPool& pool,
                                                               grpc::CallbackServerContext* context,
                                                               const v1::ExportRequest* request) {
  return new ExportReactor(handler, pool, context, *request);
}

}  // namespace cohort::featurestore::internal
