// ProfileStore ingest on a real RocksDB: idempotency, validation, concurrency, durability,
// and the profile/history read back.
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
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
using ::testing::StartsWith;

class StorageIngestTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  StoreOptions Options() {
    StoreOptions o = TestStoreOptions(dir_.path() + "/db", 16, clock_);
    o.history_cap = 5;
    o.ingest_hook = hook_;
    return o;
  }

  void Open() {
    auto store = OpenTestStore(Options());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  std::vector<IngestResult> Ingest(const std::vector<Event>& events,
                                   Durability durability = Durability::kSync) {
    auto results = store_->Ingest(events, durability);
    EXPECT_TRUE(results.ok()) << results.status();
    return results.ok() ? *results : std::vector<IngestResult>();
  }

  // Outcomes of concurrent Ingest calls, added up across threads.
  struct Tally {
    std::atomic<int> applied{0}, duplicates{0}, failures{0};
  };
  void IngestCounting(const std::vector<Event>& events, Durability durability, Tally& tally) {
    auto results = store_->Ingest(events, durability);
    if (!results.ok()) {
      ++tally.failures;
      return;
    }
    for (const auto& r : *results) {
      if (r.outcome == IngestOutcome::kApplied) ++tally.applied;
      if (r.outcome == IngestOutcome::kDuplicate) ++tally.duplicates;
    }
  }

  int64_t LifetimeCount(const std::string& customer) {
    auto profile = store_->GetProfile(customer);
    EXPECT_TRUE(profile.ok()) << profile.status();
    if (!profile.ok() || !profile->has_value()) return -1;
    int64_t count = 0;
    for (const TypeTotal& t : (*profile)->lifetime) count += t.count;
    return count;
  }

  std::function<void(absl::string_view)> hook_;  // StoreOptions::ingest_hook
  FakeClock clock_{T0()};
  TempDir dir_{"cohort-ingest"};
  std::unique_ptr<ProfileStore> store_;
};

TEST_F(StorageIngestTest, DuplicateAcrossBatchesChangesNothing) {
  auto first = Ingest({MakeEvent("e1", "alice", T0()), MakeEvent("e2", "alice", T0())});
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].outcome, IngestOutcome::kApplied);
  EXPECT_EQ(first[1].outcome, IngestOutcome::kApplied);
  auto again = Ingest({MakeEvent("e2", "alice", T0()), MakeEvent("e3", "alice", T0())});
  EXPECT_EQ(again[0].outcome, IngestOutcome::kDuplicate);
  EXPECT_EQ(again[1].outcome, IngestOutcome::kApplied);
  EXPECT_EQ(LifetimeCount("alice"), 3);
}

TEST_F(StorageIngestTest, DuplicateWithinOneBatchCountsOnce) {
  auto results = Ingest({MakeEvent("e1", "bob", T0()), MakeEvent("e1", "bob", T0()),
                         MakeEvent("e2", "bob", T0()), MakeEvent("e1", "bob", T0())},
                        Durability::kAsync);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].outcome, IngestOutcome::kApplied);
  EXPECT_EQ(results[1].outcome, IngestOutcome::kDuplicate);
  EXPECT_EQ(results[2].outcome, IngestOutcome::kApplied);
  EXPECT_EQ(results[3].outcome, IngestOutcome::kDuplicate);
  EXPECT_EQ(LifetimeCount("bob"), 2);
  auto history = store_->GetHistory("bob", 0);
  ASSERT_TRUE(history.ok() && history->has_value());
  EXPECT_EQ((*history)->size(), 2u);
}

struct InvalidCase {
  std::string name;
  std::function<void(Event*)> mutate;
  std::string field;
};

