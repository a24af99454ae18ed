// Scaffolding shared by the storage_*_test files: a fixed "now", a settable clock, event and
// attribute builders, opening a ProfileStore on a real RocksDB, and a raw key dump.
// The storage tests live in namespace cohort::storage::test to use these unqualified.
// Requires COHORT_BINARY_DIR (set for every test by cohort_add_test) and GoogleTest.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/feature_registry.h"
#include "storage/profile_store.h"
#include "storage/types.h"
#include "test_util.h"

namespace cohort::storage::test {

using ::cohort::testing::TempDir;

// The tests' "now": 2026-03-01 12:00:00 UTC.
inline absl::Time T0() {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 1, 12, 0, 0), absl::UTCTimeZone());
}

// Test seam for StoreOptions::clock: a clock that moves only when told. Thread-safe.
class FakeClock {
 public:
  explicit FakeClock(absl::Time t) : us_(absl::ToUnixMicros(t)) {}
  absl::Time Now() const { return absl::FromUnixMicros(us_.load()); }
  // Moves the clock by `d` (may be negative); to microsecond precision.
  void Advance(absl::Duration d) { us_ += absl::ToInt64Microseconds(d); }

 private:
  std::atomic<int64_t> us_;
};

// An event of `type` on channel "web" with no item, category, quantity or amount.
inline Event MakeEvent(std::string event_id, std::string customer_id, absl::Time time,
                       std::string type = "purchase") {
  Event e;
  e.event_id = std::move(event_id);
  e.customer_id = std::move(customer_id);
  e.time = time;
  e.type = std::move(type);
  e.channel = "web";
  return e;
}

// An attribute `name` = `value` written by `source` at `event_time`.
inline Attribute Attr(std::string name, AttributeValue value, absl::Time event_time,
                      std::string source = "crm") {
  Attribute a;
  a.name = std::move(name);
  a.value = std::move(value);
  a.source = std::move(source);
  a.event_time = event_time;
  return a;
}

// Options of a small test store at `path`: `partitions` partitions, an 8 MiB block cache and
// `clock` as the store's clock; other fields keep their defaults. `clock` must outlive every
// store opened with the returned options.
inline StoreOptions TestStoreOptions(std::string path, uint32_t partitions,
                                     const FakeClock& clock) {
  StoreOptions o;
  o.path = std::move(path);
  o.partitions = partitions;
  o.block_cache_bytes = 8 << 20;
  o.clock = [&clock] { return clock.Now(); };
  return o;
}

// The feature registry the build generates (COHORT_BINARY_DIR/features.registry).
// Errors: those of FeatureRegistry::LoadFile.
inline absl::StatusOr<std::shared_ptr<const FeatureRegistry>> LoadTestRegistry() {
  return FeatureRegistry::LoadFile(COHORT_BINARY_DIR "/features.registry");
}

// Opens (creating if needed) a ProfileStore with `options` and the build's feature registry.
// Errors: those of LoadTestRegistry and ProfileStore::Open.
inline absl::StatusOr<std::unique_ptr<ProfileStore>> OpenTestStore(StoreOptions options) {
  absl::StatusOr<std::shared_ptr<const FeatureRegistry>> registry = LoadTestRegistry();
  if (!registry.ok()) return registry.status();
  return ProfileStore::Open(std::move(options), *std::move(registry));
}

// Every key of every column family of the RocksDB at `dir`, by column family name, opened
// read-only with plain RocksDB options (no merge operators: the data must be fully
// compacted). The store must be closed, or `dir` a checkpoint. RocksDB errors are reported
// as GoogleTest failures (EXPECT) and yield what could be read.
inline std::map<std::string, std::vector<std::string>> DumpKeys(const std::string& dir) {
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

}  // namespace cohort::storage::test
