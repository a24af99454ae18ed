// ShardRouter against three real in-process store nodes on 127.0.0.1:0.
#include "services/common/shard_router.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/featurestore/node_options.h"
#include "services/featurestore/server.h"
#include "test_util.h"

namespace cohort {
namespace {

using ::cohort::testing::TempDir;
using ::testing::HasSubstr;

constexpr uint32_t kPartitions = 64;
constexpr int kNodes = 3;

void WriteFile(const std::filesystem::path& path, const std::string& contents) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp);
    out << contents;
  }
  std::filesystem::rename(tmp, path);
}

v1::Event MakeEvent(const std::string& event_id, const std::string& customer_id,
                    const std::string& type = "purchase") {
  v1::Event event;
  event.set_event_id(event_id);
  event.set_customer_id(customer_id);
  event.mutable_time()->set_seconds(absl::ToUnixSeconds(absl::Now() - absl::Hours(48)));
  event.set_type(type);
  event.set_channel("web");
  event.set_amount(10);
  event.set_quantity(1);
  return event;
}

class ShardRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The nodes' own map: only the ids matter to them, so placeholder addresses will do.
    std::vector<std::pair<std::string, std::string>> placeholders;
    for (int i = 0; i < kNodes; ++i) {
      placeholders.emplace_back(NodeId(i), absl::StrCat("127.0.0.1:", 1 + i));
    }
    WriteFile(dir_ / "nodes.json", ShardMap::Uniform(1, kPartitions, placeholders).ToJson());
    for (int i = 0; i < kNodes; ++i) {
      featurestore::NodeOptions options;
      options.data_dir = (dir_ / NodeId(i)).string();
      options.listen = "127.0.0.1:0";
      options.node_id = NodeId(i);
      options.shard_map_path = (dir_ / "nodes.json").string();
      options.registry_path = COHORT_SOURCE_DIR "/storage/features.registry";
      options.block_cache_mb = 8;
      options.worker_threads = 4;
      options.export_threads = 2;
      options.shard_map_poll_interval = absl::ZeroDuration();
      options.drain_timeout = absl::Seconds(1);
      absl::StatusOr<std::unique_ptr<featurestore::StoreNode>> node =
          featurestore::StoreNode::Start(options);
      ASSERT_TRUE(node.ok()) << node.status();
      addresses_.emplace_back(NodeId(i), (*node)->address());
      nodes_.push_back(std::move(*node));
    }
    router_path_ = (dir_ / "router.json").string();
    WriteFile(router_path_, CorrectMap().ToJson());
  }

  void TearDown() override {
    for (auto& node : nodes_) node->Shutdown();
    nodes_.clear();
  }

  static std::string NodeId(int i) { return absl::StrCat("store-", i); }
  ShardMap CorrectMap() const { return ShardMap::Uniform(1, kPartitions, addresses_); }
  // Every node's partitions sent to the next node's address.
  ShardMap RotatedMap() const {
    std::vector<std::pair<std::string, std::string>> rotated;
    for (int i = 0; i < kNodes; ++i) {
      rotated.emplace_back(NodeId(i), addresses_[(i + 1) % kNodes].second);
    }
    return ShardMap::Uniform(1, kPartitions, rotated);
  }
  int OwnerIndex(const std::string& customer_id) const {
    return static_cast<int>(CorrectMap().OwnerOf(PartitionOf(customer_id, kPartitions)));
  }
  // `count` customer ids, at least two on every node.
  std::vector<std::string> Customers(int count) const {
    std::vector<std::string> ids;
    std::vector<int> per_node(kNodes, 0);
    for (int i = 0; i < count; ++i) {
      ids.push_back(absl::StrCat("cust-", i));
      ++per_node[OwnerIndex(ids.back())];
    }
    for (int n : per_node) EXPECT_GE(n, 2) << "pick more customers";
    return ids;
  }
  std::unique_ptr<ShardRouter> MakeRouter() {
    absl::StatusOr<std::unique_ptr<ShardRouter>> router = ShardRouter::Create(router_path_);
    EXPECT_TRUE(router.ok()) << router.status();
    return router.ok() ? std::move(*router) : nullptr;
  }
  // Customer i gets i % 3 + 1 purchases.
  void IngestPurchases(ShardRouter& router, const std::vector<std::string>& ids) {
    std::vector<v1::Event> events;
    for (size_t i = 0; i < ids.size(); ++i) {
      for (size_t k = 0; k <= i % 3; ++k) {
        events.push_back(MakeEvent(absl::StrCat("ev-", ids[i], "-", k), ids[i]));
      }
    }
    absl::StatusOr<v1::IngestResponse> response = router.Ingest(events);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->applied(), events.size());
  }

  TempDir dir_{"shard_router_test"};
  std::vector<std::unique_ptr<featurestore::StoreNode>> nodes_;
  std::vector<std::pair<std::string, std::string>> addresses_;
  std::string router_path_;
};

