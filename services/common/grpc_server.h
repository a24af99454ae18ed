// Starting a Cohort gRPC server the same way in every binary: health checking and
// reflection on, SO_REUSEPORT off, the RPC metrics interceptor installed, synchronous-API
// threads kept for reuse instead of started per call.
#pragma once

#include <grpcpp/server.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cohort {

struct GrpcServerOptions {
  std::string listen;                 // host:port; port 0 binds a free port
  std::string health_service_name;    // reported SERVING alongside the overall status
  int max_receive_message_bytes = 0;  // 0 keeps gRPC's default (4 MiB)
  // Installed as the server's only interceptor when not null (RPC metrics).
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> interceptor;
};

struct StartedGrpcServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;  // the bound port
};

// Builds and starts a server for `service` (not owned; must outlive the server) and marks
// it SERVING. SO_REUSEPORT is disabled so a second process on the same address fails to
// start instead of silently sharing the port. Errors: UNAVAILABLE naming the address when
// it cannot be bound.
absl::StatusOr<StartedGrpcServer> StartGrpcServer(grpc::Service* service,
                                                  GrpcServerOptions options);

// The graceful stop of a server started by StartGrpcServer: reports NOT_SERVING for
// `health_service_name` and overall (so load balancers and probes stop sending), refuses
// new calls, gives the calls in flight up to `drain_timeout` (then cancels them), and
// returns once the server has stopped. Blocks the caller; call it once.
void DrainGrpcServer(grpc::Server& server, absl::string_view health_service_name,
                     absl::Duration drain_timeout);

}  // namespace cohort
