// The feature store's request logic, independent of the gRPC transport: validation at the
// edge, shard-map ownership, conversion and the ProfileStore calls. FeatureStoreService
// adapts it to gRPC's callback API.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cohort/v1/feature_store.pb.h"
#include "services/featurestore/node_options.h"
#include "services/featurestore/ownership.h"
#include "services/featurestore/store_metrics.h"
#include "storage/profile_store.h"

namespace cohort::featurestore {

// Request size limits of the API (protos/cohort/v1/feature_store.proto).
inline constexpr int kMaxFeatureCustomers = 1000;    // GetFeatures.customer_ids
inline constexpr int kMaxAttributeCustomers = 1000;  // UpsertAttributes.customers
inline constexpr uint32_t kDefaultExportRows = 500;  // ExportRequest.rows_per_message = 0
inline constexpr uint32_t kMaxExportRows = 5000;     // keeps messages well under 4 MiB

// A validated Export request.
struct ExportPlan {
  uint32_t begin = 0;
  uint32_t end = 0;
  storage::FeatureSelection selection;
  std::vector<std::string> feature_names;  // of `selection`, in order
  std::optional<absl::Time> as_of;
  size_t rows_per_message = kDefaultExportRows;
};

// Whether an automatic compaction is due (NodeOptions::auto_compact_*): `writes` since the
// last full compaction began, `customers` stored (an estimate), and the time since the last
// write.
bool AutoCompactionDue(const NodeOptions& options, uint64_t writes, uint64_t customers,
                       absl::Duration since_last_write);

// Every method is thread-safe and returns OK with the response filled, or a canonical
// error whose message says what to fix (nothing is stored when a write returns an error):
//   INVALID_ARGUMENT     malformed request: oversized batch, invalid id (naming the
//                        field, e.g. "customer_ids[3]"), unknown feature, as_of outside
//                        the retention horizon, relative checkpoint path...
//   FAILED_PRECONDITION  a valid customer id (or Export partition) of the request lies in a
//                        partition this node does not own at the current shard-map epoch;
//                        the whole request fails and names the owner and the epoch.
//   other codes          storage failures, passed through.
// Events of an Ingest that are individually invalid are not errors: they come back as
// OUTCOME_REJECTED results with a reason, and the rest of the batch is applied.
class RequestHandler {
 public:
  // `store`, `ownership` and `metrics` (optional: null records nothing) are not owned and
  // must outlive the handler. Ingest and GetFeatures feed `metrics` (outcomes, rejection
  // reasons, event lag, feature value statuses).
  RequestHandler(storage::ProfileStore& store, const Ownership& ownership,
                 const NodeOptions& options, const StoreMetrics* metrics = nullptr);

  absl::Status Ingest(const v1::IngestRequest& request, v1::IngestResponse* response) const;
  absl::Status UpsertAttributes(const v1::UpsertAttributesRequest& request,
                                v1::UpsertAttributesResponse* response) const;
  absl::Status GetFeatures(const v1::GetFeaturesRequest& request,
                           v1::GetFeaturesResponse* response) const;
  absl::Status GetProfile(const v1::GetProfileRequest& request,
                          v1::GetProfileResponse* response) const;
  absl::Status GetHistory(const v1::GetHistoryRequest& request,
                          v1::GetHistoryResponse* response) const;
  absl::Status EraseCustomer(const v1::EraseCustomerRequest& request,
                             v1::EraseCustomerResponse* response) const;
  absl::Status ListFeatures(const v1::ListFeaturesRequest& request,
                            v1::ListFeaturesResponse* response) const;
  absl::Status NodeInfo(const v1::NodeInfoRequest& request, v1::NodeInfoResponse* response) const;
  absl::Status Checkpoint(const v1::CheckpointRequest& request,
                          v1::CheckpointResponse* response) const;
  // ProfileStore::CompactAll, one at a time per node (FAILED_PRECONDITION while one runs).
  absl::Status Compact(const v1::CompactRequest& request, v1::CompactResponse* response) const;

  // The automatic compaction: whether one is due at `now` (AutoCompactionDue on this
  // node's writes and store), and running it (Compact's work, counted as automatic).
  bool AutoCompactDue(absl::Time now) const;
  absl::Status AutoCompact(v1::CompactResponse* response) const;
  // Events, attribute rows and erasures written since the last full compaction began.
  uint64_t WritesSinceCompaction() const { return writes_since_compaction_.load(); }

  // Validates an Export request (range owned, features known, as_of and rows_per_message
  // well-formed) without reading any data.
  absl::StatusOr<ExportPlan> PlanExport(const v1::ExportRequest& request) const;
  // Streams the rows of `plan` to `visit` from one consistent snapshot; stops at, and
  // returns, the first error of `visit` or of storage (e.g. as_of outside the horizon).
  absl::Status RunExport(
      const ExportPlan& plan,
      const std::function<absl::Status(absl::string_view customer_id,
                                       storage::FeatureVector vector)>& visit) const;

 private:
  // The feature names of `selection`, in order.
  std::vector<std::string> FeatureNames(const storage::FeatureSelection& selection) const;
  // ValidateId(customer_id, "customer_id") and ownership under the current map.
  absl::Status CheckSingleCustomer(absl::string_view customer_id, const OwnershipView& view) const;
  // Counts `n` writes now (for the automatic compaction).
  void NoteWrites(uint64_t n) const;
  // Compact and AutoCompact.
  absl::Status RunCompaction(bool automatic, v1::CompactResponse* response) const;

  storage::ProfileStore& store_;
  const Ownership& ownership_;
  const NodeOptions options_;
  const StoreMetrics* const metrics_;
  mutable std::mutex compact_mu_;  // held by the running Compact
  mutable std::atomic<uint64_t> writes_since_compaction_{0};
  mutable std::atomic<int64_t> last_write_nanos_{0};  // absl::GetCurrentTimeNanos()
};

}  // namespace cohort::featurestore
