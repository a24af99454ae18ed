// The store's gauges and RocksDB counters read at scrape time (docs/metrics.md, "Store"):
// owned partitions, shard-map epoch, and RocksDB health per column family.
#pragma once

#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "services/featurestore/ownership.h"
#include "storage/profile_store.h"

namespace cohort::featurestore {

// Reads Ownership::Current() and ProfileStore::Health() on each Collect(). Thread-safe.
// Not owning: `store` and `ownership` must outlive every Collect() call, so stop the
// metrics server that scrapes this collector before closing the store.
class StoreCollector final : public prometheus::Collectable {
 public:
  StoreCollector(const storage::ProfileStore& store, const Ownership& ownership);

  // cohort_store_owned_partitions, cohort_store_shard_map_epoch,
  // cohort_rocksdb_block_cache_{hits,misses}_total, cohort_rocksdb_write_stall_seconds_total,
  // cohort_rocksdb_write_stopped and, per column family (label cf),
  // cohort_rocksdb_{memtable,sst,pending_compaction}_bytes and cohort_rocksdb_estimated_keys.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const storage::ProfileStore& store_;
  const Ownership& ownership_;
};

}  // namespace cohort::featurestore
