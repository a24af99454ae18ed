// The FeatureStore service's edge: every bad request is answered with the right gRPC code
// and a message that says what to fix, and nothing of it is stored; requests for
// partitions the node does not own fail whole, naming the owner and the shard-map epoch.
#include <cmath>
#include <limits>

#include "featurestore_test_node.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cohort::featurestore::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST_F(StoreNodeTest, BadEventsAreRejectedOneByOneAndNothingOfThemIsStored) {
  const std::string good = Customer(true, 0), nan_customer = Customer(true, 1),
                    inf_customer = Customer(true, 2), old_customer = Customer(true, 3),
                    future_customer = Customer(true, 4), no_time_customer = Customer(true, 5);
  v1::Event no_time = MakeEvent("e7", no_time_customer, now_, "view");
  no_time.clear_time();
  v1::IngestResponse response;
  grpc::Status status = Ingest(
      {MakeEvent("e0", good, now_ - absl::Hours(1), "purchase", 5.0),
       MakeEvent("e1", "", now_, "view"), MakeEvent("e2", std::string(129, 'x'), now_, "view"),
       MakeEvent("e3", nan_customer, now_, "purchase", std::nan("")),
       MakeEvent("e4", inf_customer, now_, "purchase", std::numeric_limits<double>::infinity()),
       MakeEvent("e5", old_customer, now_ - absl::Hours(24 * 800), "view"),
       MakeEvent("e6", future_customer, now_ + absl::Hours(24 * 3), "view"), no_time},
      &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.results_size(), 8);
  EXPECT_EQ(response.results(0).outcome(), v1::EventResult::OUTCOME_APPLIED);
  for (int i = 1; i < 8; ++i) {
    EXPECT_EQ(response.results(i).outcome(), v1::EventResult::OUTCOME_REJECTED) << i;
    EXPECT_FALSE(response.results(i).reason().empty()) << i;
  }
  EXPECT_THAT(response.results(1).reason(), HasSubstr("customer_id"));
  EXPECT_THAT(response.results(2).reason(), HasSubstr("customer_id"));
  EXPECT_THAT(response.results(3).reason(), HasSubstr("amount"));
  EXPECT_THAT(response.results(4).reason(), HasSubstr("amount"));
  EXPECT_THAT(response.results(5).reason(), HasSubstr("time"));
  EXPECT_THAT(response.results(6).reason(), HasSubstr("time"));
  EXPECT_THAT(response.results(7).reason(), HasSubstr("events[7].time is missing"));
  EXPECT_EQ(response.applied(), 1u);
  EXPECT_EQ(response.rejected(), 7u);

  EXPECT_TRUE(Known(good));
  for (const std::string& id :
       {nan_customer, inf_customer, old_customer, future_customer, no_time_customer}) {
    EXPECT_FALSE(Known(id)) << id;
  }
}

TEST_F(StoreNodeTest, InvalidReadsAreInvalidArgumentNamingTheField) {
  v1::GetFeaturesResponse features;
  grpc::Status status = GetFeatures({Customer(true), ""}, {}, &features);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("customer_ids[1]"));

  status = GetFeatures({std::string(129, 'a')}, {}, &features);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("customer_ids[0]"));

  status = GetFeatures({}, {}, &features);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("customer_ids is empty"));

  status = GetFeatures(std::vector<std::string>(1001, Customer(true)), {}, &features);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("at most 1000"));

  status = GetFeatures({Customer(true)}, {"purchases_30d", "no_such_feature"}, &features);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("no_such_feature"));

  v1::GetFeaturesRequest request;
  request.add_customer_ids(Customer(true));
  *request.mutable_as_of() = Ts(now_ - absl::Hours(24 * 1000));  // beyond 730 days
  status = stub_->GetFeatures(Context().get(), request, &features);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_FALSE(status.error_message().empty());
  request.mutable_as_of()->set_nanos(-1);
  status = stub_->GetFeatures(Context().get(), request, &features);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("as_of.nanos"));

  v1::GetProfileRequest profile_request;
  v1::GetProfileResponse profile;
  status = stub_->GetProfile(Context().get(), profile_request, &profile);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("customer_id"));
}

TEST_F(StoreNodeTest, OversizedBatchIsRefusedWhole) {
  const std::string alice = Customer(true);
  std::vector<v1::Event> events;
  for (int i = 0; i < 10001; ++i) {
    events.push_back(MakeEvent(absl::StrCat("e", i), alice, now_ - absl::Hours(1), "view"));
  }
  v1::IngestResponse response;
  grpc::Status status = Ingest(events, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), AllOf(HasSubstr("10001 events"), HasSubstr("10000")));
  EXPECT_FALSE(Known(alice));

  v1::UpsertAttributesRequest upsert;
  for (int i = 0; i < 1001; ++i) upsert.add_customers()->set_customer_id(alice);
  v1::UpsertAttributesResponse upserted;
  status = stub_->UpsertAttributes(Context().get(), upsert, &upserted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("at most 1000"));

  v1::IngestRequest bad_durability;
  bad_durability.set_durability(static_cast<v1::Durability>(7));
  status = stub_->Ingest(Context().get(), bad_durability, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("durability 7"));
}