TEST_F(ShardRouterTest, IngestResultsComeBackInRequestOrder) {
  std::unique_ptr<ShardRouter> router = MakeRouter();
  std::vector<std::string> ids = Customers(12);
  std::vector<v1::Event> events;
  for (const std::string& id : ids) events.push_back(MakeEvent("e-" + id, id));
  events.insert(events.begin() + 5, MakeEvent("e-" + ids[9], ids[9]));  // duplicate id
  events.push_back(MakeEvent("e-bad", ids[2], ""));                     // empty type
  absl::StatusOr<v1::IngestResponse> response = router->Ingest(events);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->results_size(), static_cast<int>(events.size()));
  EXPECT_EQ(response->applied(), 12u);
  EXPECT_EQ(response->duplicates(), 1u);
  EXPECT_EQ(response->rejected(), 1u);
  // The duplicate pair: whichever the node applied first, exactly one of each outcome.
  std::multiset<int> pair = {response->results(5).outcome(), response->results(10).outcome()};
  EXPECT_EQ(pair, (std::multiset<int>{v1::EventResult::OUTCOME_APPLIED,
                                      v1::EventResult::OUTCOME_DUPLICATE}));
  EXPECT_EQ(response->results(13).outcome(), v1::EventResult::OUTCOME_REJECTED);
  EXPECT_THAT(response->results(13).reason(), HasSubstr("type"));
  for (int i : {0, 1, 2, 3, 4, 6, 7, 8, 9, 11, 12}) {
    EXPECT_EQ(response->results(i).outcome(), v1::EventResult::OUTCOME_APPLIED) << i;
  }
}

TEST_F(ShardRouterTest, FeaturesComeBackInRequestOrderAcrossNodes) {
  std::unique_ptr<ShardRouter> router = MakeRouter();
  std::vector<std::string> ids = Customers(30);
  IngestPurchases(*router, ids);
  // Reverse order, a duplicate and an unknown customer in the middle.
  std::vector<std::string> ask(ids.rbegin(), ids.rend());
  ask.insert(ask.begin() + 7, "nobody-here");
  ask.push_back(ids[4]);
  FeatureReadOptions read;
  read.as_of = absl::Now();
  absl::StatusOr<ShardRouter::FeaturesResponse> response =
      router->GetFeatures(ask, {"purchases_lifetime"}, read);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ((*response)->feature_names_size(), 1);
  EXPECT_EQ((*response)->feature_names(0), "purchases_lifetime");
  ASSERT_EQ((*response)->vectors_size(), static_cast<int>(ask.size()));
  for (size_t k = 0; k < ask.size(); ++k) {
    const v1::FeatureVector& vector = (*response)->vectors(static_cast<int>(k));
    EXPECT_EQ(vector.customer_id(), ask[k]) << k;
    if (ask[k] == "nobody-here") {
      EXPECT_FALSE(vector.found());
      continue;
    }
    size_t index = std::stoul(ask[k].substr(5));
    EXPECT_TRUE(vector.found()) << ask[k];
    ASSERT_EQ(vector.values_size(), 1);
    EXPECT_EQ(vector.values(0).int_value(), static_cast<int64_t>(index % 3 + 1)) << ask[k];
  }

  // The packed layout reaches every node; the types come back once.
  FeatureReadOptions packed;
  packed.layout = v1::VALUE_LAYOUT_PACKED;
  response = router->GetFeatures(ask, {"purchases_lifetime", "spend_lifetime"}, packed);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT((*response)->feature_types(), ::testing::ElementsAre("int64", "double"));
  ASSERT_EQ((*response)->vectors_size(), static_cast<int>(ask.size()));
  for (size_t k = 0; k < ask.size(); ++k) {
    const v1::FeatureVector& vector = (*response)->vectors(static_cast<int>(k));
    EXPECT_EQ(vector.customer_id(), ask[k]);
    EXPECT_EQ(vector.values_size(), 0);
    ASSERT_EQ(vector.statuses_size(), 2);
    ASSERT_EQ(vector.ints_size(), 1);
    ASSERT_EQ(vector.doubles_size(), 1);
    if (ask[k] != "nobody-here") {
      EXPECT_EQ(vector.ints(0), static_cast<int64_t>(std::stoul(ask[k].substr(5)) % 3 + 1));
      EXPECT_EQ(vector.statuses(0), v1::FEATURE_STATUS_PRESENT);
    }
  }
}

