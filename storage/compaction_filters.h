// Internal to storage/: retention as RocksDB compaction filters (docs/storage.md,
// "Retention"). Each factory reads `clock` once per compaction (when RocksDB creates the
// filter for it), so one compaction applies one horizon. `clock` must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "rocksdb/compaction_filter.h"

namespace cohort::storage::internal {

// "aggregates": drops day buckets older than the horizon day from values and merge operands
// (kChangeValue); lifetime cells stay.
std::shared_ptr<rocksdb::CompactionFilterFactory> NewAggregatesFilterFactory(
    std::function<absl::Time()> clock, int32_t retention_days);

// "history": drops items older than the horizon; a record left empty is removed.
std::shared_ptr<rocksdb::CompactionFilterFactory> NewHistoryFilterFactory(
    std::function<absl::Time()> clock, int32_t retention_days);

// "dedup": removes keys whose event time (the 8-byte value) is older than the horizon.
// Ingest rejects such events, so exactly-once still holds for every accepted event.
std::shared_ptr<rocksdb::CompactionFilterFactory> NewDedupFilterFactory(
    std::function<absl::Time()> clock, int32_t retention_days);

}  // namespace cohort::storage::internal