TEST_F(StorageIngestTest, RejectsEachInvalidFieldWithReasonAndStoresNothing) {
  const absl::Time now = clock_.Now();
  const std::vector<InvalidCase> cases = {
      {"empty event_id", [](Event* e) { e->event_id = ""; }, "event_id"},
      {"129-byte event_id", [](Event* e) { e->event_id = std::string(129, 'e'); }, "event_id"},
      {"empty customer_id", [](Event* e) { e->customer_id = ""; }, "customer_id"},
      {"129-byte customer_id", [](Event* e) { e->customer_id = std::string(129, 'c'); },
       "customer_id"},
      {"control char in id", [](Event* e) { e->event_id = "a\nb"; }, "event_id"},
      {"NaN amount", [](Event* e) { e->amount = std::nan(""); }, "amount"},
      {"inf amount", [](Event* e) { e->amount = std::numeric_limits<double>::infinity(); },
       "amount"},
      {"huge amount", [](Event* e) { e->amount = -1e12; }, "amount"},
      {"time too old", [now](Event* e) { e->time = now - absl::Hours(24 * 731); }, "time"},
      {"time too far ahead",
       [now](Event* e) { e->time = now + absl::Hours(24) + absl::Seconds(1); }, "time"},
      {"negative quantity", [](Event* e) { e->quantity = -1; }, "quantity"},
      {"huge quantity", [](Event* e) { e->quantity = 1000000000; }, "quantity"},
      {"empty type", [](Event* e) { e->type = ""; }, "type"},
      {"65-byte type", [](Event* e) { e->type = std::string(65, 't'); }, "type"},
      {"65-byte channel", [](Event* e) { e->channel = std::string(65, 'c'); }, "channel"},
      {"65-byte category", [](Event* e) { e->category = std::string(65, 'c'); }, "category"},
      {"129-byte item_id", [](Event* e) { e->item_id = std::string(129, 'i'); }, "item_id"},
  };
  std::vector<Event> events;
  for (size_t i = 0; i < cases.size(); ++i) {
    Event e = MakeEvent(absl::StrCat("bad", i), "carol", now);
    cases[i].mutate(&e);
    events.push_back(e);
  }
  auto results = Ingest(events);
  ASSERT_EQ(results.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(results[i].outcome, IngestOutcome::kRejected) << cases[i].name;
    EXPECT_THAT(results[i].reason, StartsWith(cases[i].field)) << cases[i].name;
  }
  auto profile = store_->GetProfile("carol");
  ASSERT_TRUE(profile.ok());
  EXPECT_FALSE(profile->has_value());
  // A rejected event leaves no dedup key: the same event_id, now valid, applies.
  auto retry = Ingest({MakeEvent("bad5", "carol", now)});
  EXPECT_EQ(retry[0].outcome, IngestOutcome::kApplied);
  // Boundaries are accepted.
  auto edges = Ingest({MakeEvent("edge-old", "carol", now - absl::Hours(24 * 730)),
                       MakeEvent("edge-new", "carol", now + absl::Hours(24)),
                       MakeEvent(std::string(128, 'e'), std::string(128, 'c'), now)});
  for (const auto& r : edges) EXPECT_EQ(r.outcome, IngestOutcome::kApplied) << r.reason;
}

TEST_F(StorageIngestTest, ConcurrentIngestOfSameEventsCountsEachOnce) {
  constexpr int kThreads = 4, kEvents = 240, kBatch = 20;
  std::vector<Event> events;
  for (int i = 0; i < kEvents; ++i) {
    events.push_back(MakeEvent(absl::StrCat("evt-", i), absl::StrCat("cust-", i % 7), T0()));
  }
  Tally tally;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread walks the batches in a different order.
      for (int b = 0; b < kEvents / kBatch; ++b) {
        const int batch = (b * (t + 1) + t) % (kEvents / kBatch);
        std::vector<Event> slice(events.begin() + batch * kBatch,
                                 events.begin() + (batch + 1) * kBatch);
        IngestCounting(slice, t % 2 == 0 ? Durability::kSync : Durability::kAsync, tally);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(tally.failures.load(), 0);
  EXPECT_EQ(tally.applied.load(), kEvents);
  int64_t total = 0;
  for (int c = 0; c < 7; ++c) total += LifetimeCount(absl::StrCat("cust-", c));
  EXPECT_EQ(total, kEvents);
}

// Every thread sends the very same batch at the same moment, round after round, so calls
// find each other's claims on the dedup keys (and wait for them) instead of stored keys.
TEST_F(StorageIngestTest, SimultaneousIdenticalBatchesApplyEachEventOnce) {
  constexpr int kThreads = 6, kRounds = 20, kBatch = 50;
  Tally tally;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<Event> batch;
    for (int i = 0; i < kBatch; ++i) {
      batch.push_back(
          MakeEvent(absl::StrCat("r", round, "-", i), absl::StrCat("cust-", i % 5), T0()));
    }
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ++ready;
        while (ready.load() < kThreads) {
        }
        IngestCounting(batch, t % 2 == 0 ? Durability::kSync : Durability::kAsync, tally);
      });
    }
    for (auto& thread : threads) thread.join();
  }
  EXPECT_EQ(tally.failures.load(), 0);
  EXPECT_EQ(tally.applied.load(), kRounds * kBatch);
  EXPECT_EQ(tally.duplicates.load(), (kThreads - 1) * kRounds * kBatch);
  int64_t total = 0;
  for (int c = 0; c < 5; ++c) total += LifetimeCount(absl::StrCat("cust-", c));
  EXPECT_EQ(total, kRounds * kBatch);
}

