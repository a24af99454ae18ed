// cohort.v1.Scoring Score/ListModels against a real scorer over two real store nodes, with
// small real models trained in the test: results, consent, validation, a node going down.
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scoring_test_util.h"

namespace cohort::scoring::test {
namespace {

using ::testing::HasSubstr;

TEST_F(ScoringTest, ScoresABatchWithEveryModel) {
  WriteAllModels();
  StartScorer();
  std::vector<std::string> ids = {"cust-0", "cust-5", "cust-6", "cust-7", "nobody-1"};
  v1::ScoreResponse response;
  grpc::Status status = Score(FullRequest(ids), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.customers_size(), 5);
  ASSERT_EQ(response.model_versions_size(), 3);
  EXPECT_EQ(response.model_versions(0).model(), "propensity_purchase_30d");
  EXPECT_EQ(response.model_versions(0).version(), 1u);
  EXPECT_EQ(response.model_versions(1).model(), "recommend");
  EXPECT_EQ(response.model_versions(2).model(), "segmentation");
  for (int i = 0; i < 4; ++i) {
    const v1::CustomerScores& c = response.customers(i);
    SCOPED_TRACE(c.customer_id());
    EXPECT_EQ(c.customer_id(), ids[static_cast<size_t>(i)]);
    EXPECT_EQ(c.status_code(), 0) << c.status_message();
    EXPECT_TRUE(c.personalized());
    EXPECT_TRUE(c.feature_status().customer_found());
    EXPECT_GT(c.feature_status().present(), 0u);
    const v1::RfmResult& rfm = c.segment().rfm();
    EXPECT_GE(rfm.recency(), 1);
    EXPECT_LE(rfm.recency(), 5);
    EXPECT_GE(rfm.frequency(), 1);
    EXPECT_GE(rfm.monetary(), 1);
    EXPECT_FALSE(rfm.segment().empty());
    EXPECT_EQ(rfm.code().size(), 3u);
    EXPECT_GE(c.segment().cluster_id(), 0);
    EXPECT_FALSE(c.segment().cluster_description().empty());
    ASSERT_EQ(c.propensities_size(), 1);
    const v1::PropensityResult& p = c.propensities(0);
    EXPECT_EQ(p.model(), "propensity_purchase_30d");
    EXPECT_GE(p.probability(), 0.0);
    EXPECT_LE(p.probability(), 1.0);
    ASSERT_EQ(p.top_features_size(), 2);
    std::set<std::string> names = {p.top_features(0).name(), p.top_features(1).name()};
    EXPECT_EQ(names, (std::set<std::string>{"purchases_30d", "recency_days"}));
    EXPECT_GE(std::abs(p.top_features(0).contribution()),
              std::abs(p.top_features(1).contribution()));
    ASSERT_GT(c.recommendations_size(), 0);
    EXPECT_LE(c.recommendations_size(), 3);
    for (const v1::RecommendedItem& item : c.recommendations()) {
      EXPECT_THAT(item.item_id(), HasSubstr("item-"));
      EXPECT_FALSE(item.because().empty());
    }
  }
  // Personalized recommendations explain themselves by history items.
  const v1::CustomerScores& c0 = response.customers(0);
  EXPECT_EQ(c0.recommendation_source(), "personalized");
  EXPECT_THAT(c0.recommendations(0).because(0), HasSubstr("item-"));
  // An unknown customer is flagged, scored on defaults.
  const v1::CustomerScores& nobody = response.customers(4);
  EXPECT_EQ(nobody.status_code(), 0);
  EXPECT_FALSE(nobody.feature_status().customer_found());
  EXPECT_GT(nobody.feature_status().not_found(), 0u);
}

TEST_F(ScoringTest, WithoutConsentOnlyNonPersonalizedResults) {
  WriteAllModels();
  StartScorer();
  v1::ScoreResponse response;
  grpc::Status status = Score(FullRequest({"cust-2", "cust-3", "cust-4"}, 5), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (int i = 0; i < 2; ++i) {
    const v1::CustomerScores& c = response.customers(i);
    SCOPED_TRACE(c.customer_id());
    EXPECT_EQ(c.status_code(), 0);
    EXPECT_FALSE(c.personalized());
    EXPECT_FALSE(c.has_segment());
    EXPECT_EQ(c.propensities_size(), 0);
    EXPECT_EQ(c.recommendation_source(), "popularity");
    ASSERT_EQ(c.recommendations_size(), 5);
    for (const v1::RecommendedItem& item : c.recommendations()) {
      ASSERT_EQ(item.because_size(), 1);
      EXPECT_EQ(item.because(0), "popular overall: no marketing consent");
    }
  }
  // Same non-personalized list for both: nothing about the customer was used.
  for (int j = 0; j < 5; ++j) {
    EXPECT_EQ(response.customers(0).recommendations(j).item_id(),
              response.customers(1).recommendations(j).item_id());
  }
  EXPECT_TRUE(response.customers(2).personalized());
}

TEST_F(ScoringTest, RecommendationsHonourExclusionsAndBoughtItems) {
  WriteAllModels();
  StartScorer();
  v1::ScoreRequest request;
  request.add_customer_ids("cust-4");
  request.mutable_recommendations()->set_k(10);
  request.mutable_recommendations()->add_exclude_items(Item(1));
  v1::ScoreResponse response;
  ASSERT_TRUE(Score(request, &response).ok());
  ASSERT_EQ(response.customers_size(), 1);
  // cust-4 bought item-4 (group 0, one purchase) and viewed item-1 (excluded by the request).
  for (const v1::RecommendedItem& item : response.customers(0).recommendations()) {
    EXPECT_NE(item.item_id(), Item(1));
    EXPECT_NE(item.item_id(), Item(4));
  }
  EXPECT_FALSE(response.customers(0).has_segment());  // not requested
}

TEST_F(ScoringTest, ListModelsDescribesLoadedVersions) {
  WriteAllModels();
  StartScorer();
  grpc::ClientContext context;
  v1::ListModelsResponse response;
  ASSERT_TRUE(stub_->ListModels(&context, v1::ListModelsRequest(), &response).ok());
  ASSERT_EQ(response.models_size(), 3);
  EXPECT_EQ(response.models(0).name(), "propensity_purchase_30d");
  EXPECT_EQ(response.models(0).kind(), "propensity");
  EXPECT_EQ(response.models(0).version(), 1u);
  EXPECT_EQ(response.models(0).features_size(), 2);
  EXPECT_EQ(response.models(0).metrics().at("auc"), 0.8);
  EXPECT_GT(response.models(0).loaded_at().seconds(), 0);
  EXPECT_EQ(response.models(1).name(), "recommend");
  EXPECT_EQ(response.models(2).name(), "segmentation");
}

TEST_F(ScoringTest, StoppedNodeFailsOnlyItsCustomers) {
  WriteAllModels();
  StartScorer();
  nodes_[1]->Shutdown();
  v1::ScoreResponse response;
  grpc::Status status = Score(FullRequest(customers_), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  int ok = 0;
  int failed = 0;
  for (const v1::CustomerScores& c : response.customers()) {
    SCOPED_TRACE(c.customer_id());
    if (OwnerOf(c.customer_id()) == 0) {
      EXPECT_EQ(c.status_code(), 0) << c.status_message();
      EXPECT_GT(c.recommendations_size(), 0);
      ++ok;
    } else {
      EXPECT_EQ(c.status_code(), static_cast<int>(grpc::StatusCode::UNAVAILABLE))
          << c.status_message();
      EXPECT_THAT(c.status_message(), HasSubstr("store-1"));
      EXPECT_EQ(c.recommendations_size(), 0);
      ++failed;
    }
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(failed, 0);
  // Scorer metrics: store-1's failed fetches, by code.
  const std::string page = Scrape(scorer_->metrics_address());
  EXPECT_GE(
      Sample(page, R"(cohort_scorer_fetch_errors_total{grpc_code="UNAVAILABLE",shard="store-1"})"),
      1);
  EXPECT_EQ(
      Sample(page, R"(cohort_scorer_fetch_errors_total{grpc_code="UNAVAILABLE",shard="store-0"})"),
      -1);
}

TEST_F(ScoringTest, RejectsBadRequestsWithTheRightCode) {
  StartScorer();
  v1::ScoreResponse response;
  // No model loaded yet.
  grpc::Status status = Score(FullRequest({"cust-0"}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("no model is loaded"));

  WriteAllModels();
  grpc::ClientContext context;
  v1::ReloadModelsResponse reloaded;
  ASSERT_TRUE(stub_->ReloadModels(&context, v1::ReloadModelsRequest(), &reloaded).ok());
  EXPECT_EQ(reloaded.models_size(), 3);

  struct Case {
    std::string name;
    v1::ScoreRequest request;
    std::vector<std::string> message_parts;
  };
  std::vector<Case> cases;
  {
    Case c{"empty", FullRequest({}), {"customer_ids is empty"}};
    cases.push_back(c);
  }
  {
    std::vector<std::string> many(1001, "cust-0");
    cases.push_back({"oversized", FullRequest(many), {"1001 ids", "at most 1000"}});
  }
  cases.push_back({"malformed id", FullRequest({"cust-0", ""}), {"customer_ids[1]"}});
  {
    v1::ScoreRequest r = FullRequest({"cust-0"});
    r.add_propensity_models("propensity_nope");
    cases.push_back({"unknown model",
                     r,
                     {"propensity_nope", "loaded models", "propensity_purchase_30d", "segmentation",
                      "recommend"}});
  }
  cases.push_back({"k zero", FullRequest({"cust-0"}, 0), {"recommendations.k is 0", "1..100"}});
  cases.push_back({"k too big", FullRequest({"cust-0"}, 101), {"recommendations.k is 101"}});
  {
    v1::ScoreRequest r;
    r.add_customer_ids("cust-0");
    cases.push_back({"no model requested", r, {"no model requested"}});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    grpc::Status s = Score(c.request, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    for (const std::string& part : c.message_parts) {
      EXPECT_THAT(s.error_message(), HasSubstr(part));
    }
  }
}

}  // namespace
}  // namespace cohort::scoring::test
