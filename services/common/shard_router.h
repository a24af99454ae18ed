// ShardRouter: the client library that talks to a sharded Cohort store. It reads the shard
// map, sends each customer's work to the node owning the customer's partition
// (PartitionOf(customer_id, P), common/hash.h), fans batches out to the nodes in parallel
// and reassembles the answers in request order.
//
// Routing rules shared by every batch call:
// - Each node gets one sub-request with the items it owns, in request order, split further
//   if it exceeds a node's batch limit (1,000 ids or customers, 10,000 events). All
//   sub-requests run in parallel (gRPC callback API), each with `ShardRouterOptions::deadline`.
// - A node that answers FAILED_PRECONDITION (it does not own a partition: the router's map
//   is stale) makes the router reload the shard-map file and retry that node's items once,
//   routed by the new map. If they fail again, the error is returned.
// - Any other failure of a sub-request fails the whole call with the node's status code and
//   a message naming the node, e.g. "node store-1 (127.0.0.1:7101): connection refused".
//   Writes are idempotent (event ids; last-writer-wins attributes), so a failed call may
//   have been applied on other nodes and is safe to retry as a whole.
// - Customer ids of read calls are validated locally (common/validation.h) so the error
//   names their position in the request ("customer_ids[3]: ..."). Ingest does not
//   validate: every event is routed by the hash of its customer_id bytes and the owning
//   node answers REJECTED with a reason for an invalid one.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cohort/v1/feature_store.grpc.pb.h"
#include "services/common/arena_allocator.h"
#include "services/common/shard_map.h"

namespace cohort {

struct ShardRouterOptions {
  // Deadline of every unary sub-request (per node, per attempt). Default 2 s.
  absl::Duration deadline = absl::Seconds(2);
  // Deadline of each node's Export stream (a whole export can be long). Default 1 h.
  absl::Duration export_deadline = absl::Hours(1);
  // Channel arguments of every node channel. Default: gRPC's defaults.
  grpc::ChannelArguments channel_args;
  // Credentials of every node channel. Default (nullptr): insecure (plaintext).
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Longest wait between reconnection attempts to a node that went away (sets
  // GRPC_ARG_MAX_RECONNECT_BACKOFF_MS; do not set that in channel_args). Default 2 s, so a
  // restarted node is used again quickly.
  absl::Duration max_reconnect_backoff = absl::Seconds(2);
};

// What a GetFeatures read asks of the nodes besides ids and features.
struct FeatureReadOptions {
  std::optional<absl::Time> as_of;  // point in time of the read; unset: now
  // Also each customer's newest interactions in FeatureVector.history, this many (0: the
  // node's cap): GetFeaturesRequest.with_history. Unset: no history. Refused with as_of.
  std::optional<uint32_t> history_limit;
  // How the vectors carry their values (GetFeaturesRequest.layout); with
  // VALUE_LAYOUT_PACKED the response has feature_types.
  v1::ValueLayout layout = v1::VALUE_LAYOUT_MESSAGES;
};

// Thread-safe: every method may be called concurrently. Channels (one per node address)
// are created on first use and reused by every call until the address leaves the map.
class ShardRouter {
 public:
  // One node's stub, for callers that drive their own RPCs (e.g. an IngestStream). The stub
  // stays usable for as long as the caller holds it, even across map reloads.
  struct NodeHandle {
    NodeSpec node;
    std::shared_ptr<v1::FeatureStore::Stub> stub;
  };

  // NodeInfo of one node, or why it could not be had (the status names the node).
  struct NodeStatus {
    NodeSpec node;
    absl::StatusOr<v1::NodeInfoResponse> info;
  };

  // Receives exported rows in partition order. feature_names are the columns of every row's
  // values. A non-OK return stops the export and is returned by Export.
  using ExportSink = std::function<absl::Status(const std::vector<std::string>& feature_names,
                                                const v1::FeatureVector& row)>;

  // Loads the shard map at `shard_map_path`. Errors: those of ShardMap::LoadFile. No
  // connection is made yet (nodes may be down).
  static absl::StatusOr<std::unique_ptr<ShardRouter>> Create(std::string shard_map_path,
                                                             ShardRouterOptions options = {});

  ShardRouter(const ShardRouter&) = delete;
  ShardRouter& operator=(const ShardRouter&) = delete;

  // The current map; the snapshot stays valid while held.
  std::shared_ptr<const ShardMap> map() const;
  // Re-reads the shard-map file and installs it. On error the current map stays in force
  // and the error (NOT_FOUND or INVALID_ARGUMENT from ShardMap::LoadFile) is returned.
  absl::Status Reload();

  // The node with `node_id` in the current map. NOT_FOUND if the map does not list it.
  absl::StatusOr<NodeHandle> Node(absl::string_view node_id);
  // The node owning `customer_id` in the current map.
  NodeHandle NodeFor(absl::string_view customer_id);
  // The (shared, cached) stub of `node`'s address; the node need not be in the current map.
  NodeHandle HandleFor(const NodeSpec& node);

