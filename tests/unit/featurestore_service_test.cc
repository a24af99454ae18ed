// The FeatureStore gRPC service end to end: ingest and read back, streams, export, erase,
// profiles, node information, health, drain. Bad input: featurestore_validation_test.cc.
#include <atomic>
#include <cmath>
#include <map>
#include <set>
#include <thread>

#include "featurestore_test_node.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/featurestore/request_handler.h"

namespace cohort::featurestore::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST_F(StoreNodeTest, IngestThenGetFeaturesRoundTrip) {
  const std::string alice = Customer(true, 0), bob = Customer(true, 1);
  v1::IngestResponse response;
  grpc::Status status = Ingest({MakeEvent("e1", alice, now_ - absl::Hours(30), "purchase", 10.0),
                                MakeEvent("e2", alice, now_ - absl::Hours(50), "purchase", 20.5),
                                MakeEvent("e3", alice, now_ - absl::Hours(2), "view")},
                               &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.results_size(), 3);
  for (const v1::EventResult& r : response.results()) {
    EXPECT_EQ(r.outcome(), v1::EventResult::OUTCOME_APPLIED) << r.reason();
  }
  EXPECT_EQ(response.applied(), 3u);

  v1::GetFeaturesResponse features;
  status = GetFeatures({alice, bob, alice}, {"purchases_30d", "spend_30d"}, &features);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_THAT(features.feature_names(), ::testing::ElementsAre("purchases_30d", "spend_30d"));
  ASSERT_EQ(features.vectors_size(), 3);
  for (int i : {0, 2}) {
    const v1::FeatureVector& v = features.vectors(i);
    EXPECT_EQ(v.customer_id(), alice);
    EXPECT_TRUE(v.found());
    ASSERT_EQ(v.values_size(), 2);
    EXPECT_EQ(Number(v.values(0)), 2);
    EXPECT_DOUBLE_EQ(Number(v.values(1)), 30.5);
    EXPECT_EQ(v.values(0).status(), v1::FEATURE_STATUS_PRESENT);
  }
  EXPECT_EQ(features.vectors(1).customer_id(), bob);
  EXPECT_FALSE(features.vectors(1).found());
  EXPECT_EQ(features.vectors(1).values(0).status(), v1::FEATURE_STATUS_NOT_FOUND);

  // Replaying the batch changes nothing.
  status = Ingest({MakeEvent("e1", alice, now_ - absl::Hours(30), "purchase", 10.0)}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.results(0).outcome(), v1::EventResult::OUTCOME_DUPLICATE);
  EXPECT_EQ(response.duplicates(), 1u);
  status = GetFeatures({alice}, {"purchases_30d"}, &features);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(Number(features.vectors(0).values(0)), 2);

  // Every registry feature when none is named.
  status = GetFeatures({alice}, {}, &features);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::ListFeaturesResponse list;
  ASSERT_TRUE(stub_->ListFeatures(Context().get(), v1::ListFeaturesRequest(), &list).ok());
  ASSERT_EQ(features.feature_names_size(), list.features_size());
  EXPECT_EQ(features.vectors(0).values_size(), list.features_size());
}

