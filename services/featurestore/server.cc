#include "services/featurestore/server.h"

#include <grpcpp/server.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "prometheus/registry.h"
#include "services/common/grpc_server.h"
#include "services/common/metrics/build_info.h"
#include "services/common/metrics/grpc_server_metrics.h"
#include "services/common/metrics/metrics_server.h"
#include "services/common/metrics/process_collector.h"
#include "services/common/process.h"
#include "services/featurestore/convert.h"
#include "services/featurestore/feature_store_service.h"
#include "services/featurestore/log.h"
#include "services/featurestore/ownership.h"
#include "services/featurestore/request_handler.h"
#include "services/featurestore/store_collector.h"
#include "services/featurestore/store_metrics.h"
#include "services/featurestore/worker_pool.h"
#include "storage/feature_registry.h"
#include "storage/profile_store.h"

#ifndef COHORT_VERSION
#define COHORT_VERSION "unknown"
#endif

namespace cohort::featurestore {

namespace {

constexpr char kServiceName[] = "cohort.v1.FeatureStore";
constexpr char kReflectionServiceName[] = "grpc.reflection.v1alpha.ServerReflection";
constexpr int kMaxReceiveMessageBytes = 64 << 20;  // a full Ingest batch with long labels
constexpr size_t kMaxQueuedExports = 64;

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  return absl::Status(status.code(), absl::StrCat(context, status.message()));
}

// Splits "host:port"; the host may be a bracketed IPv6 address.
absl::Status SplitListen(const std::string& listen, std::string* host) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(listen).substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address '", listen,
                     "' is not host:port (e.g. 127.0.0.1:7100; port 0 binds a "
                     "free port)"));
  }
  *host = listen.substr(0, colon);
  return absl::OkStatus();
}

absl::Status CheckOptions(const NodeOptions& o) {
  auto missing = [](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is required"));
  };
  if (o.data_dir.empty()) return missing("the data directory (data_dir)");
  if (o.node_id.empty()) return missing("the node id (node_id)");
  if (o.shard_map_path.empty()) return missing("the shard-map path (shard_map)");
  if (o.registry_path.empty()) return missing("the feature-registry path (registry)");
  if (o.retention_days <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("retention_days is ", o.retention_days, "; it must be positive"));
  }
  if (o.history_cap == 0) return absl::InvalidArgumentError("history_cap must be positive");
  if (o.max_batch_events == 0) {
    return absl::InvalidArgumentError("max_batch_events must be positive");
  }
  if (o.auto_compact_quiet < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("auto_compact_quiet must not be negative (0 disables)");
  }
  if (!(o.auto_compact_ratio >= 0) || !std::isfinite(o.auto_compact_ratio)) {
    return absl::InvalidArgumentError(
        absl::StrCat("auto_compact_ratio is ", o.auto_compact_ratio,
                     "; it must be a finite number >= 0 (writes per stored customer)"));
  }
  if (o.block_cache_mb > (uint64_t{1} << 30)) {
    return absl::InvalidArgumentError(
        absl::StrCat("block_cache_mb is ", o.block_cache_mb, "; that is more than 1 PiB"));
  }
  std::string host;
  COHORT_RETURN_IF_ERROR(SplitListen(o.listen, &host));
  if (o.metrics_listen.empty() && !o.metrics_port_file.empty()) {
    return absl::InvalidArgumentError(
        "metrics_port_file is set but metrics_listen is empty (metrics are off)");
  }
  if (!o.metrics_listen.empty()) {
    absl::Status metrics = SplitListen(o.metrics_listen, &host);
    if (!metrics.ok()) return Annotate(metrics, "metrics_listen: ");
  }
  return absl::OkStatus();
}

// The methods the RPC metrics pre-initialise: the FeatureStore service, health checking and
// reflection (each found in the generated descriptor pool, health excepted).
absl::StatusOr<std::vector<metrics::GrpcServiceMethods>> InstrumentedServices() {
  std::vector<metrics::GrpcServiceMethods> services = {metrics::HealthServiceMethods()};
  for (const char* name : {kServiceName, kReflectionServiceName}) {
    COHORT_ASSIGN_OR_RETURN(metrics::GrpcServiceMethods methods, metrics::MethodsOf(name));
    services.push_back(std::move(methods));
  }
  return services;
}

}  // namespace

