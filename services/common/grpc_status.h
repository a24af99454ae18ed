// The one place where absl::Status becomes grpc::Status and back (codes map one-to-one).
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace cohort {

// Same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace cohort
