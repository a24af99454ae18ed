// Shared by the scoring_*_test files: trains small real models (models/ APIs) on synthetic
// data and writes them as artifact versions, and runs a two-node store (real StoreNodes on
// 127.0.0.1:0) with a few ingested customers plus a real scorer.
#pragma once

#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cohort/v1/scoring.grpc.pb.h"
#include "common/hash.h"
#include "gtest/gtest.h"
#include "models/artifacts/artifact_store.h"
#include "models/propensity/calibration.h"
#include "models/propensity/logistic_regression.h"
#include "models/recommend/factory.h"
#include "models/recommend/popularity.h"
#include "models/recommend/vocabulary.h"
#include "models/segmentation/cluster_model.h"
#include "models/segmentation/rfm.h"
#include "services/common/shard_map.h"
#include "services/common/shard_router.h"
#include "services/featurestore/server.h"
#include "services/scoring/server.h"
#include "test_util.h"

namespace cohort::scoring::test {

inline constexpr uint32_t kPartitions = 64;
inline constexpr int kItems = 10;

inline std::string Item(int i) { return absl::StrCat("item-", i); }

// GET /metrics from host:port over HTTP/1.0; the body, or "" with a test failure.
inline std::string Scrape(const std::string& address) {
  const int port = std::stoi(address.substr(address.rfind(':') + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) != 0) {
    ADD_FAILURE() << "cannot connect to " << address;
    ::close(fd);
    return "";
  }
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string reply;
  char buffer[8192];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;) {
    reply.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t body = reply.find("\r\n\r\n");
  return body == std::string::npos ? "" : reply.substr(body + 4);
}

// The value of the sample line starting with `series` (name{labels}), or -1.
inline double Sample(const std::string& page, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (absl::StartsWith(line, series + " ")) {
      double value = 0;
      if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
    }
  }
  return -1;
}

inline void WriteTextFile(const std::filesystem::path& path, const std::string& contents) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  { std::ofstream(tmp) << contents; }
  std::filesystem::rename(tmp, path);
}

// Segmentation: RFM edges from 10 synthetic customers, clusters on two well-separated
// groups of [purchases_90d, views_30d].
inline models::artifacts::ModelManifest WriteSegmentation(const std::string& dir) {
  using namespace models::segmentation;
  std::vector<RfmValues> population;
  for (int i = 0; i < 10; ++i) {
    population.push_back({1.0 + 10 * i, 1.0 + i, 20.0 * (i + 1)});
  }
  absl::StatusOr<RfmModel> rfm = RfmModel::Fit(population);
  EXPECT_TRUE(rfm.ok()) << rfm.status();
  Eigen::MatrixXd x(20, 2);
  for (int i = 0; i < 20; ++i) {
    x(i, 0) = i < 10 ? 0.0 + (i % 3) * 0.1 : 3.0 + (i % 3) * 0.1;
    x(i, 1) = i < 10 ? 0.0 + (i % 2) * 0.1 : 5.0 + (i % 2) * 0.1;
  }
  ClusterOptions options;
  options.min_k = 2;
  options.max_k = 3;
  absl::StatusOr<ClusterModel> clusters =
      ClusterModel::Fit(x, {"purchases_90d", "views_30d"}, options);
  EXPECT_TRUE(clusters.ok()) << clusters.status();
  models::artifacts::ModelManifest manifest;
  manifest.set_model("segmentation");
  manifest.set_kind("segmentation");
  manifest.add_features("purchases_90d");
  manifest.add_features("views_30d");
  (*manifest.mutable_metrics())["silhouette"] = clusters->silhouette();
  absl::StatusOr<models::artifacts::ModelManifest> written = models::artifacts::WriteVersion(
      dir, manifest, {{"rfm.bin", rfm->Serialize()}, {"clusters.bin", clusters->Serialize()}});
  EXPECT_TRUE(written.ok()) << written.status();
  return written.ok() ? *written : manifest;
}

// Propensity: calibrated logistic regression on [purchases_30d, recency_days]; `slope` varies
// the synthetic labels so successive versions differ.
inline models::artifacts::ModelManifest WritePropensity(const std::string& dir,
                                                        const std::string& name,
                                                        double slope = 1.0) {
  using namespace models::propensity;
  const int n = 60;
  Eigen::MatrixXd x(n, 2);
  std::vector<double> y(n);
  for (int i = 0; i < n; ++i) {
    x(i, 0) = i % 6;
    x(i, 1) = (i * 7) % 50;
    y[static_cast<size_t>(i)] = (slope * x(i, 0) - 0.05 * x(i, 1) + ((i % 5) - 2) * 0.8) > 1.0;
  }
  LogisticRegressionOptions options;
  absl::StatusOr<std::unique_ptr<LogisticRegression>> base =
      LogisticRegression::Fit(x, y, {"purchases_30d", "recency_days"}, options);
  EXPECT_TRUE(base.ok()) << base.status();
  absl::StatusOr<std::unique_ptr<CalibratedModel>> model =
      CalibratedModel::Fit(*std::move(base), CalibrationMethod::kPlatt, x, y);
  EXPECT_TRUE(model.ok()) << model.status();
  models::artifacts::ModelManifest manifest;
  manifest.set_model(name);
  manifest.set_kind("propensity");
  manifest.add_features("purchases_30d");
  manifest.add_features("recency_days");
  (*manifest.mutable_metrics())["auc"] = 0.8;
  (*manifest.mutable_params())["algorithm"] = "logistic";
  absl::StatusOr<models::artifacts::ModelManifest> written =
      models::artifacts::WriteVersion(dir, manifest, {{"model.bin", (*model)->Serialize()}});
  EXPECT_TRUE(written.ok()) << written.status();
  return written.ok() ? *written : manifest;
}

