#include "services/common/shard_router.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <algorithm>
#include <memory>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/blocking_counter.h"
#include "common/hash.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "services/common/grpc_status.h"

namespace cohort {
namespace {

// Per-request limits of a store node (feature_store.proto).
constexpr size_t kMaxIdsPerCall = 1000;
constexpr size_t kMaxEventsPerCall = 10000;
constexpr size_t kMaxCustomersPerCall = 1000;

using Stub = v1::FeatureStore::Stub;
using StubGetter = std::function<std::shared_ptr<Stub>(const NodeSpec&)>;

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp out;
  const int64_t seconds = absl::ToUnixSeconds(t);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return out;
}

// One node's share of a fanned-out call.
template <class Request, class Response>
struct SubCall {
  // The request and response are on `arena` (freed with it), or on the heap without one.
  explicit SubCall(google::protobuf::Arena* arena = nullptr)
      : request(*google::protobuf::Arena::CreateMessage<Request>(arena)),
        response(*google::protobuf::Arena::CreateMessage<Response>(arena)),
        on_heap_(arena == nullptr) {}
  ~SubCall() {
    if (on_heap_) {
      delete &request;
      delete &response;
    }
  }
  SubCall(const SubCall&) = delete;
  SubCall& operator=(const SubCall&) = delete;

  NodeSpec node;
  std::shared_ptr<Stub> stub;
  std::vector<size_t> positions;  // request items this sub-request carries, ascending
  Request& request;
  Response& response;
  grpc::ClientContext context;
  grpc::Status status;
  absl::Duration latency;  // from start to completion

 private:
  const bool on_heap_;
};

// How to split one router call into node sub-requests and merge the answers.
template <class Request, class Response>
struct FanOutSpec {
  size_t count = 0;                                 // request items
  std::function<absl::string_view(size_t)> key_of;  // customer id of item i
  size_t max_per_call = 0;
  // Optional: the arena sub-requests and their answers are built on (it must outlive them).
  google::protobuf::Arena* arena = nullptr;
  std::function<void(Request*)> init;         // common fields of a sub-request
  std::function<void(size_t, Request*)> add;  // appends item i
  // Starts the sub-call on `cq` (a Stub::AsyncX method).
  std::function<std::unique_ptr<grpc::ClientAsyncResponseReader<Response>>(
      Stub*, grpc::ClientContext*, const Request&, grpc::CompletionQueue*)>
      start;
  // Takes a successful sub-call's answer; an error fails the router call.
  // May take the answer's contents (swap instead of copy).
  std::function<absl::Status(SubCall<Request, Response>&)> merge;
  // Optional (partial-results calls): takes a failed sub-call's error (naming the node)
  // instead of failing the router call. Not called for a stale map that is retried.
  std::function<void(const SubCall<Request, Response>&, const absl::Status&)> on_node_error;
  // Optional: sees every finished sub-call with its outcome (OK or the node error).
  std::function<void(const SubCall<Request, Response>&, const absl::Status&)> on_done;
};

// A completion queue per calling thread, reused by all its router calls (making one per
// call was a measurable part of a small call's CPU). Every call drains all of its own
// completions, so nothing is left in the queue between calls. Shut down and drained when
// the thread exits.
class CallerQueue {
 public:
  static grpc::CompletionQueue& Get() {
    thread_local CallerQueue queue;
    return queue.cq_;
  }
  ~CallerQueue() {
    cq_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
    }
  }

 private:
  grpc::CompletionQueue cq_;
};

