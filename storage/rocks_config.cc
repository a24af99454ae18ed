#include "storage/rocks_config.h"

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/statistics.h"
#include "rocksdb/table.h"
#include "storage/compaction_filters.h"
#include "storage/keys.h"
#include "storage/merge_operators.h"

namespace cohort::storage::internal {
namespace {

bool Supported(rocksdb::CompressionType type) {
  const auto supported = rocksdb::GetSupportedCompressions();
  return std::find(supported.begin(), supported.end(), type) != supported.end();
}

// The customer key (storage/keys.h: partition, id length, id) a key starts with: the
// bucket of a hash memtable. Keys of the families that use it always hold one.
class CustomerKeyPrefix : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "cohort.CustomerKeyPrefix.v1"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    if (!InDomain(key)) return key;
    return rocksdb::Slice(key.data(), kCustomerKeyHeaderBytes + static_cast<uint8_t>(key[2]));
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return key.size() >= kCustomerKeyHeaderBytes &&
           key.size() >= kCustomerKeyHeaderBytes + static_cast<uint8_t>(key[2]);
  }
};

// For a family that every event writes and only point lookups read (never an iterator):
// its memtable hashes keys by customer into small skiplists. RocksDB inserts a write
// group's batches into the memtables on one thread when a batch holds a Merge (every ingest
// batch does), and inserting into one big skiplist was ~55% of a node's ingest CPU, the
// stage that capped ingest. A hash bucket insert costs a few cache misses instead of a
// search down ~10 levels; the flush thread sorts the entries instead (bench/: 86-90k ->
// 107-112k events/s into one node with dedup and history on hash memtables).
void UseHashMemtable(rocksdb::ColumnFamilyOptions* cf) {
  cf->prefix_extractor = std::make_shared<CustomerKeyPrefix>();
  cf->memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(/*bucket_count=*/1 << 18));
}

rocksdb::ColumnFamilyOptions BaseOptions(const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = true;
  // Index and filter blocks live in the table readers (memory grows with the data: about
  // 1.5% of the SST bytes), not in the block cache: a point lookup then costs one cache
  // lookup (the data block) per probed file instead of three (bench/: ~5% of read CPU).
  table.cache_index_and_filter_blocks = false;
  table.block_size = 8 << 10;
  // Shorter restart intervals: the hash index finds a key's interval, then the block is
  // scanned linearly within it (ParseNextDataKey was ~9% of read CPU at the default 16).
  table.block_restart_interval = 4;
  // Point lookups (GetFeatures, dedup checks) dominate: a hash index inside each data block
  // finds the key without a binary search over restart points.
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  table.data_block_hash_table_util_ratio = 0.75;
  table.format_version = 5;

  rocksdb::ColumnFamilyOptions cf;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // A memtable bloom filter: most point lookups (reads of customers not written lately,
  // dedup checks of new events) miss the up to three memtables of a family, and a miss
  // then costs a hash probe instead of a skiplist search (~17% of a node's read CPU after
  // a bulk import, bench/).
  cf.memtable_prefix_bloom_size_ratio = 0.05;
  cf.memtable_whole_key_filtering = true;
  cf.write_buffer_size = 32 << 20;
  cf.max_write_buffer_number = 3;
  cf.level_compaction_dynamic_level_bytes = true;
  cf.target_file_size_base = 32 << 20;
  cf.max_bytes_for_level_base = 128 << 20;
  if (Supported(rocksdb::kLZ4Compression)) {
    cf.compression = rocksdb::kLZ4Compression;
  } else if (Supported(rocksdb::kZSTD)) {
    cf.compression = rocksdb::kZSTD;
  }
  if (Supported(rocksdb::kZSTD)) cf.bottommost_compression = rocksdb::kZSTD;
  return cf;
}

// For the family that GetFeatures reads: its bottommost level (most of its data) is
// compressed like the other levels (LZ4), not with ZSTD. Once the data outgrows the block
// cache, a GetFeatures batch misses the cache for some of its blocks, and decompressing
// them with ZSTD was ~17% of a node's read CPU at 1M customers (bench/).
void UseFastDecompression(rocksdb::ColumnFamilyOptions* cf) {
  cf->bottommost_compression = cf->compression;
}

}  // namespace