// Recommend: item-kNN on two groups of users (items 0-4 and 5-9), popularity overall and per
// cluster ("0", "1").
inline models::artifacts::ModelManifest WriteRecommend(const std::string& dir) {
  using namespace models::recommend;
  std::vector<std::string> ids;
  for (int i = 0; i < kItems; ++i) ids.push_back(Item(i));
  absl::StatusOr<ItemVocabulary> vocab = ItemVocabulary::FromIds(ids);
  EXPECT_TRUE(vocab.ok()) << vocab.status();
  std::vector<InteractionMatrix::Entry> entries;
  std::vector<std::string> segments;
  for (int u = 0; u < 20; ++u) {
    const int base = u < 10 ? 0 : 5;
    for (int j = 0; j < 3; ++j) entries.push_back({u, base + (u + j) % 5, 1.0f});
    segments.push_back(u < 10 ? "0" : "1");
  }
  absl::StatusOr<InteractionMatrix> matrix = InteractionMatrix::FromEntries(20, kItems, entries);
  EXPECT_TRUE(matrix.ok()) << matrix.status();
  RecommenderConfig config;
  config.algorithm = RecommenderConfig::Algorithm::kItemKnn;
  absl::StatusOr<std::unique_ptr<Recommender>> model = TrainRecommender(*matrix, config);
  EXPECT_TRUE(model.ok()) << model.status();
  PopularityOptions popularity_options;
  popularity_options.min_segment_users = 1;
  absl::StatusOr<std::unique_ptr<PopularityModel>> popularity =
      PopularityModel::Train(*matrix, segments, popularity_options);
  EXPECT_TRUE(popularity.ok()) << popularity.status();
  models::artifacts::ModelManifest manifest;
  manifest.set_model("recommend");
  manifest.set_kind("recommend");
  (*manifest.mutable_params())["algorithm"] = "item_knn";
  (*manifest.mutable_metrics())["ndcg_at_10"] = 0.3;
  absl::StatusOr<models::artifacts::ModelManifest> written =
      models::artifacts::WriteVersion(dir, manifest,
                                      {{"model.bin", (*model)->Serialize()},
                                       {"popularity.bin", (*popularity)->Serialize()},
                                       {"vocabulary.bin", vocab->Serialize()}});
  EXPECT_TRUE(written.ok()) << written.status();
  return written.ok() ? *written : manifest;
}

