// ProfileStore erasure on a real RocksDB: reads see the erasure at once, re-ingest works,
// and after a compaction no key of the customer is left in any column family.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "storage/keys.h"
#include "storage/profile_store.h"
#include "storage_test_util.h"

namespace cohort::storage::test {
namespace {

constexpr uint32_t kPartitions = 4;

class StorageEraseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = LoadTestRegistry();
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *registry;
    auto store = ProfileStore::Open(Options(dir_.path() + "/db"), registry_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  StoreOptions Options(const std::string& path) {
    return TestStoreOptions(path, kPartitions, clock_);
  }

  // Events e0..e{n-1} and one attribute for `customer`.
  void Populate(const std::string& customer, int n) {
    std::vector<Event> events;
    for (int i = 0; i < n; ++i) {
      events.push_back(
          MakeEvent(customer + "-e" + std::to_string(i), customer, T0() - absl::Hours(24 * i)));
    }
    auto results = store_->Ingest(events, Durability::kSync);
    ASSERT_TRUE(results.ok()) << results.status();
    for (const auto& r : *results) ASSERT_EQ(r.outcome, IngestOutcome::kApplied) << r.reason;
    CustomerAttributes update{customer, {Attr("tier", std::string("v"), T0())}};
    ASSERT_TRUE(store_->UpsertAttributes({update}, Durability::kSync).ok());
  }

  FakeClock clock_{T0()};
  TempDir dir_;
  std::shared_ptr<const FeatureRegistry> registry_;
  std::unique_ptr<ProfileStore> store_;
};

TEST_F(StorageEraseTest, ErasedCustomerIsUnknownToEveryRead) {
  Populate("jane", 3);
  Populate("kurt", 2);
  auto erased = store_->Erase("jane");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_TRUE(*erased);

  EXPECT_FALSE(store_->GetProfile("jane").value().has_value());
  EXPECT_FALSE(store_->GetHistory("jane", 0).value().has_value());
  auto selection = store_->Select({});
  ASSERT_TRUE(selection.ok());
  const std::vector<std::string> ids = {"jane", "kurt"};
  auto vectors = store_->GetFeatures(ids, *selection, std::nullopt);
  ASSERT_TRUE(vectors.ok()) << vectors.status();
  ASSERT_EQ(vectors->size(), 2u);
  EXPECT_FALSE((*vectors)[0].found);
  for (const FeatureValue& v : (*vectors)[0].values) EXPECT_EQ(v.status, FeatureStatus::kNotFound);
  EXPECT_TRUE((*vectors)[1].found);
  // Others are untouched; erasing again reports that nothing existed.
  EXPECT_TRUE(store_->GetProfile("kurt").value().has_value());
  EXPECT_FALSE(store_->Erase("jane").value());
  EXPECT_FALSE(store_->Erase("never-seen").value());
  EXPECT_EQ(store_->Erase("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StorageEraseTest, ReIngestAfterEraseStartsAFreshProfile) {
  Populate("lena", 3);
  ASSERT_TRUE(store_->Erase("lena").value());
  // The dedup keys went with the customer: the same events apply again, once.
  auto results = store_->Ingest({MakeEvent("lena-e0", "lena", T0())}, Durability::kSync);
  ASSERT_TRUE(results.ok());
  EXPECT_EQ((*results)[0].outcome, IngestOutcome::kApplied);
  auto profile = store_->GetProfile("lena");
  ASSERT_TRUE(profile.ok() && profile->has_value());
  ASSERT_EQ((*profile)->lifetime.size(), 1u);
  EXPECT_EQ((*profile)->lifetime[0].count, 1);
  EXPECT_TRUE((*profile)->attributes.empty());
  auto again = store_->Ingest({MakeEvent("lena-e0", "lena", T0())}, Durability::kSync);
  EXPECT_EQ((*again)[0].outcome, IngestOutcome::kDuplicate);
}

TEST_F(StorageEraseTest, AfterCompactionNoKeyOfTheCustomerIsLeft) {
  Populate("mona", 4);
  Populate("nils", 2);
  // Make the data durable in SST files first, so erasure must remove it from files.
  ASSERT_TRUE(store_->CompactAll().ok());
  ASSERT_TRUE(store_->Erase("mona").value());
  ASSERT_TRUE(store_->CompactAll().ok());

  const std::string checkpoint = dir_.path() + "/checkpoint";
  ASSERT_TRUE(store_->Checkpoint(checkpoint).ok());
  const auto keys = DumpKeys(checkpoint);
  ASSERT_EQ(keys.size(), 5u);  // default, aggregates, attributes, history, dedup
  const std::string mona = internal::CustomerKeyOf("mona", kPartitions);
  const std::string nils = internal::CustomerKeyOf("nils", kPartitions);
  size_t nils_keys = 0;
  for (const auto& [family, family_keys] : keys) {
    for (const std::string& key : family_keys) {
      EXPECT_FALSE(absl::StartsWith(key, mona)) << "column family " << family;
      if (absl::StartsWith(key, nils)) ++nils_keys;
    }
  }
  EXPECT_EQ(nils_keys, 2u + 2u);  // aggregates (attributes included), history + 2 dedup keys

  // The checkpoint opens as a store in its own right.
  store_.reset();
  auto copy = ProfileStore::Open(Options(checkpoint), registry_);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_TRUE((*copy)->GetProfile("nils").value().has_value());
  EXPECT_FALSE((*copy)->GetProfile("mona").value().has_value());
}

// StopCompactions (a node shutting down) makes CompactAll answer ABORTED, and the data
// stays readable.
TEST_F(StorageEraseTest, StoppedCompactionsAreAbortedAndLoseNothing) {
  Populate("olga", 3);
  store_->StopCompactions();
  const absl::Status compacted = store_->CompactAll();
  EXPECT_EQ(compacted.code(), absl::StatusCode::kAborted) << compacted;
  EXPECT_TRUE(absl::StrContains(compacted.message(), "shutting down")) << compacted;
  auto profile = store_->GetProfile("olga");
  ASSERT_TRUE(profile.ok() && profile->has_value());
  EXPECT_EQ((*profile)->lifetime[0].count, 3);
}

}  // namespace
}  // namespace cohort::storage::test
