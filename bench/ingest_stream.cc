// GrpcIngestStream (bench/workloads.h): streaming ingest, one IngestStream per worker and node.
#include <grpcpp/client_context.h>

#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/workloads.h"
#include "common/hash.h"
#include "services/common/grpc_status.h"

namespace cohort::bench {
namespace {

// One worker's streams, one per node of the map; closed (WritesDone + Finish) on destruction.
class Streams {
 public:
  Streams(ShardRouter* router, RequestShape shape, std::string prefix, int index)
      : router_(router),
        shape_(std::move(shape)),
        prefix_(std::move(prefix)),
        rng_(shape_.seed * 1000003 + static_cast<uint64_t>(index) + 77),
        map_(router->map()) {
    streams_.resize(map_->nodes().size());
  }

  ~Streams() {
    for (Stream& s : streams_) {
      if (s.stream == nullptr) continue;
      s.stream->WritesDone();
      v1::IngestResponse ignored;
      while (s.stream->Read(&ignored)) {
      }
      s.stream->Finish().ok();
    }
  }

  absl::Status Send() {
    const size_t node = next_node_++ % streams_.size();
    const NodeSpec& spec = map_->nodes()[node];
    Stream& s = streams_[node];
    if (s.stream == nullptr) {
      s.context = std::make_unique<grpc::ClientContext>();
      s.stub = router_->HandleFor(spec).stub;
      s.stream = s.stub->IngestStream(s.context.get());
    }
    v1::IngestRequest request;
    request.set_sequence(++sequence_);
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    // Customers of this node: draw until owned (bounded, in case the node owns little).
    for (int i = 0, draws = 0; i < shape_.batch; ++draws) {
      if (draws > 1000 * shape_.batch) {
        return absl::FailedPreconditionError(
            absl::StrCat("node ", spec.id, " owns too few of the benchmark's customers"));
      }
      const std::string customer = CustomerId(shape_.id_prefix, shape_.keys->Next(rng_));
      if (map_->OwnerOf(PartitionOf(customer, map_->partitions())) != node) continue;
      for (int k = 0; k < shape_.events_per_customer && i < shape_.batch; ++k, ++i) {
        FillEvent(rng_, absl::StrCat(prefix_, event_seq_++), customer, now, *request.add_events());
      }
    }
    v1::IngestResponse response;
    if (!s.stream->Write(request) || !s.stream->Read(&response)) {
      const grpc::Status status = s.stream->Finish();
      s.stream.reset();
      return NodeError(
          spec, status.ok() ? absl::UnavailableError("stream closed") : FromGrpcStatus(status));
    }
    if (response.sequence() != request.sequence()) {
      return absl::InternalError(absl::StrCat("ack for sequence ", response.sequence(),
                                              ", expected ", request.sequence()));
    }
    return FirstRejection(response);
  }

 private:
  struct Stream {
    std::shared_ptr<v1::FeatureStore::Stub> stub;
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReaderWriter<v1::IngestRequest, v1::IngestResponse>> stream;
  };

  ShardRouter* router_;
  RequestShape shape_;
  std::string prefix_;
  Rng rng_;
  std::shared_ptr<const ShardMap> map_;
  std::vector<Stream> streams_;
  size_t next_node_ = 0;
  uint64_t sequence_ = 0;
  uint64_t event_seq_ = 0;
};

}  // namespace

OpFactory GrpcIngestStream(ShardRouter* router, RequestShape shape, std::string run_tag) {
  return [router, shape, run_tag](int index) -> absl::StatusOr<Op> {
    auto streams = std::make_shared<Streams>(
        router, shape, absl::StrCat("bench-", run_tag, "-s", index, "-"), index);
    return Op([streams] { return streams->Send(); });
  };
}

}  // namespace cohort::bench
