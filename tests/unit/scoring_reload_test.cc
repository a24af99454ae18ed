// Hot model reload of a real scorer: new versions picked up by ReloadModels and by polling
// while a client keeps calling Score (zero failed calls); corrupt or incompatible versions
// refused (logged, counted in cohort_model_reloads_total) while the old version serves.
#include <atomic>
#include <fstream>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scoring_test_util.h"

namespace cohort::scoring::test {
namespace {

using ::testing::HasSubstr;

constexpr char kModel[] = "propensity_purchase_30d";

class ScoringReloadTest : public ScoringTest {
 protected:
  v1::ScoreRequest PropensityRequest() {
    v1::ScoreRequest request;
    request.add_customer_ids("cust-0");
    request.add_customer_ids("cust-1");
    request.add_propensity_models(kModel);
    return request;
  }

  // The version of kModel the scorer used for one call, 0 on failure.
  uint64_t ScoredVersion() {
    v1::ScoreResponse response;
    if (!Score(PropensityRequest(), &response).ok()) return 0;
    return response.model_versions_size() == 1 ? response.model_versions(0).version() : 0;
  }

  // A client calling Score in a loop until Stop(); counts failures.
  class ClientLoop {
   public:
    explicit ClientLoop(ScoringReloadTest& test) {
      thread_ = std::thread([this, &test] {
        while (!stop_.load()) {
          v1::ScoreResponse response;
          grpc::Status status = test.Score(test.PropensityRequest(), &response);
          calls_.fetch_add(1);
          bool ok = status.ok() && response.customers_size() == 2 &&
                    response.customers(0).status_code() == 0 &&
                    response.customers(0).propensities_size() == 1;
          if (!ok) failures_.fetch_add(1);
        }
      });
    }
    // Stops the loop; returns {calls, failures}.
    std::pair<int, int> Stop() {
      stop_.store(true);
      thread_.join();
      return {calls_.load(), failures_.load()};
    }
    int calls() const { return calls_.load(); }

   private:
    std::atomic<bool> stop_{false};
    std::atomic<int> calls_{0};
    std::atomic<int> failures_{0};
    std::thread thread_;
  };

