// Internal to storage/: reads ProfileStore::Health() from a RocksDB instance.
#pragma once

#include "absl/types/span.h"
#include "rocksdb/db.h"
#include "storage/profile_store.h"

namespace cohort::storage::internal {

// The health of `db` and of each of `families` (in that order): in-memory properties and
// the statistics tickers of the DB's options (zero if it has no statistics). A property
// RocksDB cannot answer reads as 0. Thread-safe as RocksDB's property getters are.
RocksHealth ReadRocksHealth(rocksdb::DB& db,
                            absl::Span<rocksdb::ColumnFamilyHandle* const> families);

}  // namespace cohort::storage::internal
