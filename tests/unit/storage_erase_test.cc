// ProfileStore erasure on a real RocksDB: reads see the erasure at once, re-ingest works,
// and after a compaction no key of the customer is left in any column family.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/keys.h"
#include "storage/profile_store.h"

namespace cohort::storage {
namespace {

absl::Time T0() {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 1, 12, 0, 0), absl::UTCTimeZone());
}

// Test seam for StoreOptions::clock; thread-safe.
class FakeClock {
 public:
  explicit FakeClock(absl::Time t) : us_(absl::ToUnixMicros(t)) {}
  absl::Time Now() const { return absl::FromUnixMicros(us_.load()); }
  void Advance(absl::Duration d) { us_ += absl::ToInt64Microseconds(d); }

 private:
  std::atomic<int64_t> us_;
};

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cohort-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Event MakeEvent(std::string event_id, std::string customer_id, absl::Time time,
                std::string type = "purchase") {
  Event e;
  e.event_id = std::move(event_id);
  e.customer_id = std::move(customer_id);
  e.time = time;
  e.type = std::move(type);
  e.channel = "web";
  return e;
}

// Every key of every column family of the RocksDB at `dir`, opened read-only with plain
// RocksDB options (no merge operators: the data must be fully compacted).
std::map<std::string, std::vector<std::string>> DumpKeys(const std::string& dir) {
  std::map<std::string, std::vector<std::string>> keys;
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir, families, &handles, &raw);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return keys;
  std::unique_ptr<rocksdb::DB> db(raw);
  for (auto* handle : handles) {
    std::vector<std::string>& out = keys[handle->GetName()];
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handle));
    for (it->SeekToFirst(); it->Valid(); it->Next()) out.push_back(it->key().ToString());
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    it.reset();
    EXPECT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
  }
  EXPECT_TRUE(db->Close().ok());
  return keys;
}

constexpr uint32_t kPartitions = 4;

Attribute Attr(std::string name, absl::Time event_time) {
  Attribute a;
  a.name = std::move(name);
  a.value = std::string("v");
  a.source = "crm";
  a.event_time = event_time;
  return a;
}

class StorageEraseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = FeatureRegistry::LoadFile(COHORT_BINARY_DIR "/features.registry");
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *registry;
    auto store = ProfileStore::Open(Options(dir_.path() + "/db"), registry_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  StoreOptions Options(const std::string& path) {
    StoreOptions o;
    o.path = path;
    o.partitions = kPartitions;
    o.block_cache_bytes = 8 << 20;
    o.clock = [this] { return clock_.Now(); };
    return o;
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
    CustomerAttributes update{customer, {Attr("tier", T0())}};
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
  EXPECT_EQ(nils_keys, 3u + 2u);  // aggregates, attributes, history + 2 dedup keys

  // The checkpoint opens as a store in its own right.
  store_.reset();
  auto copy = ProfileStore::Open(Options(checkpoint), registry_);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_TRUE((*copy)->GetProfile("nils").value().has_value());
  EXPECT_FALSE((*copy)->GetProfile("mona").value().has_value());
}

}  // namespace
}  // namespace cohort::storage