// The claims path, made deterministic with the ingest hook: the first call claims its keys
// and is held before writing until a second call with the same events has found them
// claimed and waits; the second then finds them written and reports duplicates.
TEST_F(StorageIngestTest, ACallWaitsForAnotherCallsClaimsThenSeesDuplicates) {
  absl::Notification first_claimed, second_waiting;
  std::atomic<int> claims{0};
  std::atomic<bool> waited{false};
  hook_ = [&](absl::string_view stage) {
    if (stage == "claimed" && claims++ == 0) {
      first_claimed.Notify();
      EXPECT_TRUE(second_waiting.WaitForNotificationWithTimeout(absl::Seconds(60)));
    }
    if (stage == "waiting" && !waited.exchange(true)) second_waiting.Notify();
  };
  store_.reset();
  Open();
  std::vector<Event> batch;
  for (int i = 0; i < 30; ++i) {
    batch.push_back(MakeEvent(absl::StrCat("c-", i), absl::StrCat("cust-", i % 3), T0()));
  }
  std::vector<IngestResult> first, second;
  std::thread a([&] { first = Ingest(batch); });
  ASSERT_TRUE(first_claimed.WaitForNotificationWithTimeout(absl::Seconds(60)));
  std::thread b([&] { second = Ingest(batch); });
  a.join();
  b.join();
  EXPECT_TRUE(waited.load());
  EXPECT_EQ(claims.load(), 1);  // the second call never claimed (nor wrote) anything
  ASSERT_EQ(first.size(), batch.size());
  ASSERT_EQ(second.size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(first[i].outcome, IngestOutcome::kApplied) << i;
    EXPECT_EQ(second[i].outcome, IngestOutcome::kDuplicate) << i;
  }
  int64_t total = 0;
  for (int c = 0; c < 3; ++c) total += LifetimeCount(absl::StrCat("cust-", c));
  EXPECT_EQ(total, 30);
}

TEST_F(StorageIngestTest, ReopenSeesEverythingAcknowledged) {
  Ingest({MakeEvent("s1", "dave", T0()), MakeEvent("s2", "dave", T0())}, Durability::kSync);
  Ingest({MakeEvent("a1", "dave", T0())}, Durability::kAsync);
  store_.reset();
  Open();
  EXPECT_EQ(LifetimeCount("dave"), 3);
  // Dedup survives the restart too.
  auto again = Ingest({MakeEvent("a1", "dave", T0())});
  EXPECT_EQ(again[0].outcome, IngestOutcome::kDuplicate);
}

