// ShardRouter::Export: one node stream per owned sub-range, in partition order.
#include <grpcpp/client_context.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "services/common/grpc_status.h"
#include "services/common/shard_router.h"

namespace cohort {

absl::StatusOr<std::vector<std::string>> ShardRouter::Export(
    uint32_t begin, uint32_t end, const std::vector<std::string>& features,
    std::optional<absl::Time> as_of, const ExportSink& sink) {
  std::shared_ptr<const ShardMap> snapshot = map();
  std::vector<std::string> names;
  bool have_names = false;
  std::string names_from;
  bool reloaded = false;
  uint32_t next = begin;
  if (!(begin < end && end <= snapshot->partitions())) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition range [", begin, ", ", end,
                     ") is invalid; need begin < end <= ", snapshot->partitions()));
  }
  while (next < end) {
    const size_t owner = snapshot->OwnerOf(next);
    uint32_t run_end = next + 1;
    while (run_end < end && snapshot->OwnerOf(run_end) == owner) ++run_end;
    const NodeSpec& node = snapshot->nodes()[owner];

    v1::ExportRequest request;
    request.set_partition_begin(next);
    request.set_partition_end(run_end);
    for (const std::string& f : features) request.add_features(f);
    if (as_of.has_value()) {
      request.mutable_as_of()->set_seconds(absl::ToUnixSeconds(*as_of));
    }
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.export_deadline));
    std::unique_ptr<grpc::ClientReader<v1::ExportResponse>> reader =
        StubFor(node)->Export(&context, request);
    v1::ExportResponse message;
    bool any = false;
    absl::Status stopped;
    while (stopped.ok() && reader->Read(&message)) {
      any = true;
      if (message.feature_names_size() > 0) {
        std::vector<std::string> these(message.feature_names().begin(),
                                       message.feature_names().end());
        if (!have_names) {
          names = std::move(these);
          have_names = true;
          names_from = node.id;
        } else if (these != names) {
          stopped =
              NodeError(node, absl::FailedPreconditionError(absl::StrCat(
                                  "exports features [", absl::StrJoin(these, ","), "] but node ",
                                  names_from, " exports [", absl::StrJoin(names, ","),
                                  "]; the nodes run different feature registries")));
        }
      }
      for (const v1::FeatureVector& row : message.rows()) {
        if (!stopped.ok()) break;
        stopped = sink(names, row);
      }
      if (!stopped.ok()) context.TryCancel();
    }
    grpc::Status status = reader->Finish();
    if (!stopped.ok()) return stopped;
    if (!status.ok()) {
      if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION && !any && !reloaded) {
        reloaded = true;
        absl::Status reload = Reload();
        if (!reload.ok()) {
          return NodeError(node, absl::FailedPreconditionError(absl::StrCat(
                                     status.error_message(),
                                     "; reloading the shard map failed: ", reload.message())));
        }
        snapshot = map();
        if (end > snapshot->partitions()) {
          return absl::FailedPreconditionError(absl::StrCat("the reloaded shard map has only ",
                                                            snapshot->partitions(), " partitions"));
        }
        continue;  // re-plan from `next` with the new map
      }
      return NodeError(node, FromGrpcStatus(status));
    }
    next = run_end;
  }
  return names;
}

}  // namespace cohort
