// cohort-train end to end on cohort-datagen output: every model version it writes loads and
// verifies (models/artifacts), every file deserializes with the models/ APIs, manifests name
// only features the registry serves, and the report is written.
#include <filesystem>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "models/artifacts/artifact_store.h"
#include "models/propensity/propensity_model.h"
#include "models/recommend/factory.h"
#include "models/recommend/popularity.h"
#include "models/recommend/vocabulary.h"
#include "models/segmentation/cluster_model.h"
#include "models/segmentation/rfm.h"
#include "storage/feature_registry.h"
#include "tests/unit/train_test_util.h"

namespace cohort::train {
namespace {

using models::artifacts::LoadedArtifact;
using models::artifacts::LoadVersion;

class TrainArtifactsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = new testing::ScratchDir();
    ASSERT_FALSE(scratch_->path().empty());
    ASSERT_TRUE(testing::GenerateData(scratch_->path(), 2000, /*attributes=*/true).ok());
    options_ = new TrainOptions(testing::OptionsFor(scratch_->path(), scratch_->path()));
    options_->attributes_csv = scratch_->path() + "/attributes.csv";
    absl::StatusOr<TrainResult> result = RunTraining(*options_);
    ASSERT_TRUE(result.ok()) << result.status();
    result_ = new TrainResult(*std::move(result));
  }
  static void TearDownTestSuite() {
    delete result_;
    delete options_;
    delete scratch_;
  }

  static void CheckFeatures(const LoadedArtifact& a) {
    absl::StatusOr<std::shared_ptr<const storage::FeatureRegistry>> registry =
        storage::FeatureRegistry::LoadFile(COHORT_BINARY_DIR "/features.registry");
    ASSERT_TRUE(registry.ok());
    for (const std::string& f : a.manifest.features()) {
      EXPECT_TRUE((*registry)->Find(f).has_value()) << a.manifest.model() << ": " << f;
    }
  }

  static testing::ScratchDir* scratch_;
  static TrainOptions* options_;
  static TrainResult* result_;
};

testing::ScratchDir* TrainArtifactsTest::scratch_ = nullptr;
TrainOptions* TrainArtifactsTest::options_ = nullptr;
TrainResult* TrainArtifactsTest::result_ = nullptr;

TEST_F(TrainArtifactsTest, ListsEveryModelAtVersionOne) {
  EXPECT_EQ(models::artifacts::ListModels(options_->models_dir),
            (std::vector<std::string>{"propensity_churn_90d", "propensity_purchase_30d",
                                      "recommend", "segmentation"}));
}

TEST_F(TrainArtifactsTest, SegmentationLoadsAndAssigns) {
  absl::StatusOr<LoadedArtifact> a = LoadVersion(options_->models_dir, "segmentation", 1);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->manifest.kind(), "segmentation");
  EXPECT_EQ(a->manifest.params().at("rfm_recency"), "recency_days");
  EXPECT_EQ(a->manifest.params().at("rfm_frequency"), "purchases_365d");
  EXPECT_EQ(a->manifest.params().at("rfm_monetary"), "spend_365d");
  EXPECT_FALSE(a->manifest.cutoff().empty());
  EXPECT_TRUE(a->manifest.metrics().contains("silhouette"));
  CheckFeatures(*a);
  ASSERT_TRUE(models::segmentation::RfmModel::Deserialize(a->files.at("rfm.bin")).ok());
  absl::StatusOr<models::segmentation::ClusterModel> clusters =
      models::segmentation::ClusterModel::Deserialize(a->files.at("clusters.bin"));
  ASSERT_TRUE(clusters.ok()) << clusters.status();
  ASSERT_EQ(clusters->feature_names().size(), static_cast<size_t>(a->manifest.features_size()));
  for (int i = 0; i < a->manifest.features_size(); ++i) {
    EXPECT_EQ(clusters->feature_names()[static_cast<size_t>(i)], a->manifest.features(i));
  }
  std::vector<double> row(clusters->num_features(), 1.0);
  EXPECT_TRUE(clusters->Assign(row).ok());
}