// Starts every call and waits for all of them. The completions are drained on the calling
// thread from its own completion queue, so a call costs no hand-off to another thread
// (bench/: the callback API's wake-up of the waiting caller cost more CPU than the RPC).
template <class Request, class Response>
void RunInParallel(const std::vector<std::unique_ptr<SubCall<Request, Response>>>& calls,
                   absl::Duration deadline, const FanOutSpec<Request, Response>& spec) {
  if (calls.empty()) return;
  grpc::CompletionQueue& cq = CallerQueue::Get();
  std::vector<absl::Time> started(calls.size());
  std::vector<std::unique_ptr<grpc::ClientAsyncResponseReader<Response>>> readers(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    SubCall<Request, Response>& call = *calls[i];
    started[i] = absl::Now();
    call.context.set_deadline(absl::ToChronoTime(started[i] + deadline));
    readers[i] = spec.start(call.stub.get(), &call.context, call.request, &cq);
    readers[i]->Finish(&call.response, &call.status, reinterpret_cast<void*>(i));
  }
  for (size_t done = 0; done < calls.size(); ++done) {
    void* tag = nullptr;
    bool ok = false;
    if (!cq.Next(&tag, &ok)) break;  // not reached: the queue lives as long as the thread
    const size_t i = reinterpret_cast<size_t>(tag);
    calls[i]->latency = absl::Now() - started[i];
  }
}

// Routes spec.count items by owner, runs the sub-requests in parallel, merges; on
// FAILED_PRECONDITION reloads the map and retries the affected items once.
template <class Request, class Response>
absl::Status RouteAndRun(ShardRouter& router, const StubGetter& stub_for, absl::Duration deadline,
                         const FanOutSpec<Request, Response>& spec) {
  std::vector<size_t> todo(spec.count);
  std::iota(todo.begin(), todo.end(), size_t{0});
  for (int attempt = 0;; ++attempt) {
    std::shared_ptr<const ShardMap> map = router.map();
    std::vector<std::vector<size_t>> by_node(map->nodes().size());
    for (size_t pos : todo) {
      by_node[map->OwnerOf(PartitionOf(spec.key_of(pos), map->partitions()))].push_back(pos);
    }
    std::vector<std::unique_ptr<SubCall<Request, Response>>> calls;
    for (size_t n = 0; n < by_node.size(); ++n) {
      const std::vector<size_t>& positions = by_node[n];
      for (size_t first = 0; first < positions.size(); first += spec.max_per_call) {
        auto call = std::make_unique<SubCall<Request, Response>>(spec.arena);
        call->node = map->nodes()[n];
        call->stub = stub_for(call->node);
        size_t last = std::min(positions.size(), first + spec.max_per_call);
        call->positions.assign(positions.begin() + first, positions.begin() + last);
        spec.init(&call->request);
        for (size_t pos : call->positions) spec.add(pos, &call->request);
        calls.push_back(std::move(call));
      }
    }
    RunInParallel(calls, deadline, spec);

    std::vector<size_t> retry;
    absl::Status stale;
    absl::Status first_error;
    for (const auto& call : calls) {
      if (call->status.ok()) {
        absl::Status merged = spec.merge(*call);
        if (spec.on_done) spec.on_done(*call, NodeError(call->node, merged));
        if (!merged.ok() && first_error.ok()) first_error = NodeError(call->node, merged);
        continue;
      }
      absl::Status error = NodeError(call->node, FromGrpcStatus(call->status));
      if (spec.on_done) spec.on_done(*call, error);
      if (call->status.error_code() == grpc::StatusCode::FAILED_PRECONDITION && attempt == 0) {
        retry.insert(retry.end(), call->positions.begin(), call->positions.end());
        if (stale.ok()) stale = error;
      } else if (spec.on_node_error) {
        spec.on_node_error(*call, error);
      } else if (first_error.ok()) {
        first_error = error;
      }
    }
    if (!first_error.ok()) return first_error;
    if (retry.empty()) return absl::OkStatus();
    absl::Status reloaded = router.Reload();
    if (!reloaded.ok()) {
      return absl::Status(
          stale.code(),
          absl::StrCat(stale.message(), "; reloading the shard map failed: ", reloaded.message()));
    }
    std::sort(retry.begin(), retry.end());
    todo = std::move(retry);
  }
}

absl::Status CheckIds(absl::Span<const std::string> ids, absl::string_view field) {
  for (size_t i = 0; i < ids.size(); ++i) {
    COHORT_RETURN_IF_ERROR(ValidateId(ids[i], absl::StrCat(field, "[", i, "]")));
  }
  return absl::OkStatus();
}

