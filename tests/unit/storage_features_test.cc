// ProfileStore reads of feature vectors on a real RocksDB: request order, duplicates and
// unknown ids, as_of bounds and point-in-time visibility, and Export over partition ranges.
// Needs the feature registry and EvaluateFeatures (storage/feature_*.cc).
#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/hash.h"
#include "common/time_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/profile_store.h"
#include "storage_test_util.h"

namespace cohort::storage::test {
namespace {

using ::testing::HasSubstr;

// A purchase of one item in category "shoes" for 20 on channel "web".
Event MakeEvent(std::string event_id, std::string customer_id, absl::Time time) {
  Event e = test::MakeEvent(std::move(event_id), std::move(customer_id), time);
  e.category = "shoes";
  e.quantity = 1;
  e.amount = 20;
  return e;
}

bool SameValues(const FeatureVector& a, const FeatureVector& b) {
  if (a.found != b.found || a.values.size() != b.values.size()) return false;
  for (size_t i = 0; i < a.values.size(); ++i) {
    if (a.values[i].value != b.values[i].value || a.values[i].status != b.values[i].status) {
      return false;
    }
  }
  return true;
}

constexpr uint32_t kPartitions = 8;
constexpr int32_t kRetentionDays = 60;

class StorageFeaturesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o = TestStoreOptions(dir_.path() + "/db", kPartitions, clock_);
    o.retention_days = kRetentionDays;
    auto store = OpenTestStore(o);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto selection = store_->Select({});
    ASSERT_TRUE(selection.ok()) << selection.status();
    all_ = *selection;
  }

  void IngestEvents(const std::string& customer, int n) {
    std::vector<Event> events;
    for (int i = 0; i < n; ++i) {
      events.push_back(
          MakeEvent(absl::StrCat(customer, "-", i), customer, T0() - absl::Hours(24 * (i % 5))));
    }
    auto results = store_->Ingest(events, Durability::kAsync);
    ASSERT_TRUE(results.ok()) << results.status();
  }

  void SetAttribute(const std::string& customer, absl::Time event_time) {
    CustomerAttributes update{customer, {Attr("tier", std::string("gold"), event_time)}};
    ASSERT_TRUE(store_->UpsertAttributes({update}, Durability::kAsync).ok());
  }

  FakeClock clock_{T0()};
  TempDir dir_;
  std::unique_ptr<ProfileStore> store_;
  FeatureSelection all_;
};

TEST_F(StorageFeaturesTest, OneVectorPerIdInRequestOrder) {
  IngestEvents("anna", 3);
  SetAttribute("bert", T0() - absl::Hours(1));  // attributes only
  const std::vector<std::string> ids = {
      "anna", "unknown", "bert", "", "anna", "bert", std::string(129, 'x')};
  auto vectors = store_->GetFeatures(ids, all_, std::nullopt);
  ASSERT_TRUE(vectors.ok()) << vectors.status();
  ASSERT_EQ(vectors->size(), ids.size());
  const std::vector<bool> found = {true, false, true, false, true, true, false};
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ((*vectors)[i].found, found[i]) << i;
    EXPECT_EQ((*vectors)[i].values.size(), all_.indices.size()) << i;
    if (!found[i]) {
      for (const FeatureValue& v : (*vectors)[i].values) {
        EXPECT_EQ(v.status, FeatureStatus::kNotFound) << i;
      }
    }
  }
  EXPECT_TRUE(SameValues((*vectors)[0], (*vectors)[4]));
  EXPECT_TRUE(SameValues((*vectors)[2], (*vectors)[5]));
  EXPECT_TRUE(SameValues((*vectors)[1], (*vectors)[3]));

  // Empty request, and a large one with many duplicates.
  auto none = store_->GetFeatures({}, all_, std::nullopt);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  std::vector<std::string> many;
  for (int i = 0; i < 1000; ++i) many.push_back(i % 3 == 0 ? "anna" : absl::StrCat("u", i));
  auto big = store_->GetFeatures(many, all_, std::nullopt);
  ASSERT_TRUE(big.ok()) << big.status();
  ASSERT_EQ(big->size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ((*big)[i].found, i % 3 == 0) << i;
}

// A large batch on an idle store is split across StoreOptions::read_helper: the vectors are
// the same, in the same order, as a store without a helper reads (and with histories).
TEST_F(StorageFeaturesTest, ABatchSplitAcrossTheReadHelperReadsTheSame) {
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    const std::string id = absl::StrCat("c", i);
    if (i % 4 != 3) IngestEvents(id, 1 + i % 3);
    if (i % 5 == 0) SetAttribute(id, T0() - absl::Hours(2));
    ids.push_back(id);
  }
  ids.insert(ids.begin() + 7, "");  // invalid
  ids.push_back("c1");              // a duplicate across the halves
  ASSERT_GE(ids.size(), kSplitReadBatch);
  auto want = store_->GetFeatures(ids, all_, std::nullopt, /*history_limit=*/0);
  ASSERT_TRUE(want.ok()) << want.status();
  store_.reset();

  std::atomic<int> handed{0};
  std::vector<std::thread> helpers;
  StoreOptions o = TestStoreOptions(dir_.path() + "/db", kPartitions, clock_);
  o.retention_days = kRetentionDays;
  o.read_helper = [&](std::function<void()> task) {
    ++handed;
    helpers.emplace_back(std::move(task));
    return true;
  };
  auto split = OpenTestStore(o);
  ASSERT_TRUE(split.ok()) << split.status();
  auto got = (*split)->GetFeatures(ids, all_, std::nullopt, /*history_limit=*/0);
  for (std::thread& t : helpers) t.join();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(handed.load(), 1);
  ASSERT_EQ(got->size(), want->size());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ((*got)[i].found, (*want)[i].found) << ids[i];
    EXPECT_TRUE(SameValues((*got)[i], (*want)[i])) << ids[i];
    EXPECT_EQ((*got)[i].history.size(), (*want)[i].history.size()) << ids[i];
  }
  // Small batches are read on the calling thread.
  auto small = (*split)->GetFeatures({"c1", "c2"}, all_, std::nullopt);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(handed.load(), 1);
}