TEST_F(StorageIngestTest, OpenRefusesADifferentPartitionCountOrALockedDirectory) {
  auto registry = FeatureRegistry::LoadFile(COHORT_BINARY_DIR "/features.registry");
  ASSERT_TRUE(registry.ok());
  // Still open in this process: the directory is locked.
  auto second = ProfileStore::Open(Options(), *registry);
  EXPECT_FALSE(second.ok());
  store_.reset();
  StoreOptions other = Options();
  other.partitions = 32;
  auto mismatched = ProfileStore::Open(other, *registry);
  EXPECT_EQ(mismatched.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(mismatched.status().message(), HasSubstr("16 partitions"));
}

TEST_F(StorageIngestTest, ProfileAggregatesLifetimeCategoriesChannelsAndDays) {
  const absl::Time day1 = T0() - absl::Hours(24);
  Event p1 = MakeEvent("p1", "erin", day1, "purchase");
  p1.category = "shoes";
  p1.quantity = 2;
  p1.amount = 10.5;
  Event p2 = MakeEvent("p2", "erin", T0(), "purchase");
  p2.channel = "app";
  p2.category = "shoes";
  p2.quantity = 1;
  p2.amount = 4.5;
  Event p3 = MakeEvent("p3", "erin", T0() - absl::Minutes(5), "purchase");
  p3.category = "hats";
  p3.amount = 3;
  Event v1 = MakeEvent("v1", "erin", day1 - absl::Minutes(1), "view");
  Ingest({p1, p2});
  Ingest({p3, v1});

  auto result = store_->GetProfile("erin");
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->has_value());
  const Profile& profile = **result;
  EXPECT_EQ(profile.customer_id, "erin");
  EXPECT_EQ(profile.partition, PartitionOf("erin", 16));
  EXPECT_EQ(profile.first_seen, day1 - absl::Minutes(1));
  EXPECT_EQ(profile.last_seen, T0());
  EXPECT_EQ(profile.channels, (std::vector<std::string>{"app", "web"}));
  ASSERT_EQ(profile.lifetime.size(), 2u);
  EXPECT_EQ(profile.lifetime[0].key, "purchase");
  EXPECT_EQ(profile.lifetime[0].count, 3);
  EXPECT_EQ(profile.lifetime[0].quantity, 3);
  EXPECT_DOUBLE_EQ(profile.lifetime[0].amount, 18.0);
  EXPECT_EQ(profile.lifetime[1].key, "view");
  EXPECT_EQ(profile.lifetime[1].count, 1);
  ASSERT_EQ(profile.categories.size(), 2u);
  EXPECT_EQ(profile.categories[0].key, "hats");
  EXPECT_EQ(profile.categories[1].key, "shoes");
  EXPECT_EQ(profile.categories[1].count, 2);
  EXPECT_DOUBLE_EQ(profile.categories[1].amount, 15.0);
  // Daily buckets oldest first: day1 has p1 and v1, today has p2 and p3.
  ASSERT_EQ(profile.daily.size(), 4u);
  EXPECT_EQ(profile.daily[0].day, DayOf(day1));
  EXPECT_EQ(profile.daily[1].day, DayOf(day1));
  EXPECT_EQ(profile.daily[2].day, DayOf(T0()));
  EXPECT_EQ(profile.daily[3].day, DayOf(T0()));
  EXPECT_TRUE(profile.attributes.empty());

  auto unknown = store_->GetProfile("nobody");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
}

TEST_F(StorageIngestTest, HistoryIsNewestFirstLimitedAndCapped) {
  std::vector<Event> events;
  for (int i = 0; i < 8; ++i) {
    Event e = MakeEvent(absl::StrCat("h", i), "frank", T0() - absl::Minutes(10 * (7 - i)));
    e.item_id = absl::StrCat("item-", i);
    events.push_back(e);
  }
  // Arrival order differs from event-time order.
  Ingest({events[3], events[7], events[0]});
  Ingest({events[5], events[1], events[6], events[2], events[4]});
  auto history = store_->GetHistory("frank", 0);
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_TRUE(history->has_value());
  ASSERT_EQ((*history)->size(), 5u);  // history_cap
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ((**history)[i].event_id, absl::StrCat("h", 7 - i));
    EXPECT_EQ((**history)[i].item_id, absl::StrCat("item-", 7 - i));
  }
  auto limited = store_->GetHistory("frank", 2);
  ASSERT_TRUE(limited.ok() && limited->has_value());
  ASSERT_EQ((*limited)->size(), 2u);
  EXPECT_EQ((**limited)[0].event_id, "h7");
  EXPECT_EQ((**limited)[0].time, T0());
  // Still capped after a full compaction (the merged value is rewritten).
  ASSERT_TRUE(store_->CompactAll().ok());
  auto compacted = store_->GetHistory("frank", 100);
  ASSERT_TRUE(compacted.ok() && compacted->has_value());
  EXPECT_EQ((*compacted)->size(), 5u);
  auto unknown = store_->GetHistory("nobody", 0);
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());

  // GetFeatures with a history limit returns what GetHistory does, per id, in one read.
  const FeatureSelection all = *store_->Select({});
  for (size_t limit : {0, 2}) {
    auto vectors = store_->GetFeatures({"frank", "nobody", "frank"}, all, std::nullopt, limit);
    ASSERT_TRUE(vectors.ok()) << vectors.status();
    auto expected = store_->GetHistory("frank", limit);
    ASSERT_TRUE(expected.ok() && expected->has_value());
    for (size_t v : {0, 2}) {
      ASSERT_EQ((*vectors)[v].history.size(), (*expected)->size());
      for (size_t i = 0; i < (*expected)->size(); ++i) {
        EXPECT_EQ((*vectors)[v].history[i].event_id, (**expected)[i].event_id);
        EXPECT_EQ((*vectors)[v].history[i].time, (**expected)[i].time);
        EXPECT_EQ((*vectors)[v].history[i].item_id, (**expected)[i].item_id);
      }
    }
    EXPECT_TRUE((*vectors)[1].history.empty());
  }
  auto without = store_->GetFeatures({"frank"}, all, std::nullopt);
  ASSERT_TRUE(without.ok());
  EXPECT_TRUE((*without)[0].history.empty());
  EXPECT_EQ(store_->GetFeatures({"frank"}, all, T0(), 0).status().code(),
            absl::StatusCode::kInvalidArgument);  // history is not point-in-time
}