StoreNode::StoreNode() = default;

StoreNode::~StoreNode() { Shutdown(); }

absl::StatusOr<std::unique_ptr<StoreNode>> StoreNode::Start(NodeOptions options) {
  COHORT_RETURN_IF_ERROR(CheckOptions(options));
  std::unique_ptr<StoreNode> node(new StoreNode());
  node->options_ = options;

  absl::StatusOr<std::shared_ptr<const storage::FeatureRegistry>> registry =
      storage::FeatureRegistry::LoadFile(options.registry_path);
  if (!registry.ok()) {  // NOT_FOUND names the registry already; parse errors name path:line
    return registry.status().code() == absl::StatusCode::kNotFound
               ? registry.status()
               : Annotate(registry.status(), "invalid feature registry ");
  }

  absl::StatusOr<std::unique_ptr<Ownership>> ownership =
      Ownership::Load(options.shard_map_path, options.node_id);
  if (!ownership.ok()) return ownership.status();  // names the shard-map file
  node->ownership_ = *std::move(ownership);

  storage::StoreOptions store_options;
  store_options.path = options.data_dir;
  store_options.partitions = node->ownership_->Current()->map().partitions();
  store_options.retention_days = options.retention_days;
  store_options.history_cap = options.history_cap;
  store_options.block_cache_bytes = options.block_cache_mb << 20;
  if (options.split_reads) {
    // One helper thread and at most one task waiting for it; when it is busy the call reads
    // its whole batch itself.
    node->read_helpers_ = std::make_unique<WorkerPool>(1, 1);
    store_options.read_helper = [pool = node->read_helpers_.get()](std::function<void()> task) {
      return pool->TrySubmit(std::move(task));
    };
  }
  absl::StatusOr<std::unique_ptr<storage::ProfileStore>> store =
      storage::ProfileStore::Open(std::move(store_options), *std::move(registry));
  if (!store.ok()) {
    return Annotate(store.status(), absl::StrCat("store in ", options.data_dir, ": "));
  }
  node->store_ = *std::move(store);

  node->registry_ = std::make_shared<prometheus::Registry>();
  metrics::AddBuildInfo(*node->registry_, "store", COHORT_VERSION);
  COHORT_ASSIGN_OR_RETURN(std::vector<metrics::GrpcServiceMethods> instrumented,
                          InstrumentedServices());
  node->grpc_metrics_ = metrics::GrpcServerMetrics::Create(node->registry_, instrumented);
  node->store_metrics_ = std::make_unique<StoreMetrics>(*node->registry_);

  node->handler_ = std::make_unique<RequestHandler>(*node->store_, *node->ownership_, options,
                                                    node->store_metrics_.get());
  node->requests_ =
      std::make_unique<WorkerPool>(options.worker_threads, options.max_queued_requests);
  node->exports_ = std::make_unique<WorkerPool>(options.export_threads, kMaxQueuedExports);
  node->service_ =
      std::make_unique<FeatureStoreService>(*node->handler_, *node->requests_, *node->exports_);

  // gRPC's default SO_REUSEPORT is disabled inside StartGrpcServer: a second node on the same
  // address fails to start instead of sharing the port (and its traffic) silently.
  COHORT_ASSIGN_OR_RETURN(
      StartedGrpcServer started,
      StartGrpcServer(node->service_.get(),
                      {.listen = options.listen,
                       .health_service_name = kServiceName,
                       .max_receive_message_bytes = kMaxReceiveMessageBytes,
                       .interceptor = node->grpc_metrics_->InterceptorFactory()}));
  node->server_ = std::move(started.server);
  node->port_ = started.port;

  std::string host;
  COHORT_RETURN_IF_ERROR(SplitListen(options.listen, &host));
  node->address_ = absl::StrCat(host, ":", node->port_);
  if (!options.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<metrics::MetricsServer>> metrics_server =
        metrics::MetricsServer::Start(
            options.metrics_listen,
            {node->registry_, std::make_shared<metrics::ProcessCollector>(),
             std::make_shared<StoreCollector>(*node->store_, *node->ownership_)});
    if (!metrics_server.ok()) return metrics_server.status();  // names the address
    node->metrics_server_ = *std::move(metrics_server);
    node->metrics_port_ = node->metrics_server_->port();
    node->metrics_address_ = node->metrics_server_->address();
    if (!options.metrics_port_file.empty()) {
      COHORT_RETURN_IF_ERROR(WriteFileAtomically(options.metrics_port_file,
                                                 absl::StrCat(node->metrics_address_, "\n")));
    }
  }
  if (options.shard_map_poll_interval > absl::ZeroDuration()) {
    node->ownership_->StartWatching(options.shard_map_poll_interval);
  }
  if (!options.port_file.empty()) {
    COHORT_RETURN_IF_ERROR(
        WriteFileAtomically(options.port_file, absl::StrCat(node->address_, "\n")));
  }
  if (options.auto_compact_quiet > absl::ZeroDuration()) {
    node->auto_compactor_ = std::thread([raw = node.get()] { raw->AutoCompactLoop(); });
  }
  std::shared_ptr<const OwnershipView> view = node->ownership_->Current();
  uint32_t owned = 0;
  for (const PartitionRangeSpec& r : view->owned()) owned += r.end - r.begin;
  LogLine(absl::StrCat(
      "serving on ", node->address_, ": node ", options.node_id, ", ", owned, " of ",
      view->map().partitions(), " partitions at shard-map epoch ", view->epoch(), ", data in ",
      options.data_dir, ", durability ", DurabilityName(options.default_durability),
      node->metrics_address_.empty()
          ? std::string(", metrics off")
          : absl::StrCat(", metrics on http://", node->metrics_address_, "/metrics")));
  return node;
}

