// Shared by the featurestore_*_test files: a StoreNode (real ProfileStore in a temp dir,
// real gRPC server on 127.0.0.1:0) that owns only some partitions of a 64-partition shard
// map, a client stub, and helpers to build requests.
#pragma once

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cohort/v1/feature_store.grpc.pb.h"
#include "common/hash.h"
#include "gtest/gtest.h"
#include "services/featurestore/convert.h"
#include "services/featurestore/server.h"
#include "test_util.h"

namespace cohort::featurestore::test {

inline constexpr uint32_t kPartitions = 64;

// store-0 (the node under test) owns [0, 16) and [32, 48); store-1 owns the rest.
inline bool OwnedByNode(uint32_t partition) {
  return partition < 16 || (partition >= 32 && partition < 48);
}
inline std::string MapJson(uint64_t epoch) {
  return absl::StrCat(R"({"epoch": )", epoch, R"(, "partitions": 64, "nodes": [
    {"id": "store-0", "address": "127.0.0.1:7100",
     "ranges": [{"begin": 0, "end": 16}, {"begin": 32, "end": 48}]},
    {"id": "store-1", "address": "127.0.0.1:7101",
     "ranges": [{"begin": 16, "end": 32}, {"begin": 48, "end": 64}]}]})");
}

// The n-th customer id (in a fixed sequence) whose partition the node does (not) own.
inline std::string Customer(bool owned, int n = 0) {
  for (int i = 0;; ++i) {
    std::string id = absl::StrCat("cust-", i);
    if (OwnedByNode(PartitionOf(id, kPartitions)) == owned && n-- == 0) return id;
  }
}

inline google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ToProto(t, &ts);
  return ts;
}

inline v1::Event MakeEvent(const std::string& event_id, const std::string& customer_id,
                           absl::Time time, const std::string& type, double amount = 0,
                           const std::string& channel = "web", const std::string& item = "") {
  v1::Event e;
  e.set_event_id(event_id);
  e.set_customer_id(customer_id);
  *e.mutable_time() = Ts(time);
  e.set_type(type);
  e.set_channel(channel);
  e.set_item_id(item);
  if (!item.empty()) e.set_category("shoes");
  if (amount != 0) {
    e.set_amount(amount);
    e.set_quantity(1);
  }
  return e;
}

inline double Number(const v1::FeatureValue& v) {
  return v.kind_case() == v1::FeatureValue::kIntValue ? static_cast<double>(v.int_value())
                                                      : v.double_value();
}

class StoreNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteMap(MapJson(3));
    NodeOptions& options = options_;
    options.data_dir = (dir_ / "data").string();
    options.listen = "127.0.0.1:0";
    options.port_file = (dir_ / "port").string();
    options.node_id = "store-0";
    options.shard_map_path = (dir_ / "shard_map.json").string();
    options.registry_path = COHORT_SOURCE_DIR "/storage/features.registry";
    options.shard_map_poll_interval = absl::Milliseconds(20);
    options.drain_timeout = absl::Seconds(5);
    StartNode();
    now_ = absl::Now();
  }

  // (Re)starts the node with options_ and connects a fresh client to it.
  void StartNode() {
    stub_.reset();
    channel_.reset();
    node_.reset();
    absl::StatusOr<std::unique_ptr<StoreNode>> node = StoreNode::Start(options_);
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = *std::move(node);
    channel_ = grpc::CreateChannel(node_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::FeatureStore::NewStub(channel_);
  }

  void TearDown() override {
    stub_.reset();
    channel_.reset();
    node_.reset();
  }

  void WriteMap(const std::string& json) {
    const std::filesystem::path tmp = dir_ / "shard_map.json.tmp";
    std::ofstream(tmp, std::ios::trunc) << json;
    std::filesystem::rename(tmp, dir_ / "shard_map.json");
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    return context;
  }

  grpc::Status Ingest(const std::vector<v1::Event>& events, v1::IngestResponse* response) {
    v1::IngestRequest request;
    for (const v1::Event& e : events) *request.add_events() = e;
    return stub_->Ingest(Context().get(), request, response);
  }

  grpc::Status GetFeatures(const std::vector<std::string>& ids,
                           const std::vector<std::string>& features,
                           v1::GetFeaturesResponse* response) {
    v1::GetFeaturesRequest request;
    for (const std::string& id : ids) request.add_customer_ids(id);
    for (const std::string& f : features) request.add_features(f);
    return stub_->GetFeatures(Context().get(), request, response);
  }

  // True if the node knows `customer_id` (GetFeatures says found).
  bool Known(const std::string& customer_id) {
    v1::GetFeaturesResponse response;
    grpc::Status status = GetFeatures({customer_id}, {}, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return status.ok() && response.vectors(0).found();
  }

  // The grpc.health.v1 status of `service` (1 SERVING, 2 NOT_SERVING), through a generic
  // stub: HealthCheckRequest{service} and HealthCheckResponse{status} by hand.
  int HealthStatus(const std::string& service) {
    grpc::GenericStub generic(channel_);
    std::string request =
        absl::StrCat("\x0a", std::string(1, static_cast<char>(service.size())), service);
    grpc::Slice slice(request);
    grpc::ByteBuffer request_buffer(&slice, 1), response_buffer;
    std::promise<grpc::Status> done;
    std::unique_ptr<grpc::ClientContext> context = Context();
    generic.UnaryCall(context.get(), "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                      &request_buffer, &response_buffer,
                      [&done](grpc::Status s) { done.set_value(s); });
    grpc::Status status = done.get_future().get();
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<grpc::Slice> slices;
    if (!status.ok() || !response_buffer.Dump(&slices).ok()) return -1;
    std::string bytes;
    for (const grpc::Slice& s : slices)
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    if (bytes.empty()) return 0;  // UNKNOWN (the default value is not serialized)
    return bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : -1;
  }

  ::cohort::testing::TempDir dir_{"featurestore_service_test"};
  NodeOptions options_;
  std::unique_ptr<StoreNode> node_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::FeatureStore::Stub> stub_;
  absl::Time now_;
};

}  // namespace cohort::featurestore::test
