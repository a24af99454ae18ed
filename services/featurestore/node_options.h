// Configuration of one store node (the `cohort-store` process). main.cc fills it from flags;
// tests fill it directly.
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "storage/types.h"

namespace cohort::featurestore {

struct NodeOptions {
  // RocksDB directory of this node; created if missing. Required.
  std::string data_dir;
  // host:port to serve gRPC on. Port 0 binds a free port (see StoreNode::port()).
  std::string listen = "127.0.0.1:7100";
  // If set, "host:port\n" of the bound address is written here (atomically, via rename)
  // once the node serves. Launchers and tests read it to find a port-0 node.
  std::string port_file;
  // ip:port to serve Prometheus metrics on (GET /metrics; docs/metrics.md). Port 0 binds a
  // free port (see StoreNode::metrics_port()). Empty disables the metrics server (the
  // counters are still kept). main.cc defaults it to 127.0.0.1:9100.
  std::string metrics_listen;
  // If set, "host:port\n" of the bound metrics address is written here (atomically) once
  // the metrics server listens, before port_file is written.
  std::string metrics_port_file;
  // This node's id in the shard map, e.g. "store-0". Required.
  std::string node_id;
  // Path of the shard-map JSON file (services/common/shard_map.h). Required. Re-read
  // when its modification time, size or inode changes.
  std::string shard_map_path;
  // Path of the feature registry file. Required (main.cc defaults it to
  // features.registry next to the executable).
  std::string registry_path;
  // Durability of writes whose request says DURABILITY_UNSPECIFIED.
  storage::Durability default_durability = storage::Durability::kSync;
  // Daily buckets, dedup keys and events older than this are dropped.
  int32_t retention_days = 730;
  // Recent interactions kept per customer.
  uint32_t history_cap = 200;
  // Shared RocksDB block cache, in MiB.
  uint64_t block_cache_mb = 256;
  // Most events one Ingest request (or one IngestStream batch) may carry.
  uint32_t max_batch_events = 10000;
  // Threads that run storage calls off gRPC's callback threads (unary calls and stream
  // batches). Storage calls block on RocksDB and fsync.
  uint32_t worker_threads = 16;
  // Exports that run at the same time; more wait in line. Each holds a thread while it
  // streams.
  uint32_t export_threads = 4;
  // Whether a large GetFeatures batch that arrives while the node is idle is read by two
  // threads, half each (StoreOptions::read_helper): at half of peak load the batch-100 p99
  // halves, at peak throughput is ~4% lower (bench/). Off for nodes run at saturation.
  bool split_reads = true;
  // Automatic full compaction after a bulk load (docs/operations.md). Until a compaction
  // folds them, an import's writes are merge operands spread over several LSM levels and
  // reads merge them. The node compacts as the Compact RPC does once, since the last full
  // compaction, at least auto_compact_min_writes events, attribute rows and erasures and at
  // least auto_compact_ratio times the customers stored were written, and then nothing was
  // written for auto_compact_quiet. A zero auto_compact_quiet disables it.
  absl::Duration auto_compact_quiet = absl::Minutes(2);
  uint64_t auto_compact_min_writes = 100000;
  double auto_compact_ratio = 0.5;
  // Requests waiting for a worker beyond this are refused with RESOURCE_EXHAUSTED.
  uint32_t max_queued_requests = 10000;
  // How often the shard-map file is checked for changes. Zero disables the watcher.
  absl::Duration shard_map_poll_interval = absl::Seconds(1);
  // On shutdown, in-flight calls get this long to finish before they are cancelled.
  absl::Duration drain_timeout = absl::Seconds(10);
};

}  // namespace cohort::featurestore