TEST_F(StorageFeaturesTest, AsOfMustLieWithinTheRetentionHorizon) {
  IngestEvents("carl", 2);
  const std::vector<std::string> ids = {"carl"};
  const absl::Time horizon = T0() - absl::Hours(24 * kRetentionDays);
  for (absl::Time bad : {horizon - absl::Seconds(1), T0() + absl::Hours(24) + absl::Seconds(1)}) {
    auto result = store_->GetFeatures(ids, all_, bad);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(result.status().message()), HasSubstr("as_of"));
  }
  for (absl::Time good : {horizon, T0() + absl::Hours(24)}) {
    auto result = store_->GetFeatures(ids, all_, good);
    EXPECT_TRUE(result.ok()) << result.status();
  }
}

TEST_F(StorageFeaturesTest, PointInTimeSeesWholeDaysBeforeAsOf) {
  auto results = store_->Ingest({MakeEvent("d1", "dora", T0())}, Durability::kSync);
  ASSERT_TRUE(results.ok());
  const std::vector<std::string> ids = {"dora"};
  const absl::Time midnight = StartOfDay(DayOf(T0()));
  auto before = store_->GetFeatures(ids, all_, midnight);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_FALSE((*before)[0].found);  // the event's day has not started before as_of
  auto during = store_->GetFeatures(ids, all_, midnight + absl::Seconds(1));
  ASSERT_TRUE(during.ok()) << during.status();
  EXPECT_TRUE((*during)[0].found);
}

TEST_F(StorageFeaturesTest, SelectResolvesNamesAndRejectsUnknownOnes) {
  EXPECT_EQ(all_.indices.size(), store_->registry().features().size());
  const std::vector<std::string> unknown = {"no_such_feature"};
  auto bad = store_->Select(unknown);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("no_such_feature"));
  if (!store_->registry().features().empty()) {
    const std::vector<std::string> one = {store_->registry().features().back().name};
    auto selected = store_->Select(one);
    ASSERT_TRUE(selected.ok()) << selected.status();
    EXPECT_EQ(selected->indices, std::vector<size_t>{store_->registry().features().size() - 1});
  }
}

TEST_F(StorageFeaturesTest, ExportVisitsExactlyTheKnownCustomersOfTheRange) {
  std::set<std::string> known;
  for (int i = 0; i < 40; ++i) {
    const std::string id = absl::StrCat("cust-", i);
    IngestEvents(id, 1 + i % 3);
    known.insert(id);
  }
  for (int i = 0; i < 6; ++i) {
    const std::string id = absl::StrCat("attr-only-", i);
    SetAttribute(id, T0() - absl::Hours(2));
    known.insert(id);
  }
  SetAttribute("cust-0", T0() - absl::Hours(2));  // both families
  IngestEvents("gone", 2);
  ASSERT_TRUE(store_->Erase("gone").value());
  ASSERT_TRUE(store_->CompactAll().ok());
  IngestEvents("cust-memtable", 1);  // some data only in the memtable
  known.insert("cust-memtable");

  const auto run = [&](uint32_t begin, uint32_t end, std::optional<absl::Time> as_of) {
    std::vector<std::string> visited;
    absl::Status status =
        store_->Export(begin, end, all_, as_of, [&](absl::string_view id, FeatureVector vector) {
          EXPECT_TRUE(vector.found) << id;
          EXPECT_EQ(vector.values.size(), all_.indices.size());
          visited.emplace_back(id);
          return absl::OkStatus();
        });
    EXPECT_TRUE(status.ok()) << status;
    return visited;
  };
  const std::vector<std::string> visited = run(2, 5, std::nullopt);
  std::vector<std::string> expected;
  for (const std::string& id : known) {
    const uint32_t p = PartitionOf(id, kPartitions);
    if (p >= 2 && p < 5) expected.push_back(id);
  }
  EXPECT_EQ(std::set<std::string>(visited.begin(), visited.end()),
            std::set<std::string>(expected.begin(), expected.end()));
  EXPECT_EQ(visited.size(), expected.size());  // each once
  for (size_t i = 1; i < visited.size(); ++i) {
    EXPECT_LE(PartitionOf(visited[i - 1], kPartitions), PartitionOf(visited[i], kPartitions));
  }
  EXPECT_EQ(run(0, kPartitions, std::nullopt).size(), known.size());
  // Before anything happened, nobody is known.
  EXPECT_TRUE(run(0, kPartitions, T0() - absl::Hours(24 * 10)).empty());

  int calls = 0;
  absl::Status stopped =
      store_->Export(0, kPartitions, all_, std::nullopt, [&](absl::string_view, FeatureVector) {
        ++calls;
        return absl::CancelledError("client went away");
      });
  EXPECT_EQ(stopped.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(calls, 1);

  const auto noop = [](absl::string_view, FeatureVector) { return absl::OkStatus(); };
  EXPECT_EQ(store_->Export(3, 3, all_, std::nullopt, noop).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Export(5, 2, all_, std::nullopt, noop).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Export(0, kPartitions + 1, all_, std::nullopt, noop).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cohort::storage::test