// VALUE_LAYOUT_PACKED carries the values VALUE_LAYOUT_MESSAGES does, every type included.
TEST_F(StoreNodeTest, PackedLayoutCarriesWhatMessagesCarry) {
  const std::string alice = Customer(true, 0), nobody = Customer(true, 1);
  v1::IngestResponse ingested;
  ASSERT_TRUE(Ingest({MakeEvent("p1", alice, now_ - absl::Hours(30), "purchase", 10.0),
                      MakeEvent("p2", alice, now_ - absl::Hours(3), "view")},
                     &ingested)
                  .ok());
  v1::UpsertAttributesRequest upsert;
  v1::CustomerAttributes* c = upsert.add_customers();
  c->set_customer_id(alice);
  const auto attribute = [&](const std::string& name) {
    v1::Attribute* a = c->add_attributes();
    a->set_name(name);
    *a->mutable_event_time() = Ts(now_ - absl::Hours(5));
    return a->mutable_value();
  };
  attribute("loyalty_tier")->set_string_value("gold");
  attribute("marketing_consent")->set_bool_value(true);
  attribute("birth_year")->set_int_value(1984);
  v1::UpsertAttributesResponse upserted;
  ASSERT_TRUE(stub_->UpsertAttributes(Context().get(), upsert, &upserted).ok());

  v1::GetFeaturesRequest request;
  for (const std::string& id : {alice, nobody, alice}) request.add_customer_ids(id);
  v1::GetFeaturesResponse messages, packed;
  ASSERT_TRUE(stub_->GetFeatures(Context().get(), request, &messages).ok());
  EXPECT_EQ(messages.feature_types_size(), 0);
  request.set_layout(v1::VALUE_LAYOUT_PACKED);
  grpc::Status status = stub_->GetFeatures(Context().get(), request, &packed);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::ListFeaturesResponse list;
  ASSERT_TRUE(stub_->ListFeatures(Context().get(), v1::ListFeaturesRequest(), &list).ok());
  ASSERT_EQ(packed.feature_types_size(), list.features_size());
  for (int f = 0; f < list.features_size(); ++f) {
    EXPECT_EQ(packed.feature_names(f), list.features(f).name());
    EXPECT_EQ(packed.feature_types(f), list.features(f).type());
  }
  std::set<std::string> present_types;
  ASSERT_EQ(packed.vectors_size(), 3);
  for (int i = 0; i < 3; ++i) {
    const v1::FeatureVector& m = messages.vectors(i);
    const v1::FeatureVector& p = packed.vectors(i);
    EXPECT_EQ(p.customer_id(), m.customer_id());
    EXPECT_EQ(p.found(), m.found());
    EXPECT_EQ(p.values_size(), 0);
    ASSERT_EQ(p.statuses_size(), m.values_size());
    int doubles = 0, ints = 0, bools = 0, strings = 0;
    for (int f = 0; f < m.values_size(); ++f) {
      const v1::FeatureValue& want = m.values(f);
      EXPECT_EQ(p.statuses(f), want.status()) << packed.feature_names(f);
      if (want.status() == v1::FEATURE_STATUS_PRESENT)
        present_types.insert(packed.feature_types(f));
      const std::string& type = packed.feature_types(f);
      if (type == "double") {
        ASSERT_LT(doubles, p.doubles_size());
        // Near: day counts since an event (recency_days) move with the clock between calls.
        EXPECT_NEAR(p.doubles(doubles++), want.double_value(), 1e-6) << packed.feature_names(f);
      } else if (type == "int64") {
        ASSERT_LT(ints, p.ints_size());
        EXPECT_EQ(p.ints(ints++), want.int_value()) << packed.feature_names(f);
      } else if (type == "bool") {
        ASSERT_LT(bools, p.bools_size());
        EXPECT_EQ(p.bools(bools++), want.bool_value()) << packed.feature_names(f);
      } else {
        ASSERT_EQ(type, "string");
        ASSERT_LT(strings, p.strings_size());
        EXPECT_EQ(p.strings(strings++), want.string_value()) << packed.feature_names(f);
      }
    }
    EXPECT_EQ(doubles, p.doubles_size());
    EXPECT_EQ(ints, p.ints_size());
    EXPECT_EQ(bools, p.bools_size());
    EXPECT_EQ(strings, p.strings_size());
  }
  // Alice has a stored value of every type.
  EXPECT_THAT(present_types, ::testing::ElementsAre("bool", "double", "int64", "string"));

  request.set_layout(static_cast<v1::ValueLayout>(7));
  status = stub_->GetFeatures(Context().get(), request, &packed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("VALUE_LAYOUT_PACKED"));
}