  // Feature vectors of `customer_ids` (1 or more; duplicates allowed), one per id in
  // request order; `features` empty means every feature; `read` as FeatureReadOptions says.
  // INVALID_ARGUMENT for an empty list or an invalid id (naming its position), and from
  // the nodes for history with as_of; node errors as described at the top of this file.
  // FAILED_PRECONDITION if nodes disagree on the feature columns (different registries).
  // The answer is parsed on an arena it owns (`->` and `*` reach the response): the vectors
  // of every node's answer are moved into it without an allocation per field.
  using FeaturesResponse = ArenaMessage<v1::GetFeaturesResponse>;
  absl::StatusOr<FeaturesResponse> GetFeatures(const std::vector<std::string>& customer_ids,
                                               const std::vector<std::string>& features,
                                               const FeatureReadOptions& read = {});

  // The outcome of GetFeaturesPartial.
  struct PartialFeatures {
    // feature_names (empty if no node answered) and one vector per request id in request
    // order; the vector of an id whose node failed holds only its customer_id.
    FeaturesResponse response;
    // One per request id: OK, or the error of the node owning it (naming the node).
    std::vector<absl::Status> statuses;
    // Every node sub-request made (retries included), in completion-check order.
    struct NodeCall {
      NodeSpec node;
      absl::Status status;  // OK or the node error
      absl::Duration latency;
      size_t ids = 0;
    };
    std::vector<NodeCall> calls;
  };

  // As GetFeatures, but a failing node does not fail the call: its ids get its error in
  // `statuses` and the other ids are answered. `deadline` (unset: options.deadline) bounds
  // each node sub-request. Errors of the whole call: INVALID_ARGUMENT as GetFeatures,
  // FAILED_PRECONDITION if answering nodes disagree on the feature columns, and a stale map
  // that cannot be reloaded.
  absl::StatusOr<PartialFeatures> GetFeaturesPartial(
      const std::vector<std::string>& customer_ids, const std::vector<std::string>& features,
      const FeatureReadOptions& read = {}, std::optional<absl::Duration> deadline = std::nullopt);

  // Ingests `events` (any number). The response has one result per event in request order
  // and the summed counts; `sequence`, `error_code`, `error_message` are unset.
  absl::StatusOr<v1::IngestResponse> Ingest(absl::Span<const v1::Event> events,
                                            v1::Durability durability = v1::DURABILITY_UNSPECIFIED);

  // Upserts attributes of `customers` (any number; ids validated locally). Returns the
  // summed attributes_written.
  absl::StatusOr<v1::UpsertAttributesResponse> UpsertAttributes(
      absl::Span<const v1::CustomerAttributes> customers,
      v1::Durability durability = v1::DURABILITY_UNSPECIFIED);

  // Single-customer calls, routed to the owner of `customer_id` (validated locally).
  absl::StatusOr<v1::GetProfileResponse> GetProfile(absl::string_view customer_id);
  // `limit` 0 means the node's cap.
  absl::StatusOr<v1::GetHistoryResponse> GetHistory(absl::string_view customer_id,
                                                    uint32_t limit = 0);
  absl::StatusOr<v1::EraseCustomerResponse> EraseCustomer(absl::string_view customer_id);

  // NodeInfo of every node of the current map, in map order, asked in parallel. Never fails
  // as a whole: an unreachable node has a non-OK `info` naming it.
  std::vector<NodeStatus> NodeInfo();

  // The feature registry, as served by the first node of the map that answers. Errors: the
  // last node's error if none answers.
  absl::StatusOr<v1::ListFeaturesResponse> ListFeatures();

  // Exports the rows of partitions [begin, end) (INVALID_ARGUMENT unless
  // begin < end <= partitions) into `sink`, asking each node for the sub-ranges it owns, one
  // node stream at a time in partition order. `features` empty means all; `as_of` unset
  // means now. Returns the feature names of the rows (empty if no node sent any). On a
  // stale map (FAILED_PRECONDITION before any row of a sub-range arrived) the map is
  // reloaded and the rest of the range re-planned, once per export. Errors name the node.
  absl::StatusOr<std::vector<std::string>> Export(uint32_t begin, uint32_t end,
                                                  const std::vector<std::string>& features,
                                                  std::optional<absl::Time> as_of,
                                                  const ExportSink& sink);

 private:
  ShardRouter(std::string path, ShardRouterOptions options, ShardMap map);

  std::shared_ptr<v1::FeatureStore::Stub> StubFor(const NodeSpec& node);

  const std::string path_;
  const ShardRouterOptions options_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const ShardMap> map_ ABSL_GUARDED_BY(mu_);
  // Keyed by address; dropped when a reload removes the address.
  absl::flat_hash_map<std::string, std::shared_ptr<v1::FeatureStore::Stub>> stubs_
      ABSL_GUARDED_BY(mu_);
};

// "node <id> (<address>): <message>" with the status code of `status` (OK stays OK).
absl::Status NodeError(const NodeSpec& node, const absl::Status& status);

}  // namespace cohort
