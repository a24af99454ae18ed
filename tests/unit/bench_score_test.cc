// cohort-bench's score workload and size measurement helpers (bench/score_workload.h,
// bench/store_size.h): which models a run asks for, the request they make, a short load
// against a real scorer (two in-process store nodes and the scorer of scoring_test_util.h),
// and the byte counting of store directories. Checks outcomes, never timings.
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/score_workload.h"
#include "bench/store_size.h"
#include "bench/workloads.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scoring_test_util.h"
#include "test_util.h"

namespace cohort::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::ListModelsResponse Loaded(const std::vector<std::pair<std::string, std::string>>& models) {
  v1::ListModelsResponse response;
  for (const auto& [name, kind] : models) {
    v1::ModelInfo* info = response.add_models();
    info->set_name(name);
    info->set_kind(kind);
  }
  return response;
}

const v1::ListModelsResponse kAllFamilies = Loaded({{"propensity_churn_90d", "propensity"},
                                                    {"propensity_purchase_30d", "propensity"},
                                                    {"recommend", "recommend"},
                                                    {"segmentation", "segmentation"}});

TEST(ChooseScoreModelsTest, DefaultAsksForEveryLoadedModel) {
  absl::StatusOr<ScoreModels> models = ChooseScoreModels(kAllFamilies, {}, 10, true);
  ASSERT_TRUE(models.ok()) << models.status();
  EXPECT_TRUE(models->segmentation);
  EXPECT_THAT(models->propensity, ElementsAre("propensity_churn_90d", "propensity_purchase_30d"));
  EXPECT_EQ(models->k, 10);
  EXPECT_EQ(models->Describe(),
            "segmentation+propensity_churn_90d+propensity_purchase_30d+recommend(k=10)");

  v1::ScoreRequest request;
  models->Fill(request);
  EXPECT_TRUE(request.segmentation());
  EXPECT_THAT(request.propensity_models(),
              ElementsAre("propensity_churn_90d", "propensity_purchase_30d"));
  EXPECT_EQ(request.recommendations().k(), 10u);
}