// Compact folds a customer's events and attributes (separate merge operands until then) into
// one record; reads answer the same before and after, and the node reports its size.
TEST_F(StoreNodeTest, CompactKeepsWhatReadsAnswer) {
  std::vector<v1::Event> events;
  v1::UpsertAttributesRequest upsert;
  for (int i = 0; i < 20; ++i) {
    const std::string id = Customer(true, i);
    events.push_back(MakeEvent(absl::StrCat("c", i), id, now_ - absl::Hours(i), "purchase", i));
    v1::Attribute* a = upsert.add_customers()->add_attributes();
    upsert.mutable_customers(i)->set_customer_id(id);
    a->set_name("loyalty_tier");
    a->mutable_value()->set_string_value(i % 2 == 0 ? "gold" : "silver");
    *a->mutable_event_time() = Ts(now_ - absl::Hours(1));
  }
  v1::IngestResponse ingested;
  ASSERT_TRUE(Ingest(events, &ingested).ok());
  v1::UpsertAttributesResponse upserted;
  ASSERT_TRUE(stub_->UpsertAttributes(Context().get(), upsert, &upserted).ok());

  v1::GetFeaturesRequest request;
  for (int i = 0; i < 20; ++i) request.add_customer_ids(Customer(true, i));
  *request.mutable_as_of() = Ts(now_);
  v1::GetFeaturesResponse before, after;
  ASSERT_TRUE(stub_->GetFeatures(Context().get(), request, &before).ok());

  v1::CompactResponse compacted;
  grpc::Status status = stub_->Compact(Context().get(), v1::CompactRequest(), &compacted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GE(compacted.seconds(), 0);
  EXPECT_GT(compacted.live_data_bytes(), 0u);
  ASSERT_TRUE(stub_->GetFeatures(Context().get(), request, &after).ok());
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
  int tier = -1;
  for (int f = 0; f < before.feature_names_size(); ++f) {
    if (before.feature_names(f) == "loyalty_tier") tier = f;
  }
  ASSERT_GE(tier, 0);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(after.vectors(i).values(tier).string_value(), i % 2 == 0 ? "gold" : "silver");
  }
}