  v1::ReloadModelsResponse Reload() {
    grpc::ClientContext context;
    v1::ReloadModelsResponse response;
    grpc::Status status = stub_->ReloadModels(&context, v1::ReloadModelsRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
};

TEST_F(ScoringReloadTest, ReloadModelsPicksUpANewVersionWithoutFailedCalls) {
  WriteAllModels();
  StartScorer();
  ASSERT_EQ(ScoredVersion(), 1u);
  ClientLoop client(*this);
  while (client.calls() < 5) std::this_thread::yield();
  WritePropensity(models_dir_, kModel, 2.0);
  v1::ReloadModelsResponse reloaded = Reload();
  ASSERT_EQ(reloaded.outcomes_size(), 1);
  EXPECT_EQ(reloaded.outcomes(0).model(), kModel);
  EXPECT_EQ(reloaded.outcomes(0).version(), 2u);
  EXPECT_TRUE(reloaded.outcomes(0).loaded()) << reloaded.outcomes(0).error();
  EXPECT_EQ(ScoredVersion(), 2u);  // every call after the reload uses the new version
  const int before = client.calls();
  while (client.calls() < before + 5) std::this_thread::yield();
  auto [calls, failures] = client.Stop();
  EXPECT_GT(calls, 10);
  EXPECT_EQ(failures, 0);
  const std::string page = Scrape(scorer_->metrics_address());
  EXPECT_EQ(Sample(page, absl::StrCat(R"(cohort_model_info{model="propensity_purchase_30d",)",
                                      R"(version="2"})")),
            1);
  // The scorer's other series (docs/metrics.md) saw the calls.
  EXPECT_THAT(page, HasSubstr(R"(cohort_build_info{component="scorer")"));
  EXPECT_THAT(page, HasSubstr("process_start_time_seconds"));
  EXPECT_GT(
      Sample(page, R"(cohort_model_inference_seconds_count{model="propensity_purchase_30d"})"), 10);
  EXPECT_GT(Sample(page, R"(cohort_model_score_count{model="propensity_purchase_30d"})"), 20);
  EXPECT_GT(Sample(page, R"(cohort_scorer_fetch_seconds_count{shard="store-0"})") +
                Sample(page, R"(cohort_scorer_fetch_seconds_count{shard="store-1"})"),
            10);
  EXPECT_GT(Sample(page, absl::StrCat(R"(cohort_grpc_server_handled_total{grpc_code="OK",)",
                                      R"(grpc_method="Score",grpc_service="cohort.v1.Scoring"})")),
            10);
  EXPECT_EQ(Sample(page, absl::StrCat(R"(cohort_model_info{model="propensity_purchase_30d",)",
                                      R"(version="1"})")),
            -1);
}

TEST_F(ScoringReloadTest, PollingPicksUpANewVersionWithoutFailedCalls) {
  WriteAllModels();
  StartScorer(absl::Milliseconds(20));
  ASSERT_EQ(ScoredVersion(), 1u);
  ClientLoop client(*this);
  WritePropensity(models_dir_, kModel, 2.0);
  // The poller loads it within a few intervals; wait for the client-visible effect.
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  uint64_t version = 0;
  while ((version = ScoredVersion()) != 2 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(version, 2u);
  auto [calls, failures] = client.Stop();
  EXPECT_GT(calls, 0);
  EXPECT_EQ(failures, 0);
}

TEST_F(ScoringReloadTest, CorruptVersionIsRefusedAndTheOldOneServes) {
  WriteAllModels();
  StartScorer();
  models::artifacts::ModelManifest v2 = WritePropensity(models_dir_, kModel, 2.0);
  ASSERT_EQ(v2.version(), 2u);
  {
    // Same size, different bytes: the checksum no longer matches.
    const std::string path = models_dir_ + "/" + kModel + "/2/model.bin";
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(10);
    file.put('\x5a');
    file.put('\xa5');
  }
  v1::ReloadModelsResponse reloaded = Reload();
  ASSERT_EQ(reloaded.outcomes_size(), 1);
  EXPECT_EQ(reloaded.outcomes(0).version(), 2u);
  EXPECT_FALSE(reloaded.outcomes(0).loaded());
  EXPECT_THAT(reloaded.outcomes(0).error(), HasSubstr("model.bin"));
  EXPECT_EQ(ScoredVersion(), 1u);
  // Refused once, not retried by later scans.
  EXPECT_EQ(Reload().outcomes_size(), 0);
  const std::string page = Scrape(scorer_->metrics_address());
  EXPECT_EQ(
      Sample(page, absl::StrCat(R"(cohort_model_reloads_total{model="propensity_purchase_30d",)",
                                R"(result="failure"})")),
      1);
  EXPECT_EQ(
      Sample(page, absl::StrCat(R"(cohort_model_reloads_total{model="propensity_purchase_30d",)",
                                R"(result="success"})")),
      1);
  // A later good version is taken.
  WritePropensity(models_dir_, kModel, 3.0);
  reloaded = Reload();
  ASSERT_EQ(reloaded.outcomes_size(), 1);
  EXPECT_EQ(reloaded.outcomes(0).version(), 3u);
  EXPECT_TRUE(reloaded.outcomes(0).loaded());
  EXPECT_EQ(ScoredVersion(), 3u);
}

TEST_F(ScoringReloadTest, IncompatibleVersionsAreRefused) {
  WriteAllModels();
  StartScorer();
  {
    // A feature the store does not serve.
    models::artifacts::ModelManifest manifest;
    manifest.set_model(kModel);
    manifest.set_kind("propensity");
    manifest.add_features("purchases_30d");
    manifest.add_features("shoe_size");
    ASSERT_TRUE(models::artifacts::WriteVersion(models_dir_, manifest, {{"model.bin", "x"}}).ok());
  }
  {
    // A segmentation version without its clusters file.
    models::artifacts::ModelManifest manifest;
    manifest.set_model("segmentation");
    manifest.set_kind("segmentation");
    ASSERT_TRUE(models::artifacts::WriteVersion(models_dir_, manifest, {{"rfm.bin", "x"}}).ok());
  }
  v1::ReloadModelsResponse reloaded = Reload();
  ASSERT_EQ(reloaded.outcomes_size(), 2);
  EXPECT_EQ(reloaded.outcomes(0).model(), kModel);
  EXPECT_FALSE(reloaded.outcomes(0).loaded());
  EXPECT_THAT(reloaded.outcomes(0).error(), HasSubstr("shoe_size"));
  EXPECT_EQ(reloaded.outcomes(1).model(), "segmentation");
  EXPECT_FALSE(reloaded.outcomes(1).loaded());
  for (const v1::ModelInfo& model : reloaded.models()) EXPECT_EQ(model.version(), 1u);
  v1::ScoreResponse response;
  v1::ScoreRequest request = FullRequest({"cust-0"});
  ASSERT_TRUE(Score(request, &response).ok());
  EXPECT_EQ(response.customers(0).status_code(), 0);
  for (const v1::ModelVersion& v : response.model_versions()) EXPECT_EQ(v.version(), 1u);
}

}  // namespace
}  // namespace cohort::scoring::test