TEST(ChooseScoreModelsTest, MissingFamilyIsRefusedWhenAllAreRequired) {
  const v1::ListModelsResponse loaded = Loaded({{"segmentation", "segmentation"}});
  absl::StatusOr<ScoreModels> models = ChooseScoreModels(loaded, {}, 10, true);
  EXPECT_EQ(models.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(models.status().message(), HasSubstr("serves only: segmentation"));
  EXPECT_TRUE(ChooseScoreModels(loaded, {}, 10, false).ok());
}

TEST(ChooseScoreModelsTest, NamedModelsOnly) {
  absl::StatusOr<ScoreModels> models =
      ChooseScoreModels(kAllFamilies, {"propensity_churn_90d"}, 5, false);
  ASSERT_TRUE(models.ok()) << models.status();
  EXPECT_FALSE(models->segmentation);
  EXPECT_THAT(models->propensity, ElementsAre("propensity_churn_90d"));
  EXPECT_EQ(models->k, 0);
  v1::ScoreRequest request;
  models->Fill(request);
  EXPECT_FALSE(request.has_recommendations());
}

TEST(ChooseScoreModelsTest, UnknownModelAndBadKAreInvalidArguments) {
  absl::StatusOr<ScoreModels> unknown = ChooseScoreModels(kAllFamilies, {"nope"}, 10, false);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("'nope' is not served"));
  EXPECT_THAT(unknown.status().message(), HasSubstr("segmentation"));
  EXPECT_EQ(ChooseScoreModels(kAllFamilies, {}, 0, true).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ChooseScoreModels(kAllFamilies, {}, 101, true).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ChooseScoreModelsTest, NothingLoadedIsAPrecondition) {
  EXPECT_EQ(ChooseScoreModels(v1::ListModelsResponse(), {}, 10, false).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

class ScoreWorkloadTest : public scoring::test::ScoringTest {};

TEST_F(ScoreWorkloadTest, ScoresEveryFamilyAgainstARealScorer) {
  WriteAllModels();
  StartScorer();
  std::shared_ptr<v1::Scoring::Stub> stub = ScorerStub(scorer_->address());
  absl::StatusOr<v1::ListModelsResponse> loaded = WaitForModels(*stub, absl::Seconds(10));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  absl::StatusOr<ScoreModels> models = ChooseScoreModels(*loaded, {}, 3, true);
  ASSERT_TRUE(models.ok()) << models.status();
  EXPECT_EQ(models->Describe(), "segmentation+propensity_purchase_30d+recommend(k=3)");

  size_t found = 0;
  ASSERT_TRUE(ScoreOnce(*stub, *models, customers_, &found).ok());
  EXPECT_EQ(found, customers_.size());
  ASSERT_TRUE(ScoreOnce(*stub, *models, {"cust-unknown"}, &found).ok());
  EXPECT_EQ(found, 0u);
  const absl::Status bad = ScoreOnce(*stub, *models, {""}, nullptr);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument) << bad;
  EXPECT_THAT(bad.message(), HasSubstr("Score on the scorer"));

  // The load driver with batch 2 over ids the store does not know: scored on defaults.
  const KeyGenerator keys(KeyDistribution::kUniform, 100);
  RequestShape shape;
  shape.keys = &keys;
  shape.batch = 2;
  DriverOptions driver;
  driver.concurrency = 2;
  driver.warmup = absl::ZeroDuration();
  driver.duration = absl::Milliseconds(300);
  absl::StatusOr<RunResult> result = RunLoad(driver, GrpcScore(stub, *models, shape));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(result->ops, 0u);
  EXPECT_EQ(result->errors, 0u) << result->first_error;
}

TEST_F(ScoreWorkloadTest, NoModelLoadedIsAPreconditionAfterTheWait) {
  StartScorer();
  absl::StatusOr<v1::ListModelsResponse> loaded =
      WaitForModels(*ScorerStub(scorer_->address()), absl::ZeroDuration());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(loaded.status().message(), HasSubstr("cohort-train"));
}

TEST(StoreSizeTest, CountsSstAndWalFilesOnly) {
  testing::TempDir dir("bench-size");
  auto write = [&](const std::string& name, size_t bytes) {
    std::ofstream(dir.path() + "/" + name) << std::string(bytes, 'x');
  };
  write("000012.sst", 100);
  write("000013.sst", 50);
  write("000014.log", 7);
  write("MANIFEST-000005", 1000);
  write("OPTIONS-000007", 1000);
  absl::StatusOr<std::pair<uint64_t, uint64_t>> bytes = SstAndWalBytes(dir.path());
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->first, 150u);
  EXPECT_EQ(bytes->second, 7u);
  EXPECT_EQ(SstAndWalBytes(dir.path() + "/missing").status().code(), absl::StatusCode::kNotFound);
}

TEST(StoreSizeTest, Json) {
  StoreSize size;
  size.sst_bytes = 10;
  size.wal_bytes = 2;
  size.customers = 3;
  size.families = {{"aggregates", 8, 3}, {"history", 2, 3}};
  EXPECT_EQ(StoreSizeJson(size),
            "{\"kind\":\"store_size\",\"sst_bytes\":10,\"wal_bytes\":2,\"customers\":3,"
            "\"families\":{\"aggregates\":{\"bytes\":8,\"keys\":3},\"history\":{\"bytes\":2,"
            "\"keys\":3}}}");
}

TEST(MeanEventBytesTest, IsTheSizeOfARealisticEvent) {
  const double bytes = MeanEventBytes(200);
  EXPECT_GT(bytes, 50);
  EXPECT_LT(bytes, 200);
}

}  // namespace
}  // namespace cohort::bench
