// Internal to storage/: the merge semantics of the per-customer records (storage/records.proto)
// and the RocksDB merge operators built on them. Every merge here is associative and
// commutative, so operands may be combined in any grouping and order (RocksDB partial
// merges, in-process pre-combining of a batch, replays) and converge to the same record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "rocksdb/merge_operator.h"
#include "storage/records.pb.h"

namespace cohort::storage::internal {

// What retention keeps at a given wall-clock time `now`: day buckets with
// day >= first_day, history items and dedup keys with event time >= first_us.
struct RetentionHorizon {
  int32_t first_day = 0;
  int64_t first_us = 0;
};
RetentionHorizon HorizonAt(absl::Time now, int32_t retention_days);

// Merges `src` into `dst`: cells with equal (type, channel, category) are summed (count,
// quantity, amount) and min/max'd (first_us, last_us); buckets with equal day merge. Both
// must be normalized (sorted, unique); `dst` stays so. `src` is consumed (left unspecified).
void MergeAggregates(records::Aggregates&& src, records::Aggregates* dst);

// Merges `src` into `dst`: per attribute name the union of versions, newest first by
// (event_us, then serialized bytes without written_us), identical versions kept once (the
// earliest written_us), at most `cap` versions. `src` is consumed.
void MergeAttributeSets(records::AttributeSet&& src, size_t cap, records::AttributeSet* dst);

// Merges `src` into `dst`: union by event_id, newest first (ties by event_id), at most `cap`
// items. `src` is consumed.
void MergeHistories(records::History&& src, size_t cap, records::History* dst);

// Drops buckets with day < first_day. Returns whether anything was dropped.
bool DropDaysBefore(int32_t first_day, records::Aggregates* aggregates);
// Drops items with time_us < first_us. Returns whether anything was dropped.
bool DropItemsBefore(int64_t first_us, records::History* history);

// Merge operator of the "aggregates" family (operands and values: records::Aggregates).
// A full merge also drops buckets older than the horizon at clock() (so a compaction that
// merges never writes back expired buckets). The records' attributes merge as
// MergeAttributeSets does, `attribute_versions` per name. `clock` must be thread-safe.
std::shared_ptr<rocksdb::MergeOperator> NewAggregatesMergeOperator(
    std::function<absl::Time()> clock, int32_t retention_days, size_t attribute_versions);

// Merge operator of the "attributes" family of format-1 stores (records::AttributeSet), `cap`
// versions per name; a format-2 store moves that family's records into "aggregates" when it
// opens (ProfileStore::Open).
std::shared_ptr<rocksdb::MergeOperator> NewAttributesMergeOperator(size_t cap);

// Merge operator of the "history" family (records::History), `cap` items; a full merge also
// drops items older than the horizon at clock(). `clock` must be thread-safe.
std::shared_ptr<rocksdb::MergeOperator> NewHistoryMergeOperator(size_t cap,
                                                                std::function<absl::Time()> clock,
                                                                int32_t retention_days);

}  // namespace cohort::storage::internal
