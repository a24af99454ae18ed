#include "storage/rocks_health.h"

#include <cstdint>
#include <memory>

#include "rocksdb/statistics.h"

namespace cohort::storage::internal {
namespace {

uint64_t IntProperty(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family,
                     const rocksdb::Slice& property) {
  uint64_t value = 0;
  if (!db.GetIntProperty(family, property, &value)) return 0;
  return value;
}

}  // namespace

RocksHealth ReadRocksHealth(rocksdb::DB& db,
                            absl::Span<rocksdb::ColumnFamilyHandle* const> families) {
  RocksHealth health;
  health.column_families.reserve(families.size());
  for (rocksdb::ColumnFamilyHandle* family : families) {
    ColumnFamilyHealth& cf = health.column_families.emplace_back();
    cf.name = family->GetName();
    cf.memtable_bytes = IntProperty(db, family, rocksdb::DB::Properties::kSizeAllMemTables);
    cf.sst_bytes = IntProperty(db, family, rocksdb::DB::Properties::kTotalSstFilesSize);
    cf.pending_compaction_bytes =
        IntProperty(db, family, rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
    cf.estimated_keys = IntProperty(db, family, rocksdb::DB::Properties::kEstimateNumKeys);
  }
  health.write_stopped =
      IntProperty(db, db.DefaultColumnFamily(), rocksdb::DB::Properties::kIsWriteStopped) != 0;
  const std::shared_ptr<rocksdb::Statistics> statistics = db.GetDBOptions().statistics;
  if (statistics != nullptr) {
    health.block_cache_hits = statistics->getTickerCount(rocksdb::BLOCK_CACHE_HIT);
    health.block_cache_misses = statistics->getTickerCount(rocksdb::BLOCK_CACHE_MISS);
    health.write_stall_micros = statistics->getTickerCount(rocksdb::STALL_MICROS);
  }
  return health;
}

}  // namespace cohort::storage::internal
