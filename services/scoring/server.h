// A running scorer: shard router, model registry (with its folder poller), the gRPC server
// (cohort.v1.Scoring, health checking, reflection) and the metrics server, started and
// drained as one.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace cohort {
class ShardRouter;
namespace metrics {
class GrpcServerMetrics;
class MetricsServer;
}  // namespace metrics
}  // namespace cohort

namespace cohort::scoring {

class ModelRegistry;
class Scorer;
class ScorerMetrics;
class ScoringService;

struct ScorerOptions {
  std::string listen = "127.0.0.1:7200";          // host:port; port 0 binds a free port
  std::string port_file;                          // if set, the bound host:port is written here
  std::string shard_map_path;                     // required
  std::string models_dir;                         // required
  std::string registry_path;                      // the store's feature registry file (required)
  std::string metrics_listen = "127.0.0.1:9200";  // empty disables
  std::string metrics_port_file;
  absl::Duration fetch_deadline = absl::Milliseconds(200);
  absl::Duration reload_interval = absl::Seconds(2);  // <= 0 disables polling
  absl::Duration drain_timeout = absl::Seconds(10);
};

class ScorerServer {
 public:
  // Loads the feature registry and the shard map, scans models_dir once (refused versions
  // are logged; starting with no model is allowed: Score answers FAILED_PRECONDITION until
  // one loads), starts the poller, serves gRPC on options.listen (health SERVING) and
  // metrics on options.metrics_listen, and writes the port files. Errors (nothing keeps
  // running): INVALID_ARGUMENT for bad options, NOT_FOUND / INVALID_ARGUMENT for unreadable
  // or malformed files, UNAVAILABLE if an address cannot be bound, I/O errors of port files.
  static absl::StatusOr<std::unique_ptr<ScorerServer>> Start(ScorerOptions options);

  // Shutdown(), if not done yet.
  ~ScorerServer();

  ScorerServer(const ScorerServer&) = delete;
  ScorerServer& operator=(const ScorerServer&) = delete;

  int port() const { return port_; }
  // "host:port" clients can dial.
  const std::string& address() const { return address_; }
  // "host:port" of the metrics server; empty when disabled.
  const std::string& metrics_address() const { return metrics_address_; }
  // The model registry (e.g. to Scan() from tests). Valid until destruction.
  ModelRegistry& models() { return *models_; }

  // Drains and stops: health NOT_SERVING, in-flight calls get options.drain_timeout, then
  // the metrics server and the poller stop. Idempotent; not thread-safe against itself.
  void Shutdown();

 private:
  ScorerServer();

  ScorerOptions options_;
  int port_ = 0;
  std::string address_;
  std::string metrics_address_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<metrics::GrpcServerMetrics> grpc_metrics_;
  std::unique_ptr<ScorerMetrics> scorer_metrics_;
  std::unique_ptr<ShardRouter> router_;
  std::unique_ptr<ModelRegistry> models_;
  std::unique_ptr<Scorer> scorer_;
  std::unique_ptr<ScoringService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
  bool stopped_ = false;
};

}  // namespace cohort::scoring
