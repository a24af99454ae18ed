// ProfileStore retention on a real RocksDB: events older than the horizon are rejected;
// once the clock passes the horizon, a full compaction drops day buckets, history items and
// dedup keys of old events while lifetime totals stay.
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/time_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/keys.h"
#include "storage/profile_store.h"
#include "storage_test_util.h"

namespace cohort::storage::test {
namespace {

using ::testing::Contains;
using ::testing::Not;
using ::testing::StartsWith;

constexpr uint32_t kPartitions = 8;
constexpr int32_t kRetentionDays = 30;

// Param: whether the records are compacted into base values before the clock advances (the
// filter then sees values) or stay merge operands until the retention compaction.
class StorageRetentionTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    StoreOptions o = TestStoreOptions(dir_.path() + "/db", kPartitions, clock_);
    o.retention_days = kRetentionDays;
    auto store = OpenTestStore(o);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  IngestOutcome IngestOne(const Event& event) {
    auto results = store_->Ingest({event}, Durability::kSync);
    EXPECT_TRUE(results.ok()) << results.status();
    return results.ok() ? (*results)[0].outcome : IngestOutcome::kRejected;
  }

  FakeClock clock_{T0()};
  TempDir dir_;
  std::unique_ptr<ProfileStore> store_;
};

TEST_P(StorageRetentionTest, EventsOlderThanHorizonAreRejected) {
  auto results = store_->Ingest(
      {MakeEvent("old", "hana", T0() - absl::Hours(24 * kRetentionDays) - absl::Seconds(1))},
      Durability::kSync);
  ASSERT_TRUE(results.ok());
  EXPECT_EQ((*results)[0].outcome, IngestOutcome::kRejected);
  EXPECT_THAT((*results)[0].reason, StartsWith("time"));
  EXPECT_FALSE(store_->GetProfile("hana")->has_value());
}

TEST_P(StorageRetentionTest, PassingTheHorizonDropsBucketsHistoryAndDedupKeepsLifetime) {
  const absl::Time old_time = T0() - absl::Hours(24 * 10);
  ASSERT_EQ(IngestOne(MakeEvent("e-old", "hana", old_time)), IngestOutcome::kApplied);
  ASSERT_EQ(IngestOne(MakeEvent("e-new", "hana", T0())), IngestOutcome::kApplied);
  ASSERT_EQ(IngestOne(MakeEvent("only-old", "ivan", old_time)), IngestOutcome::kApplied);
  if (GetParam()) {
    ASSERT_TRUE(store_->CompactAll().ok());
  }
  {
    auto profile = store_->GetProfile("hana");
    ASSERT_TRUE(profile.ok() && profile->has_value());
    ASSERT_EQ((*profile)->daily.size(), 2u);
  }

  // Horizon moves to T0 - 5 days: the old day, item and dedup key expire.
  clock_.Advance(absl::Hours(24 * 25));
  ASSERT_TRUE(store_->CompactAll().ok());

  auto profile = store_->GetProfile("hana");
  ASSERT_TRUE(profile.ok() && profile->has_value());
  ASSERT_EQ((*profile)->daily.size(), 1u);
  EXPECT_EQ((*profile)->daily[0].day, DayOf(T0()));
  ASSERT_EQ((*profile)->lifetime.size(), 1u);
  EXPECT_EQ((*profile)->lifetime[0].count, 2);  // lifetime totals stay
  EXPECT_EQ((*profile)->first_seen, old_time);

  auto history = store_->GetHistory("hana", 0);
  ASSERT_TRUE(history.ok() && history->has_value());
  ASSERT_EQ((*history)->size(), 1u);
  EXPECT_EQ((**history)[0].event_id, "e-new");
  // A customer whose only interactions expired is still known (lifetime), with no history.
  auto ivan = store_->GetHistory("ivan", 0);
  ASSERT_TRUE(ivan.ok() && ivan->has_value());
  EXPECT_TRUE((*ivan)->empty());
  auto ivan_profile = store_->GetProfile("ivan");
  ASSERT_TRUE(ivan_profile.ok() && ivan_profile->has_value());
  EXPECT_TRUE((*ivan_profile)->daily.empty());

  // The dedup key of the expired event is physically gone; the recent one stays.
  const std::string checkpoint = dir_.path() + "/checkpoint";
  ASSERT_TRUE(store_->Checkpoint(checkpoint).ok());
  auto keys = DumpKeys(checkpoint);
  const std::string hana = internal::CustomerKeyOf("hana", kPartitions);
  EXPECT_THAT(keys["dedup"], Contains(internal::DedupKey(hana, "e-new")));
  EXPECT_THAT(keys["dedup"], Not(Contains(internal::DedupKey(hana, "e-old"))));
  EXPECT_EQ(keys["dedup"].size(), 1u);
  EXPECT_EQ(keys["history"].size(), 1u);  // ivan's emptied history record was removed

  // Replaying the expired event cannot apply it twice: it is rejected as too old.
  auto replay = store_->Ingest({MakeEvent("e-old", "hana", old_time)}, Durability::kSync);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ((*replay)[0].outcome, IngestOutcome::kRejected);
  EXPECT_EQ(store_->GetProfile("hana").value()->lifetime[0].count, 2);
}

TEST_P(StorageRetentionTest, AsOfBeforeHorizonIsRejected) {
  auto selection = store_->Select({});
  ASSERT_TRUE(selection.ok()) << selection.status();
  const std::vector<std::string> ids = {"hana"};
  auto too_old = store_->GetFeatures(ids, *selection,
                                     T0() - absl::Hours(24 * kRetentionDays) - absl::Seconds(1));
  EXPECT_EQ(too_old.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(too_old.status().message()), StartsWith("as_of"));
}

INSTANTIATE_TEST_SUITE_P(BaseValuesOrOperands, StorageRetentionTest, ::testing::Bool());

}  // namespace
}  // namespace cohort::storage::test