TEST_F(StoreNodeTest, IngestStreamAcksEveryBatchInOrder) {
  const std::string alice = Customer(true), foreign = Customer(false);
  std::unique_ptr<grpc::ClientContext> context = Context();
  auto stream = stub_->IngestStream(context.get());
  const int kBatches = 6;
  for (int b = 0; b < kBatches; ++b) {
    v1::IngestRequest batch;
    batch.set_sequence(100 + b);
    // Batch 3 touches a foreign partition: its ack carries the error, the stream goes on.
    const std::string& customer = b == 3 ? foreign : alice;
    *batch.add_events() =
        MakeEvent(absl::StrCat("s", b), customer, now_ - absl::Hours(1), "purchase", 1.0);
    *batch.add_events() =
        MakeEvent(absl::StrCat("s", b, "-dup"), customer, now_ - absl::Hours(1), "view");
    ASSERT_TRUE(stream->Write(batch));
  }
  ASSERT_TRUE(stream->WritesDone());
  v1::IngestResponse ack;
  for (int b = 0; b < kBatches; ++b) {
    ASSERT_TRUE(stream->Read(&ack)) << b;
    EXPECT_EQ(ack.sequence(), static_cast<uint64_t>(100 + b));
    if (b == 3) {
      EXPECT_EQ(ack.error_code(), static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
      EXPECT_THAT(ack.error_message(), HasSubstr("epoch 3"));
      EXPECT_EQ(ack.results_size(), 0);
    } else {
      EXPECT_EQ(ack.error_code(), 0) << ack.error_message();
      EXPECT_EQ(ack.applied(), 2u);
    }
  }
  EXPECT_FALSE(stream->Read(&ack));
  grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();

  v1::GetFeaturesResponse features;
  ASSERT_TRUE(GetFeatures({alice}, {"purchases_30d"}, &features).ok());
  EXPECT_EQ(Number(features.vectors(0).values(0)), kBatches - 1);
}

TEST_F(StoreNodeTest, ExportStreamsEveryCustomerExactlyOnce) {
  {
    // An export of an empty store still names its columns.
    v1::ExportRequest request;
    request.set_partition_begin(40);
    request.set_partition_end(41);
    request.add_features("spend_30d");
    v1::ExportResponse message;
    std::unique_ptr<grpc::ClientContext> empty_context = Context();
    auto empty_reader = stub_->Export(empty_context.get(), request);
    int messages = 0;
    while (empty_reader->Read(&message)) {
      ++messages;
      EXPECT_THAT(message.feature_names(), ::testing::ElementsAre("spend_30d"));
    }
    EXPECT_TRUE(empty_reader->Finish().ok());
    EXPECT_EQ(messages, 1);
  }

  std::set<std::string> customers;
  std::vector<v1::Event> events;
  for (int i = 0; i < 60; ++i) {
    std::string id = Customer(true, i);
    customers.insert(id);
    events.push_back(MakeEvent(absl::StrCat("x", i), id, now_ - absl::Hours(3), "purchase", i));
  }
  v1::IngestResponse ingested;
  ASSERT_TRUE(Ingest(events, &ingested).ok());
  ASSERT_EQ(ingested.applied(), 60u);

  std::multiset<std::string> exported;
  for (auto [begin, end] : {std::pair<uint32_t, uint32_t>{0, 16}, {32, 48}}) {
    v1::ExportRequest request;
    request.set_partition_begin(begin);
    request.set_partition_end(end);
    request.add_features("purchases_30d");
    request.set_rows_per_message(7);
    std::unique_ptr<grpc::ClientContext> context = Context();
    auto reader = stub_->Export(context.get(), request);
    v1::ExportResponse message;
    int messages = 0;
    while (reader->Read(&message)) {
      if (messages++ == 0) {
        EXPECT_THAT(message.feature_names(), ::testing::ElementsAre("purchases_30d"));
      } else {
        EXPECT_EQ(message.feature_names_size(), 0);
      }
      EXPECT_LE(message.rows_size(), 7);
      for (const v1::FeatureVector& row : message.rows()) {
        exported.insert(row.customer_id());
        EXPECT_TRUE(row.found());
        EXPECT_EQ(Number(row.values(0)), 1);
        uint32_t p = PartitionOf(row.customer_id(), kPartitions);
        EXPECT_TRUE(p >= begin && p < end) << row.customer_id();
      }
    }
    grpc::Status status = reader->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_GE(messages, 1);
  }
  EXPECT_EQ(exported.size(), customers.size());
  EXPECT_EQ(std::set<std::string>(exported.begin(), exported.end()), customers);
}

TEST_F(StoreNodeTest, ACancelledExportStopsAndTheNodeGoesOn) {
  std::vector<v1::Event> events;
  for (int i = 0; i < 200; ++i) {
    events.push_back(
        MakeEvent(absl::StrCat("x", i), Customer(true, i), now_ - absl::Hours(3), "view"));
  }
  v1::IngestResponse ingested;
  ASSERT_TRUE(Ingest(events, &ingested).ok());
  v1::ExportRequest request;
  request.set_partition_begin(0);
  request.set_partition_end(16);
  request.set_rows_per_message(1);
  std::unique_ptr<grpc::ClientContext> context = Context();
  auto reader = stub_->Export(context.get(), request);
  v1::ExportResponse message;
  ASSERT_TRUE(reader->Read(&message));
  EXPECT_GT(message.feature_names_size(), 0);
  context->TryCancel();
  while (reader->Read(&message)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  v1::NodeInfoResponse info;
  EXPECT_TRUE(stub_->NodeInfo(Context().get(), v1::NodeInfoRequest(), &info).ok());
}

TEST_F(StoreNodeTest, ConcurrentClientsAllLand) {
  constexpr int kThreads = 8, kRequests = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRequests; ++r) {
        v1::IngestResponse response;
        grpc::Status status = Ingest({MakeEvent(absl::StrCat("t", t, "-", r), Customer(true, t),
                                                now_ - absl::Hours(2), "purchase", 1.0)},
                                     &response);
        if (!status.ok() || response.applied() != 1) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::vector<std::string> ids;
  for (int t = 0; t < kThreads; ++t) ids.push_back(Customer(true, t));
  v1::GetFeaturesResponse features;
  ASSERT_TRUE(GetFeatures(ids, {"purchases_30d"}, &features).ok());
  for (const v1::FeatureVector& v : features.vectors()) EXPECT_EQ(Number(v.values(0)), kRequests);
}

TEST_F(StoreNodeTest, ShutdownCancelsStreamsThatOutliveTheDrain) {
  options_.drain_timeout = absl::Milliseconds(200);
  StartNode();
  std::unique_ptr<grpc::ClientContext> context = Context();
  auto stream = stub_->IngestStream(context.get());
  v1::IngestRequest batch;
  batch.set_sequence(1);
  *batch.add_events() = MakeEvent("e1", Customer(true), now_ - absl::Hours(1), "view");
  ASSERT_TRUE(stream->Write(batch));
  v1::IngestResponse ack;
  ASSERT_TRUE(stream->Read(&ack));
  EXPECT_EQ(ack.applied(), 1u);
  node_->Shutdown();  // the stream stays open: cancelled once the drain time is up
  EXPECT_FALSE(stream->Read(&ack));
  EXPECT_FALSE(stream->Finish().ok());

  // The acknowledged batch survived the restart.
  StartNode();
  EXPECT_TRUE(Known(Customer(true)));
}

TEST_F(StoreNodeTest, EraseForgetsTheCustomer) {
  const std::string alice = Customer(true);
  v1::IngestResponse ingested;
  ASSERT_TRUE(
      Ingest({MakeEvent("e1", alice, now_ - absl::Hours(1), "purchase", 3.0, "web", "sku-1")},
             &ingested)
          .ok());
  ASSERT_TRUE(Known(alice));
  v1::EraseCustomerRequest request;
  request.set_customer_id(alice);
  v1::EraseCustomerResponse response;
  ASSERT_TRUE(stub_->EraseCustomer(Context().get(), request, &response).ok());
  EXPECT_TRUE(response.existed());
  EXPECT_FALSE(Known(alice));
  v1::GetHistoryRequest history_request;
  history_request.set_customer_id(alice);
  v1::GetHistoryResponse history;
  ASSERT_TRUE(stub_->GetHistory(Context().get(), history_request, &history).ok());
  EXPECT_FALSE(history.found());
  ASSERT_TRUE(stub_->EraseCustomer(Context().get(), request, &response).ok());
  EXPECT_FALSE(response.existed());
}

TEST_F(StoreNodeTest, ProfileAndHistoryOfACustomer) {
  const std::string alice = Customer(true);
  v1::IngestResponse ingested;
  ASSERT_TRUE(
      Ingest({MakeEvent("h1", alice, now_ - absl::Hours(48), "view", 0, "web", "sku-1"),
              MakeEvent("h2", alice, now_ - absl::Hours(24), "purchase", 12.5, "app", "sku-1"),
              MakeEvent("h3", alice, now_ - absl::Hours(1), "view", 0, "store", "sku-2")},
             &ingested)
          .ok());
  ASSERT_EQ(ingested.applied(), 3u);

  v1::UpsertAttributesRequest upsert;
  v1::CustomerAttributes* c = upsert.add_customers();
  c->set_customer_id(alice);
  v1::Attribute* a = c->add_attributes();
  a->set_name("tier");
  a->set_source("crm");
  a->mutable_value()->set_string_value("gold");
  *a->mutable_event_time() = Ts(now_ - absl::Hours(5));
  v1::UpsertAttributesResponse upserted;
  grpc::Status status = stub_->UpsertAttributes(Context().get(), upsert, &upserted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(upserted.attributes_written(), 1u);

  v1::GetProfileRequest profile_request;
  profile_request.set_customer_id(alice);
  v1::GetProfileResponse profile;
  status = stub_->GetProfile(Context().get(), profile_request, &profile);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(profile.found());
  const v1::Profile& p = profile.profile();
  EXPECT_EQ(p.customer_id(), alice);
  EXPECT_EQ(p.partition(), PartitionOf(alice, kPartitions));
  EXPECT_THAT(p.channels(), ::testing::UnorderedElementsAre("app", "store", "web"));
  EXPECT_EQ(p.first_seen().seconds(), absl::ToUnixSeconds(now_ - absl::Hours(48)));
  EXPECT_EQ(p.last_seen().seconds(), absl::ToUnixSeconds(now_ - absl::Hours(1)));
  std::map<std::string, int64_t> counts;
  for (const v1::TypeTotal& t : p.lifetime()) counts[t.type()] = t.count();
  EXPECT_EQ(counts["view"], 2);
  EXPECT_EQ(counts["purchase"], 1);
  ASSERT_EQ(p.attributes_size(), 1);
  EXPECT_EQ(p.attributes(0).name(), "tier");
  EXPECT_EQ(p.attributes(0).value().string_value(), "gold");
  EXPECT_EQ(p.attributes(0).source(), "crm");

  v1::GetHistoryRequest history_request;
  history_request.set_customer_id(alice);
  history_request.set_limit(2);
  v1::GetHistoryResponse history;
  status = stub_->GetHistory(Context().get(), history_request, &history);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(history.found());
  ASSERT_EQ(history.interactions_size(), 2);
  EXPECT_EQ(history.interactions(0).event_id(), "h3");  // newest first
  EXPECT_EQ(history.interactions(0).item_id(), "sku-2");
  EXPECT_EQ(history.interactions(1).event_id(), "h2");
  EXPECT_DOUBLE_EQ(history.interactions(1).amount(), 12.5);

  // The same history in a GetFeatures call (with_history), for a known and an unknown id.
  v1::GetFeaturesRequest features_request;
  features_request.add_customer_ids(alice);
  features_request.add_customer_ids(Customer(true, 1));
  features_request.add_features("purchases_7d");
  features_request.set_with_history(true);
  features_request.set_history_limit(2);
  v1::GetFeaturesResponse features;
  status = stub_->GetFeatures(Context().get(), features_request, &features);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(features.vectors_size(), 2);
  ASSERT_EQ(features.vectors(0).history_size(), 2);
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(features.vectors(0).history(k).SerializeAsString(),
              history.interactions(k).SerializeAsString());
  }
  EXPECT_EQ(features.vectors(0).values(0).int_value(), 1);
  EXPECT_FALSE(features.vectors(1).found());
  EXPECT_EQ(features.vectors(1).history_size(), 0);
  features_request.set_history_limit(0);  // the node's cap: all three
  ASSERT_TRUE(stub_->GetFeatures(Context().get(), features_request, &features).ok());
  EXPECT_EQ(features.vectors(0).history_size(), 3);
  // Without with_history no history is sent; a limit without it, or history with as_of,
  // is refused.
  features_request.set_with_history(false);
  EXPECT_EQ(stub_->GetFeatures(Context().get(), features_request, &features).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(features.vectors(0).history_size(), 0);
  features_request.set_history_limit(2);
  status = stub_->GetFeatures(Context().get(), features_request, &features);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("with_history"));
  features_request.set_with_history(true);
  *features_request.mutable_as_of() = Ts(now_ - absl::Hours(2));
  status = stub_->GetFeatures(Context().get(), features_request, &features);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("not point-in-time"));

  profile_request.set_customer_id(Customer(true, 1));
  ASSERT_TRUE(stub_->GetProfile(Context().get(), profile_request, &profile).ok());
  EXPECT_FALSE(profile.found());
}

TEST_F(StoreNodeTest, NodeInfoListFeaturesAndHealth) {
  v1::NodeInfoResponse info;
  ASSERT_TRUE(stub_->NodeInfo(Context().get(), v1::NodeInfoRequest(), &info).ok());
  EXPECT_EQ(info.node_id(), "store-0");
  EXPECT_EQ(info.partitions_total(), kPartitions);
  EXPECT_EQ(info.shard_map_epoch(), 3u);
  ASSERT_EQ(info.owned_size(), 2);
  EXPECT_EQ(info.owned(0).begin(), 0u);
  EXPECT_EQ(info.owned(0).end(), 16u);
  EXPECT_EQ(info.owned(1).begin(), 32u);
  EXPECT_EQ(info.owned(1).end(), 48u);
  EXPECT_EQ(info.durability(), "sync");
  EXPECT_EQ(info.retention_days(), 730u);
  EXPECT_FALSE(info.version().empty());

  v1::ListFeaturesResponse list;
  ASSERT_TRUE(stub_->ListFeatures(Context().get(), v1::ListFeaturesRequest(), &list).ok());
  std::map<std::string, v1::FeatureDefinition> by_name;
  for (const v1::FeatureDefinition& f : list.features()) by_name[f.name()] = f;
  ASSERT_TRUE(by_name.count("purchases_30d"));
  EXPECT_EQ(by_name["purchases_30d"].source(), "window");
  EXPECT_THAT(by_name["purchases_30d"].description(), HasSubstr("purchases_30d"));

  EXPECT_EQ(HealthStatus(""), 1);                        // SERVING
  EXPECT_EQ(HealthStatus("cohort.v1.FeatureStore"), 1);  // SERVING
}

TEST_F(StoreNodeTest, PortFileNamesTheBoundAddress) {
  std::ifstream in(dir_ / "port");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, node_->address());
  EXPECT_EQ(line, absl::StrCat("127.0.0.1:", node_->port()));
  EXPECT_GT(node_->port(), 0);
}

