// ShardRouter::GetFeaturesPartial (the scorer's fetch): with every node up it answers like
// GetFeatures; with one node down the other nodes' ids are answered and the down node's ids
// carry its error, per id, plus one NodeCall per sub-request.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scoring_test_util.h"

namespace cohort::scoring::test {
namespace {

using ::testing::HasSubstr;

TEST_F(ScoringTest, PartialFetchAnswersLikeGetFeaturesWhenAllNodesServe) {
  absl::StatusOr<std::unique_ptr<ShardRouter>> router =
      ShardRouter::Create((dir_ / "shard_map.json").string());
  ASSERT_TRUE(router.ok()) << router.status();
  const std::vector<std::string> features = {"purchases_365d", "marketing_consent"};
  absl::StatusOr<ShardRouter::FeaturesResponse> full = (*router)->GetFeatures(customers_, features);
  ASSERT_TRUE(full.ok()) << full.status();
  absl::StatusOr<ShardRouter::PartialFeatures> partial =
      (*router)->GetFeaturesPartial(customers_, features, {}, absl::Seconds(5));
  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_EQ(partial->response->SerializeAsString(), (*full)->SerializeAsString());
  ASSERT_EQ(partial->statuses.size(), customers_.size());
  for (const absl::Status& s : partial->statuses) EXPECT_TRUE(s.ok()) << s;
  ASSERT_EQ(partial->calls.size(), 2u);
  size_t ids = 0;
  for (const auto& call : partial->calls) {
    EXPECT_TRUE(call.status.ok());
    EXPECT_GT(call.latency, absl::ZeroDuration());
    ids += call.ids;
  }
  EXPECT_EQ(ids, customers_.size());
}

TEST_F(ScoringTest, PartialFetchReportsADownNodePerId) {
  absl::StatusOr<std::unique_ptr<ShardRouter>> router =
      ShardRouter::Create((dir_ / "shard_map.json").string());
  ASSERT_TRUE(router.ok()) << router.status();
  nodes_[1]->Shutdown();
  // GetFeatures fails as a whole...
  absl::StatusOr<ShardRouter::FeaturesResponse> full =
      (*router)->GetFeatures(customers_, {"purchases_365d"});
  EXPECT_FALSE(full.ok());
  // ...the partial variant answers store-0's customers.
  absl::StatusOr<ShardRouter::PartialFeatures> partial =
      (*router)->GetFeaturesPartial(customers_, {"purchases_365d"});
  ASSERT_TRUE(partial.ok()) << partial.status();
  ASSERT_EQ(partial->response->vectors_size(), static_cast<int>(customers_.size()));
  ASSERT_EQ(partial->response->feature_names_size(), 1);
  int down = 0;
  for (size_t i = 0; i < customers_.size(); ++i) {
    SCOPED_TRACE(customers_[i]);
    const v1::FeatureVector& vector = partial->response->vectors(static_cast<int>(i));
    EXPECT_EQ(vector.customer_id(), customers_[i]);
    if (OwnerOf(customers_[i]) == 0) {
      EXPECT_TRUE(partial->statuses[i].ok()) << partial->statuses[i];
      EXPECT_TRUE(vector.found());
      EXPECT_EQ(vector.values_size(), 1);
    } else {
      ++down;
      EXPECT_EQ(partial->statuses[i].code(), absl::StatusCode::kUnavailable);
      EXPECT_THAT(partial->statuses[i].message(), HasSubstr("node store-1"));
      EXPECT_EQ(vector.values_size(), 0);
    }
  }
  EXPECT_GT(down, 0);
  int failed_calls = 0;
  for (const auto& call : partial->calls) failed_calls += call.status.ok() ? 0 : 1;
  EXPECT_EQ(failed_calls, 1);
  // Validation still fails the whole call, naming the position.
  absl::StatusOr<ShardRouter::PartialFeatures> bad =
      (*router)->GetFeaturesPartial({"cust-0", ""}, {});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("customer_ids[1]"));
}

}  // namespace
}  // namespace cohort::scoring::test
