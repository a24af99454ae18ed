// RPC metrics of a gRPC server, recorded by one server interceptor (docs/metrics.md, "Every
// process"): cohort_grpc_server_started_total, cohort_grpc_server_handled_total and
// cohort_grpc_server_handling_seconds, labelled grpc_service, grpc_method (and grpc_code).
#pragma once

#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/status.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace google::protobuf {
class ServiceDescriptor;
}  // namespace google::protobuf

namespace prometheus {
class Counter;
template <typename T>
class Family;
class Histogram;
class Registry;
}  // namespace prometheus

namespace cohort::metrics {

// A service and its methods, whose series are created (at 0) up front.
struct GrpcServiceMethods {
  std::string service;               // full name, e.g. "cohort.v1.FeatureStore"
  std::vector<std::string> methods;  // e.g. "Ingest", "GetFeatures"
};

// The methods of a protobuf service.
GrpcServiceMethods MethodsOf(const google::protobuf::ServiceDescriptor& service);
// The methods of the service `full_name` in the generated descriptor pool. NOT_FOUND if
// no linked-in .proto declares it.
absl::StatusOr<GrpcServiceMethods> MethodsOf(absl::string_view full_name);
// grpc.health.v1.Health (Check, Watch): gRPC's built-in health service is not in the
// generated descriptor pool.
GrpcServiceMethods HealthServiceMethods();

// The canonical upper-case name of a gRPC status code ("OK", "INVALID_ARGUMENT", ...);
// "UNKNOWN" for a value outside 0..16.
absl::string_view StatusCodeName(grpc::StatusCode code);

inline constexpr int kNumStatusCodes = 17;  // OK (0) .. UNAUTHENTICATED (16)

// The counters and histogram of one method. Internal to GrpcServerMetrics and its
// interceptor.
struct GrpcMethodMetrics {
  prometheus::Counter* started = nullptr;
  std::array<prometheus::Counter*, kNumStatusCodes> handled{};
  prometheus::Histogram* handling_seconds = nullptr;
};

// Owns the metric families in a registry and makes the interceptor factory that feeds them.
// Every method of the given services gets its started and histogram series and one
// handled series per status code at construction, so rates and ratios always have data.
// Calls of any other method are recorded as grpc_service="unknown", grpc_method="unknown"
// (bounded cardinality whatever clients send; those calls look their series up in the
// registry, under its lock). Thread-safe. Calls of the given services take no lock of ours:
// the interceptor finds the method's precomputed series in an immutable hash map.
class GrpcServerMetrics : public std::enable_shared_from_this<GrpcServerMetrics> {
 public:
  // Registers the three families in `registry` (which must not hold them yet) and creates
  // the series of `services`.
  static std::shared_ptr<GrpcServerMetrics> Create(std::shared_ptr<prometheus::Registry> registry,
                                                   const std::vector<GrpcServiceMethods>& services);

  GrpcServerMetrics(const GrpcServerMetrics&) = delete;
  GrpcServerMetrics& operator=(const GrpcServerMetrics&) = delete;

  // A factory for ServerBuilder::experimental().SetInterceptorCreators(); it shares
  // ownership of these metrics. A call counts as started when its interceptor is created
  // and as handled with the status the server sends; a call that ends without sending one
  // counts as CANCELLED.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

  // The series of `method` ("/package.Service/Method"; null allowed) for one call.
  GrpcMethodMetrics ForMethod(const char* method) const;

 private:
  explicit GrpcServerMetrics(std::shared_ptr<prometheus::Registry> registry);
  GrpcMethodMetrics MakeSeries(const std::string& service, const std::string& method) const;

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* started_ = nullptr;
  prometheus::Family<prometheus::Counter>* handled_ = nullptr;
  prometheus::Family<prometheus::Histogram>* handling_seconds_ = nullptr;
  // Keyed by "/package.Service/Method"; immutable after Create().
  absl::flat_hash_map<std::string, GrpcMethodMetrics> methods_;
};

}  // namespace cohort::metrics
