#include "services/common/grpc_server.h"

#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace cohort {
namespace {

// Threads of the synchronous API (the scorer's Score, health checks, reflection) that may
// wait idle for the next call. gRPC's default of 2 made a scorer under 8 concurrent calls
// start and end a thread for most calls: 2,668 threads in 4 s of batch-1 Score, most of
// the scorer's CPU in thread creation and teardown (bench/). Idle threads cost a stack.
constexpr int kSyncMaxIdleThreads = 64;

}  // namespace

absl::StatusOr<StartedGrpcServer> StartGrpcServer(grpc::Service* service,
                                                  GrpcServerOptions options) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  StartedGrpcServer out;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &out.port);
  builder.RegisterService(service);
  if (options.max_receive_message_bytes > 0) {
    builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  }
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              kSyncMaxIdleThreads);
  if (options.interceptor != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(std::move(options.interceptor));
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }
  out.server = builder.BuildAndStart();
  if (out.server == nullptr || out.port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen,
                                               ": the address is invalid or already in use"));
  }
  grpc::HealthCheckServiceInterface* health = out.server->GetHealthCheckService();
  health->SetServingStatus(options.health_service_name, true);
  health->SetServingStatus(true);
  return out;
}

void DrainGrpcServer(grpc::Server& server, absl::string_view health_service_name,
                     absl::Duration drain_timeout) {
  grpc::HealthCheckServiceInterface* health = server.GetHealthCheckService();
  health->SetServingStatus(std::string(health_service_name), false);
  health->SetServingStatus(false);
  server.Shutdown(absl::ToChronoTime(absl::Now() + drain_timeout));
  server.Wait();
}

}  // namespace cohort
