// cohort-train cluster mode: features exported from a real store node (gRPC on 127.0.0.1:0,
// RocksDB in a temp dir) through ShardRouter equal, customer by customer, the offline
// features of the same events; and a whole training run works in cluster mode.
#include <cmath>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/common/shard_router.h"
#include "services/featurestore/node_options.h"
#include "services/featurestore/server.h"
#include "tests/unit/train_test_util.h"
#include "tools/common/events_csv.h"
#include "tools/train/dataset.h"

namespace cohort::train {
namespace {

std::string MapJson(const std::string& address) {
  return absl::StrCat(R"({"epoch": 1, "partitions": 64, "nodes": [{"id": "store-0", "address": ")",
                      address, R"(", "ranges": [{"begin": 0, "end": 64}]}]})");
}

TEST(TrainClusterTest, ExportedFeaturesEqualOfflineFeatures) {
  testing::ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  // Data ending today, so the node's real clock accepts every event.
  datagen::GeneratorOptions gen;
  gen.customers = 400;
  gen.end = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  {
    absl::StatusOr<std::unique_ptr<datagen::ByteSink>> events =
        datagen::OpenFileSink(dir.path() + "/events.csv");
    ASSERT_TRUE(events.ok());
    datagen::GeneratorOutputs outputs;
    outputs.events = events->get();
    ASSERT_TRUE(datagen::Generate(gen, outputs).ok());
    ASSERT_TRUE((*events)->Close().ok());
  }
  std::ofstream(dir.path() + "/node_map.json") << MapJson("127.0.0.1:1");
  featurestore::NodeOptions node_options;
  node_options.data_dir = dir.path() + "/node";
  node_options.listen = "127.0.0.1:0";
  node_options.node_id = "store-0";
  node_options.shard_map_path = dir.path() + "/node_map.json";
  node_options.registry_path = COHORT_BINARY_DIR "/features.registry";
  node_options.default_durability = storage::Durability::kAsync;
  node_options.worker_threads = 2;
  node_options.export_threads = 1;
  node_options.block_cache_mb = 16;
  node_options.drain_timeout = absl::Seconds(5);
  absl::StatusOr<std::unique_ptr<featurestore::StoreNode>> node =
      featurestore::StoreNode::Start(node_options);
  ASSERT_TRUE(node.ok()) << node.status();
  std::ofstream(dir.path() + "/map.json") << MapJson((*node)->address());

  absl::StatusOr<std::unique_ptr<ShardRouter>> router =
      ShardRouter::Create(dir.path() + "/map.json");
  ASSERT_TRUE(router.ok()) << router.status();
  absl::StatusOr<std::unique_ptr<tools::EventsCsvReader>> reader =
      tools::EventsCsvReader::Open(dir.path() + "/events.csv");
  ASSERT_TRUE(reader.ok());
  std::vector<v1::Event> batch;
  v1::Event event;
  int64_t applied = 0;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->Next(&event);
    ASSERT_TRUE(more.ok()) << more.status();
    if (*more) batch.push_back(event);
    if (batch.size() == 2000 || (!*more && !batch.empty())) {
      absl::StatusOr<v1::IngestResponse> r = (*router)->Ingest(batch, v1::DURABILITY_ASYNC);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->rejected(), 0u);
      applied += r->applied();
      batch.clear();
    }
    if (!*more) break;
  }
  ASSERT_GT(applied, 10000);

  TrainOptions options = testing::OptionsFor(dir.path(), dir.path() + "/out");
  options.truth_csv.clear();
  absl::StatusOr<Dataset> data = LoadDataset(options);
  ASSERT_TRUE(data.ok()) << data.status();
  const std::vector<std::string> names = {"purchases_30d", "spend_365d",  "recency_days",
                                          "aov_365d",      "tenure_days", "views_90d"};
  absl::StatusOr<FeatureTable> offline = ComputeFeatures(options, *data, names);
  ASSERT_TRUE(offline.ok()) << offline.status();
  options.shard_map = dir.path() + "/map.json";
  absl::StatusOr<FeatureTable> cluster = ExportClusterFeatures(options, *data, names);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  ASSERT_GT(offline->rows.size(), 300u);
  ASSERT_EQ(cluster->rows.size(), offline->rows.size());
  for (size_t i = 0; i < cluster->rows.size(); ++i) {
    const std::string& id = cluster->customer_ids[i];
    auto it = offline->row_of.find(id);
    ASSERT_NE(it, offline->row_of.end()) << id;
    const std::vector<double>& a = cluster->rows[i];
    const std::vector<double>& b = offline->rows[it->second];
    for (size_t j = 0; j < names.size(); ++j) {
      if (std::isnan(b[j])) {
        EXPECT_TRUE(std::isnan(a[j])) << id << " " << names[j];
      } else {
        EXPECT_DOUBLE_EQ(a[j], b[j]) << id << " " << names[j];
      }
    }
  }

  // A whole run in cluster mode writes every model.
  absl::StatusOr<TrainResult> result = RunTraining(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(testing::ReportNumber(result->report, "data.customers_at_cutoff"),
            static_cast<double>(offline->rows.size()));
}

}  // namespace
}  // namespace cohort::train