// A single-customer call: route one id.
template <class Request, class Response>
absl::StatusOr<Response> RouteOne(ShardRouter& router, const StubGetter& stub_for,
                                  absl::Duration deadline, absl::string_view customer_id,
                                  std::function<void(Request*)> init,
                                  decltype(FanOutSpec<Request, Response>::start) start) {
  COHORT_RETURN_IF_ERROR(ValidateId(customer_id, "customer_id"));
  Response out;
  FanOutSpec<Request, Response> spec;
  spec.count = 1;
  spec.key_of = [customer_id](size_t) { return customer_id; };
  spec.max_per_call = 1;
  spec.init = std::move(init);
  spec.add = [](size_t, Request*) {};
  spec.start = std::move(start);
  spec.merge = [&out](const SubCall<Request, Response>& call) {
    out = call.response;
    return absl::OkStatus();
  };
  COHORT_RETURN_IF_ERROR(RouteAndRun(router, stub_for, deadline, spec));
  return out;
}

}  // namespace

absl::Status NodeError(const NodeSpec& node, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat("node ", node.id, " (", node.address, "): ", status.message()));
}

absl::StatusOr<std::unique_ptr<ShardRouter>> ShardRouter::Create(std::string shard_map_path,
                                                                 ShardRouterOptions options) {
  COHORT_ASSIGN_OR_RETURN(ShardMap map, ShardMap::LoadFile(shard_map_path));
  return std::unique_ptr<ShardRouter>(
      new ShardRouter(std::move(shard_map_path), std::move(options), std::move(map)));
}

ShardRouter::ShardRouter(std::string path, ShardRouterOptions options, ShardMap map)
    : path_(std::move(path)),
      options_(std::move(options)),
      map_(std::make_shared<const ShardMap>(std::move(map))) {}

std::shared_ptr<const ShardMap> ShardRouter::map() const {
  absl::MutexLock lock(&mu_);
  return map_;
}

absl::Status ShardRouter::Reload() {
  COHORT_ASSIGN_OR_RETURN(ShardMap loaded, ShardMap::LoadFile(path_));
  auto map = std::make_shared<const ShardMap>(std::move(loaded));
  absl::MutexLock lock(&mu_);
  // Keep the channels of addresses still in use; drop the rest.
  absl::flat_hash_map<std::string, std::shared_ptr<Stub>> kept;
  for (const NodeSpec& node : map->nodes()) {
    auto it = stubs_.find(node.address);
    if (it != stubs_.end()) kept.emplace(node.address, it->second);
  }
  stubs_ = std::move(kept);
  map_ = std::move(map);
  return absl::OkStatus();
}

std::shared_ptr<Stub> ShardRouter::StubFor(const NodeSpec& node) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<Stub>& stub = stubs_[node.address];
  if (stub == nullptr) {
    grpc::ChannelArguments args = options_.channel_args;
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
                static_cast<int>(absl::ToInt64Milliseconds(options_.max_reconnect_backoff)));
    std::shared_ptr<grpc::ChannelCredentials> credentials =
        options_.credentials != nullptr ? options_.credentials : grpc::InsecureChannelCredentials();
    stub = std::make_shared<Stub>(grpc::CreateCustomChannel(node.address, credentials, args));
  }
  return stub;
}

absl::StatusOr<ShardRouter::NodeHandle> ShardRouter::Node(absl::string_view node_id) {
  std::shared_ptr<const ShardMap> snapshot = map();
  const NodeSpec* node = snapshot->FindNode(node_id);
  if (node == nullptr) {
    return absl::NotFoundError(absl::StrCat("node ", node_id, " is not in shard map ", path_,
                                            " (epoch ", snapshot->epoch(), ")"));
  }
  return NodeHandle{*node, StubFor(*node)};
}

ShardRouter::NodeHandle ShardRouter::NodeFor(absl::string_view customer_id) {
  std::shared_ptr<const ShardMap> snapshot = map();
  const NodeSpec& node =
      snapshot->nodes()[snapshot->OwnerOf(PartitionOf(customer_id, snapshot->partitions()))];
  return NodeHandle{node, StubFor(node)};
}