TEST_F(TrainArtifactsTest, PropensityModelsLoadAndPredict) {
  for (const std::string model : {"propensity_purchase_30d", "propensity_churn_90d"}) {
    absl::StatusOr<LoadedArtifact> a = LoadVersion(options_->models_dir, model, 1);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->manifest.kind(), "propensity");
    const auto& params = a->manifest.params();
    EXPECT_EQ(params.at("target"), model == "propensity_churn_90d" ? "churn" : "purchase");
    EXPECT_EQ(params.at("horizon_days"), model == "propensity_churn_90d" ? "90" : "30");
    EXPECT_TRUE(params.at("algorithm") == "logistic" || params.at("algorithm") == "xgboost");
    EXPECT_EQ(params.at("calibration"), "platt");
    for (const char* m : {"auc", "log_loss", "brier", "ece"}) {
      EXPECT_TRUE(a->manifest.metrics().contains(m)) << m;
    }
    CheckFeatures(*a);
    absl::StatusOr<std::unique_ptr<models::propensity::PropensityModel>> p =
        models::propensity::DeserializePropensityModel(a->files.at("model.bin"));
    ASSERT_TRUE(p.ok()) << p.status();
    ASSERT_EQ((*p)->num_features(), static_cast<size_t>(a->manifest.features_size()));
    std::vector<double> row((*p)->num_features(), std::numeric_limits<double>::quiet_NaN());
    absl::StatusOr<double> prob = (*p)->Predict(row);
    ASSERT_TRUE(prob.ok()) << prob.status();
    EXPECT_GE(*prob, 0.0);
    EXPECT_LE(*prob, 1.0);
  }
}

TEST_F(TrainArtifactsTest, RecommendLoadsAndRecommends) {
  absl::StatusOr<LoadedArtifact> a = LoadVersion(options_->models_dir, "recommend", 1);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->manifest.kind(), "recommend");
  EXPECT_EQ(a->manifest.features_size(), 0);
  const std::string algorithm = a->manifest.params().at("algorithm");
  EXPECT_TRUE(algorithm == "ease" || algorithm == "als" || algorithm == "item_knn");
  for (const char* p : {"w_purchase", "w_add_to_cart", "w_view", "half_life_days"}) {
    EXPECT_TRUE(a->manifest.params().contains(p)) << p;
  }
  absl::StatusOr<std::unique_ptr<models::recommend::Recommender>> model =
      models::recommend::DeserializeRecommender(a->files.at("model.bin"));
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(models::recommend::ModelKindName((*model)->kind()), algorithm);
  absl::StatusOr<models::recommend::ItemVocabulary> vocabulary =
      models::recommend::ItemVocabulary::Deserialize(a->files.at("vocabulary.bin"));
  ASSERT_TRUE(vocabulary.ok()) << vocabulary.status();
  EXPECT_EQ(vocabulary->size(), (*model)->num_items());
  absl::StatusOr<std::unique_ptr<models::recommend::PopularityModel>> popularity =
      models::recommend::PopularityModel::Deserialize(a->files.at("popularity.bin"));
  ASSERT_TRUE(popularity.ok()) << popularity.status();
  // Popularity segments are the segmentation model's cluster ids.
  EXPECT_FALSE((*popularity)->segments().empty());
  for (const std::string& s : (*popularity)->segments()) {
    EXPECT_FALSE(s.empty());
    EXPECT_TRUE(std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }));
  }
  std::vector<models::recommend::HistoryItem> history = {{0, 1.0f, true}, {1, 0.1f, false}};
  absl::StatusOr<std::vector<models::recommend::Recommendation>> recs =
      (*model)->Recommend(history, {});
  ASSERT_TRUE(recs.ok()) << recs.status();
  EXPECT_FALSE(recs->empty());
}

TEST_F(TrainArtifactsTest, WritesReport) {
  EXPECT_EQ(result_->report_dir, options_->report_dir);
  EXPECT_TRUE(std::filesystem::exists(options_->report_dir + "/report.json"));
  EXPECT_TRUE(std::filesystem::exists(options_->report_dir + "/report.md"));
  EXPECT_GT(testing::ReportNumber(result_->report, "data.events"), 100000);
  EXPECT_GT(testing::ReportNumber(result_->report, "recommend.test_users"), 500);
  EXPECT_GT(testing::ReportNumber(result_->report, "propensity_purchase_30d.test_customers"), 200);
  EXPECT_EQ(testing::ReportNumber(result_->report, "data.events_rejected"), 0);
  EXPECT_GT(testing::ReportNumber(result_->report, "data.attributes_written"), 10000);
}

TEST(TrainOptionsTest, RefusesACutoffWithoutAFullEvaluationWindow) {
  testing::ScratchDir dir;
  ASSERT_TRUE(testing::GenerateData(dir.path(), 50).ok());
  TrainOptions o = testing::OptionsFor(dir.path(), dir.path());
  absl::Time t;
  std::string err;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, "2026-02-01T00:00:00Z", &t, &err));
  o.cutoff = t;
  absl::StatusOr<TrainResult> r = RunTraining(o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  o.cutoff.reset();
  o.events_csv = dir.path() + "/missing.csv";
  EXPECT_EQ(RunTraining(o).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cohort::train
