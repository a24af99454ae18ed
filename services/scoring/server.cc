#include "services/scoring/server.h"

#include <grpcpp/server.h>

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "prometheus/registry.h"
#include "services/common/grpc_server.h"
#include "services/common/metrics/build_info.h"
#include "services/common/metrics/grpc_server_metrics.h"
#include "services/common/metrics/metrics_server.h"
#include "services/common/metrics/process_collector.h"
#include "services/common/process.h"
#include "services/common/shard_router.h"
#include "services/scoring/model_registry.h"
#include "services/scoring/scorer.h"
#include "services/scoring/scorer_metrics.h"
#include "services/scoring/scoring_service.h"
#include "storage/feature_registry.h"

#ifndef COHORT_VERSION
#define COHORT_VERSION "unknown"
#endif

namespace cohort::scoring {

namespace {

constexpr char kServiceName[] = "cohort.v1.Scoring";
constexpr char kReflectionServiceName[] = "grpc.reflection.v1alpha.ServerReflection";
constexpr char kLogName[] = "cohort-scorer";

absl::StatusOr<std::string> ListenHost(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address '", listen,
                     "' is not host:port (e.g. 127.0.0.1:7200; port 0 binds a "
                     "free port)"));
  }
  return listen.substr(0, colon);
}

absl::Status CheckOptions(const ScorerOptions& o) {
  auto missing = [](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is required"));
  };
  if (o.shard_map_path.empty()) return missing("the shard-map path (shard_map)");
  if (o.models_dir.empty()) return missing("the models directory (models_dir)");
  if (o.registry_path.empty()) return missing("the feature-registry path (registry)");
  if (o.fetch_deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the fetch deadline (fetch_deadline_ms) must be positive");
  }
  return absl::OkStatus();
}

}  // namespace

ScorerServer::ScorerServer() = default;

ScorerServer::~ScorerServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<ScorerServer>> ScorerServer::Start(ScorerOptions options) {
  COHORT_RETURN_IF_ERROR(CheckOptions(options));
  COHORT_ASSIGN_OR_RETURN(std::string host, ListenHost(options.listen));
  std::unique_ptr<ScorerServer> server(new ScorerServer());
  server->options_ = options;
  COHORT_ASSIGN_OR_RETURN(std::shared_ptr<const storage::FeatureRegistry> features,
                          storage::FeatureRegistry::LoadFile(options.registry_path));
  std::set<std::string> served;
  for (const auto& f : features->features()) served.insert(f.name);

  ShardRouterOptions router_options;
  router_options.deadline = options.fetch_deadline;
  COHORT_ASSIGN_OR_RETURN(server->router_,
                          ShardRouter::Create(options.shard_map_path, router_options));

  server->registry_ = std::make_shared<prometheus::Registry>();
  metrics::AddBuildInfo(*server->registry_, "scorer", COHORT_VERSION);
  std::vector<metrics::GrpcServiceMethods> instrumented = {metrics::HealthServiceMethods()};
  for (const char* name : {kServiceName, kReflectionServiceName}) {
    COHORT_ASSIGN_OR_RETURN(metrics::GrpcServiceMethods methods, metrics::MethodsOf(name));
    instrumented.push_back(std::move(methods));
  }
  server->grpc_metrics_ = metrics::GrpcServerMetrics::Create(server->registry_, instrumented);
  server->scorer_metrics_ = std::make_unique<ScorerMetrics>(*server->registry_);

  server->models_ = std::make_unique<ModelRegistry>(options.models_dir, std::move(served),
                                                    server->scorer_metrics_.get());
  server->models_->Scan();
  if (options.reload_interval > absl::ZeroDuration()) {
    server->models_->StartPolling(options.reload_interval);
  }
  server->scorer_ = std::make_unique<Scorer>(*server->router_, *server->models_,
                                             server->scorer_metrics_.get(), options.fetch_deadline);
  server->service_ = std::make_unique<ScoringService>(*server->scorer_);

  COHORT_ASSIGN_OR_RETURN(
      StartedGrpcServer started,
      StartGrpcServer(server->service_.get(),
                      {.listen = options.listen,
                       .health_service_name = kServiceName,
                       .interceptor = server->grpc_metrics_->InterceptorFactory()}));
  server->server_ = std::move(started.server);
  server->port_ = started.port;
  server->address_ = absl::StrCat(host, ":", server->port_);

  if (!options.metrics_listen.empty()) {
    COHORT_ASSIGN_OR_RETURN(
        server->metrics_server_,
        metrics::MetricsServer::Start(
            options.metrics_listen,
            {server->registry_, std::make_shared<metrics::ProcessCollector>()}));
    server->metrics_address_ = server->metrics_server_->address();
    if (!options.metrics_port_file.empty()) {
      COHORT_RETURN_IF_ERROR(WriteFileAtomically(options.metrics_port_file,
                                                 absl::StrCat(server->metrics_address_, "\n")));
    }
  }
  if (!options.port_file.empty()) {
    COHORT_RETURN_IF_ERROR(
        WriteFileAtomically(options.port_file, absl::StrCat(server->address_, "\n")));
  }
  LogLine(kLogName,
          absl::StrCat(
              "serving cohort.v1.Scoring on ", server->address_, " with ",
              server->models_->Current()->models.size(), " model(s) from ", options.models_dir,
              server->metrics_address_.empty()
                  ? std::string(", metrics off")
                  : absl::StrCat(", metrics on http://", server->metrics_address_, "/metrics")));
  return server;
}

void ScorerServer::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  const bool was_serving = server_ != nullptr;
  if (server_ != nullptr) {
    LogLine(kLogName,
            absl::StrCat("draining: no new calls, up to ",
                         absl::FormatDuration(options_.drain_timeout), " for the calls in flight"));
    DrainGrpcServer(*server_, kServiceName, options_.drain_timeout);
  }
  metrics_server_.reset();
  server_.reset();
  service_.reset();
  scorer_.reset();
  models_.reset();  // stops the poller
  router_.reset();
  if (was_serving) LogLine(kLogName, "stopped");
}

}  // namespace cohort::scoring