rocksdb::DBOptions MakeDbOptions(const StoreOptions& /*options*/) {
  rocksdb::DBOptions db;
  db.create_if_missing = true;
  db.create_missing_column_families = true;
  db.max_background_jobs = 2;
  db.max_subcompactions = 1;
  db.db_write_buffer_size = 256 << 20;  // all memtables of all families together
  db.max_total_wal_size = 512 << 20;    // then the oldest memtables are flushed
  db.bytes_per_sync = 1 << 20;
  // Hash memtables (UseHashMemtable) take no concurrent inserts. Nothing is lost: a write
  // group holding a Merge (every ingest batch) is inserted by one thread anyway.
  db.allow_concurrent_memtable_write = false;
  db.keep_log_file_num = 4;
  db.max_log_file_size = 16 << 20;
  // Tickers only (block cache hits, stall time) for ProfileStore::Health(): per-core
  // counters, no timers or histograms on the read and write paths.
  db.statistics = rocksdb::CreateDBStatistics();
  db.statistics->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);
  return db;
}

std::vector<rocksdb::ColumnFamilyDescriptor> MakeColumnFamilies(const StoreOptions& options) {
  const auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  const rocksdb::ColumnFamilyOptions base = BaseOptions(cache);
  const int32_t retention = options.retention_days;

  rocksdb::ColumnFamilyOptions meta = base;
  meta.write_buffer_size = 4 << 20;

  // Merge operands are not folded in the memtable (max_successive_merges stays 0): counting
  // a key's operands costs a skiplist seek per Merge, ~1/3 of a node's ingest CPU
  // (bench/). Flush folds them (PartialMergeMulti), and a read merges the few a memtable
  // holds for one customer.
  rocksdb::ColumnFamilyOptions aggregates = base;
  aggregates.merge_operator =
      NewAggregatesMergeOperator(options.clock, retention, options.attribute_versions);
  aggregates.compaction_filter_factory = NewAggregatesFilterFactory(options.clock, retention);
  UseFastDecompression(&aggregates);

  rocksdb::ColumnFamilyOptions attributes = base;  // format 1 only; takes no writes
  attributes.merge_operator = NewAttributesMergeOperator(options.attribute_versions);

  rocksdb::ColumnFamilyOptions history = base;
  history.merge_operator = NewHistoryMergeOperator(options.history_cap, options.clock, retention);
  history.compaction_filter_factory = NewHistoryFilterFactory(options.clock, retention);
  UseHashMemtable(&history);

  rocksdb::ColumnFamilyOptions dedup = base;
  UseHashMemtable(&dedup);
  dedup.compaction_filter_factory = NewDedupFilterFactory(options.clock, retention);

  std::vector<rocksdb::ColumnFamilyDescriptor> families(kNumColumnFamilies);
  families[kDefaultCf] = {rocksdb::kDefaultColumnFamilyName, meta};
  families[kAggregatesCf] = {"aggregates", aggregates};
  families[kAttributesCf] = {"attributes", attributes};
  families[kHistoryCf] = {"history", history};
  families[kDedupCf] = {"dedup", dedup};
  return families;
}

absl::Status FromRocks(const rocksdb::Status& status, absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(context, ": ", status.ToString());
  switch (status.code()) {
    case rocksdb::Status::kNotFound:
      return absl::NotFoundError(message);
    case rocksdb::Status::kCorruption:
      return absl::DataLossError(message);
    case rocksdb::Status::kInvalidArgument:
      return absl::InvalidArgumentError(message);
    case rocksdb::Status::kNotSupported:
      return absl::UnimplementedError(message);
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTimedOut:
    case rocksdb::Status::kTryAgain:
      return absl::UnavailableError(message);
    case rocksdb::Status::kAborted:
      return absl::AbortedError(message);
    case rocksdb::Status::kIncomplete:
    case rocksdb::Status::kShutdownInProgress:
      return absl::UnavailableError(message);
    case rocksdb::Status::kColumnFamilyDropped:
      return absl::FailedPreconditionError(message);
    case rocksdb::Status::kIOError:
      // The directory's LOCK is held (by another process or another open store).
      if (absl::StrContains(message, "lock")) return absl::FailedPreconditionError(message);
      return absl::InternalError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace cohort::storage::internal