TEST_F(StoreNodeTest, ForeignPartitionFailsTheWholeRequestNamingTheEpoch) {
  const std::string mine = Customer(true), foreign = Customer(false);
  const std::string expected =
      absl::StrCat("partition ", PartitionOf(foreign, kPartitions), " of customer '", foreign,
                   "' is owned by node store-1, not store-0, at shard-map epoch 3; reload the "
                   "shard map and retry");
  v1::IngestResponse response;
  grpc::Status status = Ingest({MakeEvent("e1", mine, now_ - absl::Hours(1), "view"),
                                MakeEvent("e2", foreign, now_ - absl::Hours(1), "view")},
                               &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), expected);
  EXPECT_FALSE(Known(mine));

  v1::GetFeaturesResponse features;
  status = GetFeatures({mine, foreign}, {}, &features);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), expected);

  v1::GetProfileRequest profile_request;
  profile_request.set_customer_id(foreign);
  v1::GetProfileResponse profile;
  status = stub_->GetProfile(Context().get(), profile_request, &profile);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  v1::EraseCustomerRequest erase;
  erase.set_customer_id(foreign);
  v1::EraseCustomerResponse erased;
  status = stub_->EraseCustomer(Context().get(), erase, &erased);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  v1::UpsertAttributesRequest upsert;
  for (const std::string& id : {mine, foreign}) {
    v1::CustomerAttributes* c = upsert.add_customers();
    c->set_customer_id(id);
    v1::Attribute* a = c->add_attributes();
    a->set_name("tier");
    a->mutable_value()->set_string_value("gold");
    *a->mutable_event_time() = Ts(now_ - absl::Hours(1));
  }
  v1::UpsertAttributesResponse upserted;
  status = stub_->UpsertAttributes(Context().get(), upsert, &upserted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), expected);
  EXPECT_FALSE(Known(mine));

  v1::ExportRequest export_request;
  export_request.set_partition_begin(10);
  export_request.set_partition_end(20);
  std::unique_ptr<grpc::ClientContext> context = Context();
  auto reader = stub_->Export(context.get(), export_request);
  v1::ExportResponse message;
  while (reader->Read(&message)) {
  }
  status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), AllOf(HasSubstr("partition 16"), HasSubstr("epoch 3")));
}

TEST_F(StoreNodeTest, ANewShardMapIsPickedUpWithoutRestart) {
  const std::string foreign = Customer(false);
  WriteMap(R"({"epoch": 4, "partitions": 64, "nodes": [
    {"id": "store-0", "address": "127.0.0.1:7100", "ranges": [{"begin": 0, "end": 64}]}]})");
  v1::NodeInfoResponse info;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  do {
    ASSERT_TRUE(stub_->NodeInfo(Context().get(), v1::NodeInfoRequest(), &info).ok());
    if (info.shard_map_epoch() == 4) break;
    absl::SleepFor(absl::Milliseconds(10));
  } while (absl::Now() < deadline);
  ASSERT_EQ(info.shard_map_epoch(), 4u);
  ASSERT_EQ(info.owned_size(), 1);
  EXPECT_EQ(info.owned(0).end(), 64u);

  v1::IngestResponse response;
  grpc::Status status =
      Ingest({MakeEvent("e1", foreign, now_ - absl::Hours(1), "view")}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(Known(foreign));
}

TEST_F(StoreNodeTest, AttributesNeedAValueAndAnEventTime) {
  v1::UpsertAttributesRequest upsert;
  v1::CustomerAttributes* c = upsert.add_customers();
  c->set_customer_id(Customer(true));
  v1::Attribute* a = c->add_attributes();
  a->set_name("tier");
  *a->mutable_event_time() = Ts(now_);
  v1::UpsertAttributesResponse upserted;
  grpc::Status status = stub_->UpsertAttributes(Context().get(), upsert, &upserted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("customers[0].attributes[0].value"));
  a->mutable_value()->set_int_value(3);
  a->clear_event_time();
  status = stub_->UpsertAttributes(Context().get(), upsert, &upserted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("customers[0].attributes[0].event_time"));
  c->set_customer_id("");
  status = stub_->UpsertAttributes(Context().get(), upsert, &upserted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("customers[0].customer_id"));
}

TEST_F(StoreNodeTest, CheckpointNeedsAnAbsoluteNewDirectory) {
  v1::CheckpointRequest request;
  request.set_directory("relative/backup");
  v1::CheckpointResponse response;
  grpc::Status status = stub_->Checkpoint(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("absolute"));

  const std::string target = (dir_ / "backup").string();
  request.set_directory(target);
  status = stub_->Checkpoint(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.directory(), target);
  EXPECT_TRUE(std::filesystem::is_directory(target));
}

}  // namespace
}  // namespace cohort::featurestore::test