TEST_F(ShardRouterTest, LargeRequestsAreSplitWithinNodeLimits) {
  std::unique_ptr<ShardRouter> router = MakeRouter();
  std::vector<std::string> ids = Customers(6);
  IngestPurchases(*router, ids);
  // 3,600 ids: more than one node request (1,000 ids) per node.
  std::vector<std::string> ask;
  for (int i = 0; i < 3600; ++i) {
    ask.push_back(i % 600 == 0 ? ids[(i / 600) % ids.size()] : absl::StrCat("unknown-", i));
  }
  absl::StatusOr<ShardRouter::FeaturesResponse> response =
      router->GetFeatures(ask, {"purchases_lifetime"});
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ((*response)->vectors_size(), 3600);
  for (int i = 0; i < 3600; ++i) {
    EXPECT_EQ((*response)->vectors(i).customer_id(), ask[i]);
    EXPECT_EQ((*response)->vectors(i).found(), i % 600 == 0) << i;
  }
}

TEST_F(ShardRouterTest, InvalidIdsAreRefusedLocallyNamingThePosition) {
  std::unique_ptr<ShardRouter> router = MakeRouter();
  absl::StatusOr<ShardRouter::FeaturesResponse> response = router->GetFeatures({"a", "", "c"}, {});
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("customer_ids[1]"));
  EXPECT_EQ(router->GetFeatures({}, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router->GetProfile("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ShardRouterTest, SingleCustomerCallsAndExport) {
  std::unique_ptr<ShardRouter> router = MakeRouter();
  std::vector<std::string> ids = Customers(20);
  IngestPurchases(*router, ids);

  absl::StatusOr<v1::GetProfileResponse> profile = router->GetProfile(ids[5]);
  ASSERT_TRUE(profile.ok()) << profile.status();
  EXPECT_TRUE(profile->found());
  EXPECT_EQ(profile->profile().customer_id(), ids[5]);
  absl::StatusOr<v1::GetHistoryResponse> history = router->GetHistory(ids[5], 10);
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(history->interactions_size(), 3);

  std::set<std::string> exported;
  absl::StatusOr<std::vector<std::string>> names =
      router->Export(0, kPartitions, {"purchases_lifetime"}, std::nullopt,
                     [&](const std::vector<std::string>& columns, const v1::FeatureVector& row) {
                       EXPECT_EQ(columns, std::vector<std::string>{"purchases_lifetime"});
                       EXPECT_TRUE(exported.insert(row.customer_id()).second) << row.customer_id();
                       return absl::OkStatus();
                     });
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_EQ(exported, std::set<std::string>(ids.begin(), ids.end()));

  // A sub-range straddling two nodes yields exactly its customers.
  std::set<std::string> partial;
  ASSERT_TRUE(router
                  ->Export(10, 30, {}, std::nullopt,
                           [&](const std::vector<std::string>&, const v1::FeatureVector& row) {
                             partial.insert(row.customer_id());
                             return absl::OkStatus();
                           })
                  .ok());
  std::set<std::string> want;
  for (const std::string& id : ids) {
    uint32_t p = PartitionOf(id, kPartitions);
    if (p >= 10 && p < 30) want.insert(id);
  }
  EXPECT_EQ(partial, want);

  absl::StatusOr<v1::EraseCustomerResponse> erased = router->EraseCustomer(ids[5]);
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_TRUE(erased->existed());
  profile = router->GetProfile(ids[5]);
  ASSERT_TRUE(profile.ok());
  EXPECT_FALSE(profile->found());
}

TEST_F(ShardRouterTest, NodeInfoOfEveryNode) {
  std::unique_ptr<ShardRouter> router = MakeRouter();
  std::vector<ShardRouter::NodeStatus> statuses = router->NodeInfo();
  ASSERT_EQ(statuses.size(), static_cast<size_t>(kNodes));
  for (int i = 0; i < kNodes; ++i) {
    ASSERT_TRUE(statuses[i].info.ok()) << statuses[i].info.status();
    EXPECT_EQ(statuses[i].node.id, NodeId(i));
    EXPECT_EQ(statuses[i].info->node_id(), NodeId(i));
    EXPECT_EQ(statuses[i].info->shard_map_epoch(), 1u);
  }
}

TEST_F(ShardRouterTest, StaleMapIsReloadedAndTheCallRetried) {
  WriteFile(router_path_, RotatedMap().ToJson());
  std::unique_ptr<ShardRouter> router = MakeRouter();
  EXPECT_EQ(router->map()->nodes()[0].address, addresses_[1].second);
  // The map file is fixed after the router loaded the stale one.
  WriteFile(router_path_, CorrectMap().ToJson());

  std::vector<std::string> ids = Customers(15);
  IngestPurchases(*router, ids);  // every sub-request first goes to a wrong node
  EXPECT_EQ(router->map()->nodes()[0].address, addresses_[0].second);

  // Reads too: make the router stale again, fix the file, read.
  WriteFile(router_path_, RotatedMap().ToJson());
  ASSERT_TRUE(router->Reload().ok());
  WriteFile(router_path_, CorrectMap().ToJson());
  absl::StatusOr<ShardRouter::FeaturesResponse> response =
      router->GetFeatures(ids, {"purchases_lifetime"});
  ASSERT_TRUE(response.ok()) << response.status();
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ((*response)->vectors(static_cast<int>(i)).values(0).int_value(),
              static_cast<int64_t>(i % 3 + 1));
  }
}

TEST_F(ShardRouterTest, MapThatStaysWrongFailsWithTheNodesReason) {
  WriteFile(router_path_, RotatedMap().ToJson());
  std::unique_ptr<ShardRouter> router = MakeRouter();
  absl::StatusOr<v1::GetProfileResponse> profile = router->GetProfile("cust-1");
  EXPECT_EQ(profile.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(profile.status().message()), HasSubstr("epoch 1"));
  EXPECT_THAT(std::string(profile.status().message()), HasSubstr("node store-"));
}

TEST_F(ShardRouterTest, StoppedNodeGivesUnavailableNamingIt) {
  std::unique_ptr<ShardRouter> router = MakeRouter();
  std::vector<std::string> ids = Customers(12);
  IngestPurchases(*router, ids);
  nodes_[1]->Shutdown();

  absl::StatusOr<ShardRouter::FeaturesResponse> response = router->GetFeatures(ids, {});
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
  EXPECT_THAT(std::string(response.status().message()),
              HasSubstr(absl::StrCat("node store-1 (", addresses_[1].second, ")")));

  // Customers of the live nodes are still served.
  std::vector<std::string> live;
  for (const std::string& id : ids) {
    if (OwnerIndex(id) != 1) live.push_back(id);
  }
  EXPECT_TRUE(router->GetFeatures(live, {}).ok());

  std::vector<ShardRouter::NodeStatus> statuses = router->NodeInfo();
  EXPECT_TRUE(statuses[0].info.ok());
  EXPECT_EQ(statuses[1].info.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(statuses[1].info.status().message()), HasSubstr("node store-1"));
  EXPECT_TRUE(statuses[2].info.ok());
}

}  // namespace
}  // namespace cohort
