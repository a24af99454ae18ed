// Internal to storage/: the RocksDB options and column families of the profile store, and
// the mapping of rocksdb::Status to absl::Status (docs/storage.md, "Column families").
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/status.h"
#include "storage/profile_store.h"

namespace cohort::storage::internal {

// Column families, in the order they are opened (the index of each handle).
enum ColumnFamily : size_t {
  kDefaultCf = 0,  // metadata
  kAggregatesCf,   // customer key -> records::Aggregates (merge), attributes included
  kAttributesCf,   // format 1 only: customer key -> records::AttributeSet (merge); empty
  kHistoryCf,      // customer key -> records::History (merge)
  kDedupCf,        // customer key | event id -> 8-byte event time
  kNumColumnFamilies,
};

// Options of the whole DB: created if missing, 2 background jobs (2-core nodes), bounded
// memtable memory and info logs, statistics tickers (no timers) for ProfileStore::Health().
rocksdb::DBOptions MakeDbOptions(const StoreOptions& options);

// One descriptor per ColumnFamily, in enum order, sharing one LRU block cache of
// options.block_cache_bytes, with bloom filters (10 bits/key, whole key), LZ4 (or ZSTD)
// compression when this RocksDB build supports it, and the merge operators and retention
// filters of each family.
std::vector<rocksdb::ColumnFamilyDescriptor> MakeColumnFamilies(const StoreOptions& options);

// Maps a RocksDB status to a canonical absl::Status whose message starts with `context`.
absl::Status FromRocks(const rocksdb::Status& status, absl::string_view context);

}  // namespace cohort::storage::internal
