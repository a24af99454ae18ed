// A running store node: the ProfileStore, the shard-map ownership and the gRPC server
// (FeatureStore service, health checking, reflection), started and drained as one.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "services/featurestore/node_options.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace cohort::metrics {
class GrpcServerMetrics;
class MetricsServer;
}  // namespace cohort::metrics

namespace cohort::storage {
class ProfileStore;
}  // namespace cohort::storage

namespace cohort::featurestore {

class FeatureStoreService;
class Ownership;
class RequestHandler;
class StoreMetrics;
class WorkerPool;

class StoreNode {
 public:
  // Loads the feature registry and the shard map (which must list options.node_id), opens
  // the store in options.data_dir with the map's partition count, starts serving on
  // options.listen with health status SERVING, serves Prometheus metrics on
  // options.metrics_listen (if set; then writes options.metrics_port_file if set), starts
  // the shard-map watcher, and writes options.port_file if set. Errors (nothing keeps
  // running): INVALID_ARGUMENT for bad options or a malformed/unsuitable registry or shard
  // map, NOT_FOUND for unreadable files, the store's error if it cannot be opened (e.g.
  // locked by another process), UNAVAILABLE if the gRPC or metrics address cannot be bound,
  // the I/O error if a port file cannot be written. Each message names the file or option
  // at fault.
  static absl::StatusOr<std::unique_ptr<StoreNode>> Start(NodeOptions options);

  // Shutdown(), if not done yet.
  ~StoreNode();

  StoreNode(const StoreNode&) = delete;
  StoreNode& operator=(const StoreNode&) = delete;

  // The bound port (the real one when options.listen asked for port 0).
  int port() const { return port_; }
  // "host:port" clients can dial: the listen host with the bound port.
  const std::string& address() const { return address_; }
  // The bound metrics port, 0 when options.metrics_listen is empty.
  int metrics_port() const { return metrics_port_; }
  // "host:port" of the metrics server; empty when options.metrics_listen is empty.
  const std::string& metrics_address() const { return metrics_address_; }

  // Drains and stops: health NOT_SERVING, no new calls, in-flight calls get
  // options.drain_timeout to finish (then they are cancelled), then the metrics server and
  // the watcher stop and the store is closed cleanly. Idempotent; not thread-safe against
  // itself.
  void Shutdown();

 private:
  StoreNode();
  // The automatic compaction (NodeOptions::auto_compact_*): checks every quarter of
  // auto_compact_quiet (10 ms to 10 s) until Shutdown.
  void AutoCompactLoop();

  NodeOptions options_;
  int port_ = 0;
  std::string address_;
  // Metrics (docs/metrics.md): the registry of every family but the scrape-time ones, the
  // RPC interceptor's metrics (shared with the server's interceptor factory), the store's
  // request-path counters. The HTTP server (below) reads the store and the ownership.
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<metrics::GrpcServerMetrics> grpc_metrics_;
  std::unique_ptr<StoreMetrics> store_metrics_;
  // The second thread of large GetFeatures batches (StoreOptions::read_helper); outlives
  // the store.
  std::unique_ptr<WorkerPool> read_helpers_;
  std::unique_ptr<storage::ProfileStore> store_;
  std::unique_ptr<Ownership> ownership_;
  std::unique_ptr<RequestHandler> handler_;
  std::unique_ptr<WorkerPool> requests_;
  std::unique_ptr<WorkerPool> exports_;
  std::unique_ptr<FeatureStoreService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<metrics::MetricsServer> metrics_server_;  // null when metrics_listen is empty
  int metrics_port_ = 0;
  std::string metrics_address_;
  std::thread auto_compactor_;  // not started when auto_compact_quiet is zero
  absl::Notification stop_auto_compactor_;
  bool stopped_ = false;
};

// Blocks SIGTERM and SIGINT in the calling thread and every thread it creates afterwards,
// so WaitForTerminationSignal() can take them. Call first thing in main().
void BlockTerminationSignals();
// Waits for SIGTERM or SIGINT (blocked by BlockTerminationSignals) and returns it.
int WaitForTerminationSignal();

// Writes `contents` to `path` atomically: a temporary file in the same directory, then
// rename. Errors name the path.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents);

}  // namespace cohort::featurestore
