// The workloads of cohort-bench as OpFactory values for the load drivers (bench/driver.h).
// Every worker draws its customers from the shared KeyGenerator with its own Rng.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/driver.h"
#include "bench/keygen.h"
#include "services/common/shard_map.h"
#include "services/common/shard_router.h"
#include "storage/profile_store.h"

namespace cohort::bench {

// What a workload's requests look like.
struct RequestShape {
  const KeyGenerator* keys = nullptr;  // not owned; outlives the run
  std::string id_prefix = "cust-";
  int batch = 1;      // customers per GetFeatures / HGETALL pipeline, events per Ingest
  uint64_t seed = 1;  // worker i uses Rng(seed * 1000003 + i)
  // Ingest: consecutive events per drawn customer (1: every event draws a customer), as a
  // session's clickstream arrives together.
  int events_per_customer = 1;
};

// The generator of worker `index`: Rng(shape.seed * 1000003 + index). Every read workload
// uses it, so runs of the same seed draw the same customers in the same order per worker.
Rng WorkerRng(const RequestShape& shape, int index);

// Draws `ids.size()` customer ids.
void DrawIds(const RequestShape& shape, Rng& rng, std::vector<std::string>& ids);

// GetFeatures of `shape.batch` customers (all features, values in `layout`) through `router`
// (not owned, must outlive the run). A request fails on an RPC error or a short answer.
OpFactory GrpcGetFeatures(ShardRouter* router, RequestShape shape, v1::ValueLayout layout);

// Ingest of `shape.batch` fresh events (unique ids, times within the last 30 days, mixed
// types) through `router`. A request fails on an RPC error or a rejected event.
// `run_tag` makes event ids unique across runs.
OpFactory GrpcIngest(ShardRouter* router, RequestShape shape, std::string run_tag);

// Fills `event` with a fresh event of `customer_id` (random type, channel, item, category,
// time within the 30 days before `now` in Unix seconds; quantity and amount for purchases).
void FillEvent(Rng& rng, std::string event_id, std::string customer_id, int64_t now,
               v1::Event& event);
// Mean serialized size in bytes of `n` events as the ingest workloads send them (the value
// size db_bench is given to compare with ingest).
double MeanEventBytes(int n);
// OK, or the batch-level error / first rejection of an Ingest(Stream) answer.
absl::Status FirstRejection(const v1::IngestResponse& response);

// IngestStream: every worker keeps one stream open to each node and sends, per request,
// `shape.batch` events of customers owned by one node (round robin over the nodes), then
// waits for that batch's ack. A request fails on a stream error, a batch-level error or a
// rejected event. The node set is the map's at the first request.
OpFactory GrpcIngestStream(ShardRouter* router, RequestShape shape, std::string run_tag);

// The store nodes' data opened in-process (checkpoints), routed like the ShardRouter does.
class InprocStores {
 public:
  // Opens <checkpoint_root>/<node id> for every node of the shard map at `shard_map_path`
  // with the registry at `registry_path`. Errors: the map's, the registry's, the stores'.
  static absl::StatusOr<std::unique_ptr<InprocStores>> Open(const std::string& shard_map_path,
                                                            const std::string& checkpoint_root,
                                                            const std::string& registry_path);

  // Feature vectors (all features, now) of `ids`; returns how many customers were found.
  // Thread-safe.
  absl::StatusOr<size_t> GetFeatures(const std::vector<std::string>& ids) const;

 private:
  InprocStores() = default;
  std::optional<ShardMap> map_;
  std::vector<std::unique_ptr<storage::ProfileStore>> stores_;  // by node index in map_
  storage::FeatureSelection all_;
};

// ProfileStore::GetFeatures of `shape.batch` customers on `stores` (not owned).
OpFactory InprocGetFeatures(const InprocStores* stores, RequestShape shape);

}  // namespace cohort::bench
