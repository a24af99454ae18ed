#include "services/common/metrics/grpc_server_metrics.h"

#include <google/protobuf/descriptor.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace cohort::metrics {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr std::array<absl::string_view, kNumStatusCodes> kCodeNames = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

// docs/metrics.md: 50 µs … 10 s.
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

int CodeIndex(grpc::StatusCode code) {
  const int i = static_cast<int>(code);
  return i >= 0 && i < kNumStatusCodes ? i : static_cast<int>(grpc::StatusCode::UNKNOWN);
}

// Records one call: started when created, handled once, when the server sends the status
// (or, if it never does, as CANCELLED when the call is destroyed).
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(GrpcMethodMetrics series)
      : series_(series), start_(std::chrono::steady_clock::now()) {
    series_.started->Increment();
  }

  ~MetricsInterceptor() override {
    if (!handled_) Handled(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (!handled_ && methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Handled(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Handled(grpc::StatusCode code) {
    handled_ = true;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    series_.handled[CodeIndex(code)]->Increment();
    series_.handling_seconds->Observe(elapsed.count());
  }

  const GrpcMethodMetrics series_;
  const std::chrono::steady_clock::time_point start_;
  bool handled_ = false;  // hooks of one call run one at a time
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(std::shared_ptr<const GrpcServerMetrics> metrics)
      : metrics_(std::move(metrics)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // gRPC takes ownership of the interceptor and deletes it when the call ends.
    return new MetricsInterceptor(metrics_->ForMethod(info->method()));
  }

 private:
  const std::shared_ptr<const GrpcServerMetrics> metrics_;
};

}  // namespace

GrpcServiceMethods MethodsOf(const google::protobuf::ServiceDescriptor& service) {
  GrpcServiceMethods out;
  out.service = service.full_name();
  for (int i = 0; i < service.method_count(); ++i) out.methods.push_back(service.method(i)->name());
  return out;
}

absl::StatusOr<GrpcServiceMethods> MethodsOf(absl::string_view full_name) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(std::string(full_name));
  if (service == nullptr) {
    return absl::NotFoundError(absl::StrCat("service ", full_name,
                                            " is not in the generated descriptor pool (is its "
                                            "generated code linked into this binary?)"));
  }
  return MethodsOf(*service);
}

GrpcServiceMethods HealthServiceMethods() { return {"grpc.health.v1.Health", {"Check", "Watch"}}; }

absl::string_view StatusCodeName(grpc::StatusCode code) { return kCodeNames[CodeIndex(code)]; }

GrpcServerMetrics::GrpcServerMetrics(std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)) {
  started_ = &prometheus::BuildCounter()
                  .Name("cohort_grpc_server_started_total")
                  .Help("RPCs started on the server.")
                  .Register(*registry_);
  handled_ = &prometheus::BuildCounter()
                  .Name("cohort_grpc_server_handled_total")
                  .Help("RPCs completed on the server, by status code name.")
                  .Register(*registry_);
  handling_seconds_ = &prometheus::BuildHistogram()
                           .Name("cohort_grpc_server_handling_seconds")
                           .Help("Time from the start of an RPC to the status the server sent.")
                           .Register(*registry_);
}

std::shared_ptr<GrpcServerMetrics> GrpcServerMetrics::Create(
    std::shared_ptr<prometheus::Registry> registry,
    const std::vector<GrpcServiceMethods>& services) {
  std::shared_ptr<GrpcServerMetrics> metrics(new GrpcServerMetrics(std::move(registry)));
  for (const GrpcServiceMethods& service : services) {
    for (const std::string& method : service.methods) {
      metrics->methods_.emplace(absl::StrCat("/", service.service, "/", method),
                                metrics->MakeSeries(service.service, method));
    }
  }
  return metrics;
}

GrpcMethodMetrics GrpcServerMetrics::MakeSeries(const std::string& service,
                                                const std::string& method) const {
  GrpcMethodMetrics series;
  const prometheus::Labels labels = {{"grpc_service", service}, {"grpc_method", method}};
  series.started = &started_->Add(labels);
  series.handling_seconds = &handling_seconds_->Add(labels, LatencyBuckets());
  for (int code = 0; code < kNumStatusCodes; ++code) {
    prometheus::Labels with_code = labels;
    with_code.emplace("grpc_code", std::string(kCodeNames[code]));
    series.handled[code] = &handled_->Add(with_code);
  }
  return series;
}

GrpcMethodMetrics GrpcServerMetrics::ForMethod(const char* method) const {
  if (method != nullptr) {
    auto it = methods_.find(absl::string_view(method));
    if (it != methods_.end()) return it->second;
  }
  return MakeSeries("unknown", "unknown");
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
GrpcServerMetrics::InterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(shared_from_this());
}

}  // namespace cohort::metrics