// Two store nodes, customers with purchases/views of items, consent set per customer, and a
// scorer over them.
class ScoringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::pair<std::string, std::string>> placeholders = {{"store-0", "127.0.0.1:1"},
                                                                     {"store-1", "127.0.0.1:2"}};
    WriteTextFile(dir_ / "nodes.json", ShardMap::Uniform(1, kPartitions, placeholders).ToJson());
    for (int i = 0; i < 2; ++i) {
      featurestore::NodeOptions options;
      options.data_dir = (dir_ / absl::StrCat("store-", i)).string();
      options.listen = "127.0.0.1:0";
      options.metrics_listen = "";
      options.node_id = absl::StrCat("store-", i);
      options.shard_map_path = (dir_ / "nodes.json").string();
      options.registry_path = COHORT_SOURCE_DIR "/storage/features.registry";
      options.block_cache_mb = 8;
      options.worker_threads = 2;
      options.export_threads = 1;
      options.shard_map_poll_interval = absl::ZeroDuration();
      options.drain_timeout = absl::Seconds(1);
      absl::StatusOr<std::unique_ptr<featurestore::StoreNode>> node =
          featurestore::StoreNode::Start(options);
      ASSERT_TRUE(node.ok()) << node.status();
      addresses_.emplace_back(options.node_id, (*node)->address());
      nodes_.push_back(*std::move(node));
    }
    map_ = ShardMap::Uniform(1, kPartitions, addresses_);
    WriteTextFile(dir_ / "shard_map.json", map_->ToJson());
    models_dir_ = (dir_ / "models").string();
    std::filesystem::create_directories(models_dir_);
    Ingest();
  }

  void TearDown() override {
    stub_.reset();
    scorer_.reset();
    for (auto& node : nodes_) node->Shutdown();
  }

  int OwnerOf(const std::string& id) const {
    return static_cast<int>(map_->OwnerOf(PartitionOf(id, kPartitions)));
  }

  // cust-0..cust-11: cust-i buys item (i % 5) (+5 for odd i) and views another; every
  // customer but cust-2 and cust-3 consents.
  void Ingest() {
    absl::StatusOr<std::unique_ptr<ShardRouter>> router =
        ShardRouter::Create((dir_ / "shard_map.json").string());
    ASSERT_TRUE(router.ok()) << router.status();
    std::vector<v1::Event> events;
    std::vector<v1::CustomerAttributes> attributes;
    const absl::Time now = absl::Now();
    for (int i = 0; i < 12; ++i) {
      const std::string id = absl::StrCat("cust-", i);
      customers_.push_back(id);
      const int group = i % 2 == 0 ? 0 : 5;
      for (int k = 0; k <= i % 4; ++k) {
        v1::Event e;
        e.set_event_id(absl::StrCat(id, "-p", k));
        e.set_customer_id(id);
        e.mutable_time()->set_seconds(absl::ToUnixSeconds(now - absl::Hours(24 * (1 + i + k))));
        e.set_type("purchase");
        e.set_channel("web");
        e.set_item_id(Item(group + (i + k) % 5));
        e.set_category("shoes");
        e.set_amount(10.0 * (i + 1));
        e.set_quantity(1);
        events.push_back(e);
      }
      v1::Event view;
      view.set_event_id(absl::StrCat(id, "-v"));
      view.set_customer_id(id);
      view.mutable_time()->set_seconds(absl::ToUnixSeconds(now - absl::Hours(5)));
      view.set_type("view");
      view.set_channel("app");
      view.set_item_id(Item(group + (i + 2) % 5));
      events.push_back(view);
      v1::CustomerAttributes a;
      a.set_customer_id(id);
      v1::Attribute* consent = a.add_attributes();
      consent->set_name("marketing_consent");
      consent->mutable_value()->set_bool_value(i != 2 && i != 3);
      consent->set_source("crm");
      consent->mutable_event_time()->set_seconds(absl::ToUnixSeconds(now - absl::Hours(1)));
      attributes.push_back(a);
    }
    absl::StatusOr<v1::IngestResponse> ingested = (*router)->Ingest(events);
    ASSERT_TRUE(ingested.ok()) << ingested.status();
    ASSERT_EQ(ingested->applied(), events.size());
    absl::StatusOr<v1::UpsertAttributesResponse> upserted = (*router)->UpsertAttributes(attributes);
    ASSERT_TRUE(upserted.ok()) << upserted.status();
  }

  void WriteAllModels() {
    WriteSegmentation(models_dir_);
    WritePropensity(models_dir_, "propensity_purchase_30d");
    WriteRecommend(models_dir_);
  }

  // Starts the scorer (models are scanned once at start) and a client.
  void StartScorer(absl::Duration reload_interval = absl::ZeroDuration()) {
    ScorerOptions options;
    options.listen = "127.0.0.1:0";
    options.shard_map_path = (dir_ / "shard_map.json").string();
    options.models_dir = models_dir_;
    options.registry_path = COHORT_SOURCE_DIR "/storage/features.registry";
    options.metrics_listen = "127.0.0.1:0";
    options.fetch_deadline = absl::Seconds(2);
    options.reload_interval = reload_interval;
    options.drain_timeout = absl::Seconds(1);
    absl::StatusOr<std::unique_ptr<ScorerServer>> scorer = ScorerServer::Start(options);
    ASSERT_TRUE(scorer.ok()) << scorer.status();
    scorer_ = *std::move(scorer);
    stub_ = v1::Scoring::NewStub(
        grpc::CreateChannel(scorer_->address(), grpc::InsecureChannelCredentials()));
  }

  grpc::Status Score(const v1::ScoreRequest& request, v1::ScoreResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    return stub_->Score(&context, request, response);
  }

  v1::ScoreRequest FullRequest(const std::vector<std::string>& ids, uint32_t k = 3) {
    v1::ScoreRequest request;
    for (const std::string& id : ids) request.add_customer_ids(id);
    request.set_segmentation(true);
    request.add_propensity_models("propensity_purchase_30d");
    request.mutable_recommendations()->set_k(k);
    return request;
  }

  cohort::testing::TempDir dir_{"scoring_test"};
  std::vector<std::unique_ptr<featurestore::StoreNode>> nodes_;
  std::vector<std::pair<std::string, std::string>> addresses_;
  std::optional<ShardMap> map_;
  std::string models_dir_;
  std::vector<std::string> customers_;
  std::unique_ptr<ScorerServer> scorer_;
  std::unique_ptr<v1::Scoring::Stub> stub_;
};

}  // namespace cohort::scoring::test