// Dedup and history live in hash memtables (storage/rocks_config.cc) and, once flushed, in
// files: a customer's keys end up split between the two, and both must answer.
TEST_F(StorageIngestTest, DedupAndHistoryAnswerFromMemtablesAndFilesAlike) {
  constexpr int kCustomers = 300;
  const auto event = [](int customer, int k) {
    Event e = MakeEvent(absl::StrCat("ev-", customer, "-", k), absl::StrCat("cust-", customer),
                        T0() - absl::Minutes(10 * (3 - k)));
    e.item_id = absl::StrCat("item-", k);
    return e;
  };
  std::vector<Event> first, second;
  for (int c = 0; c < kCustomers; ++c) {
    for (int k = 0; k < 4; ++k) (k < 2 ? first : second).push_back(event(c, k));
  }
  for (const IngestResult& r : Ingest(first)) EXPECT_EQ(r.outcome, IngestOutcome::kApplied);
  ASSERT_TRUE(store_->CompactAll().ok());  // events 0-1 of each customer now in files
  for (const IngestResult& r : Ingest(second)) EXPECT_EQ(r.outcome, IngestOutcome::kApplied);

  std::vector<Event> all = first;
  all.insert(all.end(), second.begin(), second.end());
  for (const IngestResult& r : Ingest(all)) EXPECT_EQ(r.outcome, IngestOutcome::kDuplicate);
  for (int c = 0; c < kCustomers; c += 37) {
    const std::string customer = absl::StrCat("cust-", c);
    EXPECT_EQ(LifetimeCount(customer), 4);
    auto history = store_->GetHistory(customer, 0);
    ASSERT_TRUE(history.ok() && history->has_value()) << customer;
    ASSERT_EQ((*history)->size(), 4u);
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ((**history)[i].event_id, absl::StrCat("ev-", c, "-", 3 - i));
    }
  }
  store_.reset();  // and again from the WAL and files after a restart
  Open();
  for (const IngestResult& r : Ingest(all)) EXPECT_EQ(r.outcome, IngestOutcome::kDuplicate);
  EXPECT_EQ(LifetimeCount("cust-1"), 4);
}

TEST_F(StorageIngestTest, StatsCountCustomers) {
  for (int i = 0; i < 20; ++i) {
    Ingest({MakeEvent(absl::StrCat("e", i), absl::StrCat("c", i), T0())}, Durability::kAsync);
  }
  ASSERT_TRUE(store_->CompactAll().ok());
  const StoreStats stats = store_->Stats();
  EXPECT_EQ(stats.estimated_customers, 20u);
  EXPECT_GE(stats.estimated_keys, 60u);  // aggregates, history and dedup, plus metadata
  EXPECT_GT(stats.live_data_bytes, 0u);
}

}  // namespace
}  // namespace cohort::storage::test