void StoreNode::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  const bool was_serving = server_ != nullptr;
  // A running compaction (automatic, or a Compact call) stops where it is rather than hold
  // up the drain: it is maintenance, and the next one redoes what is left.
  if (store_ != nullptr) store_->StopCompactions();
  if (server_ != nullptr) {
    LogLine(absl::StrCat("draining: no new calls, up to ",
                         absl::FormatDuration(options_.drain_timeout), " for the calls in flight"));
    DrainGrpcServer(*server_, kServiceName, options_.drain_timeout);
  }
  metrics_server_.reset();  // its collectors read the store: stop scrapes before closing it
  if (ownership_ != nullptr) ownership_->StopWatching();
  stop_auto_compactor_.Notify();
  if (auto_compactor_.joinable()) auto_compactor_.join();
  if (requests_ != nullptr) requests_->Shutdown();
  if (exports_ != nullptr) exports_->Shutdown();
  server_.reset();
  service_.reset();
  handler_.reset();
  store_.reset();  // closes RocksDB; every acknowledged write is already in the WAL
  if (read_helpers_ != nullptr) read_helpers_->Shutdown();
  if (was_serving) LogLine("stopped: store closed cleanly");
}

void StoreNode::AutoCompactLoop() {
  const absl::Duration quiet = options_.auto_compact_quiet;
  const absl::Duration check = std::clamp(quiet / 4, absl::Milliseconds(10), absl::Seconds(10));
  absl::Time next_try = absl::InfinitePast();  // after a failure: one quiet period later
  while (!stop_auto_compactor_.WaitForNotificationWithTimeout(check)) {
    const absl::Time now = absl::Now();
    if (now < next_try || !handler_->AutoCompactDue(now)) continue;
    LogLine(absl::StrCat("automatic compaction: ", handler_->WritesSinceCompaction(),
                         " writes since the last full compaction, none in the last ",
                         absl::FormatDuration(quiet)));
    v1::CompactResponse response;
    const absl::Status status = handler_->AutoCompact(&response);
    if (status.ok()) {
      LogLine(absl::StrFormat("automatic compaction done in %.1f s; %d live bytes",
                              response.seconds(), response.live_data_bytes()));
    } else if (!absl::IsFailedPrecondition(status) &&  // a Compact call is running
               !absl::IsAborted(status)) {             // the node is shutting down
      LogLine(absl::StrCat("automatic compaction failed: ", status.ToString()));
      next_try = absl::Now() + quiet;
    }
  }
}

void BlockTerminationSignals() { cohort::BlockTerminationSignals(); }

int WaitForTerminationSignal() { return cohort::WaitForTerminationSignal(); }

absl::Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  return cohort::WriteFileAtomically(path, contents);
}

}  // namespace cohort::featurestore