ShardRouter::NodeHandle ShardRouter::HandleFor(const NodeSpec& node) {
  return NodeHandle{node, StubFor(node)};
}

absl::StatusOr<ShardRouter::FeaturesResponse> ShardRouter::GetFeatures(
    const std::vector<std::string>& customer_ids, const std::vector<std::string>& features,
    const FeatureReadOptions& read) {
  COHORT_ASSIGN_OR_RETURN(PartialFeatures partial,
                          GetFeaturesPartial(customer_ids, features, read));
  for (const absl::Status& status : partial.statuses) {
    if (!status.ok()) return status;
  }
  return std::move(partial.response);
}

absl::StatusOr<ShardRouter::PartialFeatures> ShardRouter::GetFeaturesPartial(
    const std::vector<std::string>& customer_ids, const std::vector<std::string>& features,
    const FeatureReadOptions& read, std::optional<absl::Duration> deadline) {
  if (customer_ids.empty()) return absl::InvalidArgumentError("customer_ids is empty");
  COHORT_RETURN_IF_ERROR(CheckIds(customer_ids, "customer_ids"));
  PartialFeatures out;
  out.statuses.assign(customer_ids.size(), absl::OkStatus());
  google::protobuf::Arena* arena = out.response.arena();
  // Each id's vector, moved out of its node's answer (no copy, no allocation): the node
  // answers are parsed on the arena of `out.response`, which owns the vectors.
  std::vector<v1::FeatureVector*> vectors(customer_ids.size(), nullptr);
  bool have_names = false;
  std::string names_from;

  using Call = SubCall<v1::GetFeaturesRequest, v1::GetFeaturesResponse>;
  FanOutSpec<v1::GetFeaturesRequest, v1::GetFeaturesResponse> spec;
  spec.count = customer_ids.size();
  spec.key_of = [&](size_t i) { return absl::string_view(customer_ids[i]); };
  spec.max_per_call = kMaxIdsPerCall;
  spec.arena = arena;
  spec.init = [&](v1::GetFeaturesRequest* request) {
    for (const std::string& f : features) request->add_features(f);
    if (read.as_of.has_value()) *request->mutable_as_of() = ToProto(*read.as_of);
    if (read.history_limit.has_value()) {
      request->set_with_history(true);
      request->set_history_limit(*read.history_limit);
    }
    request->set_layout(read.layout);
  };
  spec.add = [&](size_t i, v1::GetFeaturesRequest* request) {
    request->add_customer_ids(customer_ids[i]);
  };
  spec.start = &Stub::AsyncGetFeatures;
  spec.merge = [&](Call& call) -> absl::Status {
    v1::GetFeaturesResponse& response = call.response;
    if (static_cast<size_t>(response.vectors_size()) != call.positions.size()) {
      return absl::InternalError(absl::StrCat("answered ", response.vectors_size(), " vectors for ",
                                              call.positions.size(), " ids"));
    }
    if (!have_names) {
      out.response->mutable_feature_names()->Swap(response.mutable_feature_names());
      out.response->mutable_feature_types()->Swap(response.mutable_feature_types());
      have_names = true;
      names_from = call.node.id;
    } else if (!std::equal(out.response->feature_names().begin(),
                           out.response->feature_names().end(), response.feature_names().begin(),
                           response.feature_names().end()) ||
               !std::equal(out.response->feature_types().begin(),
                           out.response->feature_types().end(), response.feature_types().begin(),
                           response.feature_types().end())) {
      const auto columns = [](const v1::GetFeaturesResponse& r) {
        std::string text = absl::StrJoin(r.feature_names(), ",");
        if (r.feature_types_size() > 0) {
          absl::StrAppend(&text, "] typed [", absl::StrJoin(r.feature_types(), ","));
        }
        return text;
      };
      return absl::FailedPreconditionError(absl::StrCat(
          "serves features [", columns(response), "] but node ", names_from, " serves [",
          columns(*out.response), "]; the nodes run different feature registries"));
    }
    std::vector<v1::FeatureVector*> answered(call.positions.size());
    response.mutable_vectors()->UnsafeArenaExtractSubrange(0, static_cast<int>(answered.size()),
                                                           answered.data());  // on `arena`
    for (size_t k = 0; k < call.positions.size(); ++k) {
      vectors[call.positions[k]] = answered[k];
      out.statuses[call.positions[k]] = absl::OkStatus();
    }
    return absl::OkStatus();
  };
  spec.on_node_error = [&](const Call& call, const absl::Status& error) {
    for (size_t pos : call.positions) {
      out.statuses[pos] = error;
      vectors[pos] = google::protobuf::Arena::CreateMessage<v1::FeatureVector>(arena);
      vectors[pos]->set_customer_id(customer_ids[pos]);
    }
  };
  spec.on_done = [&](const Call& call, const absl::Status& status) {
    out.calls.push_back({call.node, status, call.latency, call.positions.size()});
  };
  COHORT_RETURN_IF_ERROR(RouteAndRun(
      *this, [this](const NodeSpec& n) { return StubFor(n); }, deadline.value_or(options_.deadline),
      spec));
  out.response->mutable_vectors()->Reserve(static_cast<int>(vectors.size()));
  for (size_t i = 0; i < vectors.size(); ++i) {
    if (vectors[i] == nullptr) {  // not reached: every id is answered or gets its node's error
      vectors[i] = google::protobuf::Arena::CreateMessage<v1::FeatureVector>(arena);
      vectors[i]->set_customer_id(customer_ids[i]);
    }
    out.response->mutable_vectors()->UnsafeArenaAddAllocated(vectors[i]);
  }
  return out;
}