TEST_F(StoreNodeTest, ShutdownDrainsAndStopsServing) {
  v1::IngestResponse ingested;
  ASSERT_TRUE(
      Ingest({MakeEvent("e1", Customer(true), now_ - absl::Hours(1), "view")}, &ingested).ok());
  node_->Shutdown();
  v1::NodeInfoResponse info;
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  EXPECT_FALSE(stub_->NodeInfo(context.get(), v1::NodeInfoRequest(), &info).ok());
  node_->Shutdown();  // idempotent
}

// The automatic compaction's trigger: enough writes, in absolute terms and per stored
// customer, then a quiet period; a zero quiet period disables it.
TEST(AutoCompactionTest, NeedsEnoughWritesThenAQuietPeriod) {
  NodeOptions o;
  o.auto_compact_quiet = absl::Minutes(2);
  o.auto_compact_min_writes = 100;
  o.auto_compact_ratio = 0.5;
  EXPECT_TRUE(AutoCompactionDue(o, 1000, 1000, absl::Minutes(3)));
  EXPECT_TRUE(AutoCompactionDue(o, 500, 1000, absl::Minutes(2)));    // every bound met exactly
  EXPECT_FALSE(AutoCompactionDue(o, 1000, 1000, absl::Minutes(1)));  // still being written
  EXPECT_FALSE(AutoCompactionDue(o, 99, 0, absl::Minutes(3)));       // too few writes
  EXPECT_FALSE(AutoCompactionDue(o, 499, 1000, absl::Minutes(3)));   // too few per customer
  o.auto_compact_min_writes = 0;
  o.auto_compact_ratio = 0;
  EXPECT_FALSE(AutoCompactionDue(o, 0, 0, absl::Minutes(3)));  // nothing written
  EXPECT_TRUE(AutoCompactionDue(o, 1, 0, absl::Minutes(3)));
  o.auto_compact_quiet = absl::ZeroDuration();
  EXPECT_FALSE(AutoCompactionDue(o, 1000, 1000, absl::Hours(1)));
}

TEST_F(StoreNodeTest, BadAutoCompactionOptionsStopStartUp) {
  node_.reset();
  options_.auto_compact_ratio = std::nan("");
  absl::StatusOr<std::unique_ptr<StoreNode>> node = StoreNode::Start(options_);
  EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(node.status().message()), HasSubstr("auto_compact_ratio"));
  options_.auto_compact_ratio = 0.5;
  options_.auto_compact_quiet = -absl::Seconds(1);
  node = StoreNode::Start(options_);
  EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(node.status().message()), HasSubstr("auto_compact_quiet"));
}

}  // namespace
}  // namespace cohort::featurestore::test