absl::StatusOr<v1::IngestResponse> ShardRouter::Ingest(absl::Span<const v1::Event> events,
                                                       v1::Durability durability) {
  v1::IngestResponse out;
  std::vector<v1::EventResult> results(events.size());
  using Call = SubCall<v1::IngestRequest, v1::IngestResponse>;
  FanOutSpec<v1::IngestRequest, v1::IngestResponse> spec;
  spec.count = events.size();
  spec.key_of = [&](size_t i) { return absl::string_view(events[i].customer_id()); };
  spec.max_per_call = kMaxEventsPerCall;
  spec.init = [durability](v1::IngestRequest* request) { request->set_durability(durability); };
  spec.add = [&](size_t i, v1::IngestRequest* request) { *request->add_events() = events[i]; };
  spec.start = &Stub::AsyncIngest;
  spec.merge = [&](const Call& call) -> absl::Status {
    if (static_cast<size_t>(call.response.results_size()) != call.positions.size()) {
      return absl::InternalError(absl::StrCat("answered ", call.response.results_size(),
                                              " results for ", call.positions.size(), " events"));
    }
    for (size_t k = 0; k < call.positions.size(); ++k) {
      results[call.positions[k]] = call.response.results(static_cast<int>(k));
    }
    out.set_applied(out.applied() + call.response.applied());
    out.set_duplicates(out.duplicates() + call.response.duplicates());
    out.set_rejected(out.rejected() + call.response.rejected());
    return absl::OkStatus();
  };
  if (events.empty()) return out;
  COHORT_RETURN_IF_ERROR(RouteAndRun(
      *this, [this](const NodeSpec& n) { return StubFor(n); }, options_.deadline, spec));
  out.mutable_results()->Reserve(static_cast<int>(results.size()));
  for (v1::EventResult& result : results) *out.add_results() = std::move(result);
  return out;
}

absl::StatusOr<v1::UpsertAttributesResponse> ShardRouter::UpsertAttributes(
    absl::Span<const v1::CustomerAttributes> customers, v1::Durability durability) {
  for (size_t i = 0; i < customers.size(); ++i) {
    COHORT_RETURN_IF_ERROR(
        ValidateId(customers[i].customer_id(), absl::StrCat("customers[", i, "].customer_id")));
  }
  v1::UpsertAttributesResponse out;
  using Request = v1::UpsertAttributesRequest;
  using Response = v1::UpsertAttributesResponse;
  FanOutSpec<Request, Response> spec;
  spec.count = customers.size();
  spec.key_of = [&](size_t i) { return absl::string_view(customers[i].customer_id()); };
  spec.max_per_call = kMaxCustomersPerCall;
  spec.init = [durability](Request* request) { request->set_durability(durability); };
  spec.add = [&](size_t i, Request* request) { *request->add_customers() = customers[i]; };
  spec.start = &Stub::AsyncUpsertAttributes;
  spec.merge = [&](const SubCall<Request, Response>& call) {
    out.set_attributes_written(out.attributes_written() + call.response.attributes_written());
    return absl::OkStatus();
  };
  if (customers.empty()) return out;
  COHORT_RETURN_IF_ERROR(RouteAndRun(
      *this, [this](const NodeSpec& n) { return StubFor(n); }, options_.deadline, spec));
  return out;
}

absl::StatusOr<v1::GetProfileResponse> ShardRouter::GetProfile(absl::string_view customer_id) {
  using Request = v1::GetProfileRequest;
  using Response = v1::GetProfileResponse;
  return RouteOne<Request, Response>(
      *this, [this](const NodeSpec& n) { return StubFor(n); }, options_.deadline, customer_id,
      [customer_id](Request* r) { r->set_customer_id(std::string(customer_id)); },
      &Stub::AsyncGetProfile);
}

absl::StatusOr<v1::GetHistoryResponse> ShardRouter::GetHistory(absl::string_view customer_id,
                                                               uint32_t limit) {
  using Request = v1::GetHistoryRequest;
  using Response = v1::GetHistoryResponse;
  return RouteOne<Request, Response>(
      *this, [this](const NodeSpec& n) { return StubFor(n); }, options_.deadline, customer_id,
      [customer_id, limit](Request* r) {
        r->set_customer_id(std::string(customer_id));
        r->set_limit(limit);
      },
      &Stub::AsyncGetHistory);
}

absl::StatusOr<v1::EraseCustomerResponse> ShardRouter::EraseCustomer(
    absl::string_view customer_id) {
  using Request = v1::EraseCustomerRequest;
  using Response = v1::EraseCustomerResponse;
  return RouteOne<Request, Response>(
      *this, [this](const NodeSpec& n) { return StubFor(n); }, options_.deadline, customer_id,
      [customer_id](Request* r) { r->set_customer_id(std::string(customer_id)); },
      &Stub::AsyncEraseCustomer);
}

std::vector<ShardRouter::NodeStatus> ShardRouter::NodeInfo() {
  std::shared_ptr<const ShardMap> snapshot = map();
  using Call = SubCall<v1::NodeInfoRequest, v1::NodeInfoResponse>;
  std::vector<std::unique_ptr<Call>> calls;
  for (const NodeSpec& node : snapshot->nodes()) {
    auto call = std::make_unique<Call>();
    call->node = node;
    call->stub = StubFor(node);
    calls.push_back(std::move(call));
  }
  FanOutSpec<v1::NodeInfoRequest, v1::NodeInfoResponse> spec;
  spec.start = &Stub::AsyncNodeInfo;
  RunInParallel(calls, options_.deadline, spec);
  std::vector<NodeStatus> out;
  for (const auto& call : calls) {
    NodeStatus status{call->node, call->response};
    if (!call->status.ok()) status.info = NodeError(call->node, FromGrpcStatus(call->status));
    out.push_back(std::move(status));
  }
  return out;
}

absl::StatusOr<v1::ListFeaturesResponse> ShardRouter::ListFeatures() {
  std::shared_ptr<const ShardMap> snapshot = map();
  absl::Status last;
  for (const NodeSpec& node : snapshot->nodes()) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
    v1::ListFeaturesResponse response;
    grpc::Status status = StubFor(node)->ListFeatures(&context, {}, &response);
    if (status.ok()) return response;
    last = NodeError(node, FromGrpcStatus(status));
  }
  return last;
}

}  // namespace cohort
