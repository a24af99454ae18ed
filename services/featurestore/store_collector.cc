#include "services/featurestore/store_collector.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace cohort::featurestore {
namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(const char* name, const char* help, MetricType type) {
  MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  return family;
}

// A family with one unlabelled sample.
MetricFamily Single(const char* name, const char* help, MetricType type, double value) {
  MetricFamily family = Family(name, help, type);
  prometheus::ClientMetric& metric = family.metric.emplace_back();
  (type == MetricType::Counter ? metric.counter.value : metric.gauge.value) = value;
  return family;
}

// A gauge family with one sample per column family.
MetricFamily PerColumnFamily(
    const char* name, const char* help, const storage::RocksHealth& health,
    const std::function<uint64_t(const storage::ColumnFamilyHealth&)>& value) {
  MetricFamily family = Family(name, help, MetricType::Gauge);
  for (const storage::ColumnFamilyHealth& cf : health.column_families) {
    prometheus::ClientMetric& metric = family.metric.emplace_back();
    metric.label.push_back({"cf", cf.name});
    metric.gauge.value = static_cast<double>(value(cf));
  }
  return family;
}

}  // namespace

StoreCollector::StoreCollector(const storage::ProfileStore& store, const Ownership& ownership)
    : store_(store), ownership_(ownership) {}

std::vector<MetricFamily> StoreCollector::Collect() const {
  std::vector<MetricFamily> families;
  const std::shared_ptr<const OwnershipView> view = ownership_.Current();
  uint64_t owned = 0;
  for (const PartitionRangeSpec& r : view->owned()) owned += r.end - r.begin;
  families.push_back(Single("cohort_store_owned_partitions",
                            "Partitions this node owns under the shard map in force.",
                            MetricType::Gauge, static_cast<double>(owned)));
  families.push_back(Single("cohort_store_shard_map_epoch",
                            "Epoch of the shard map in force on this node.", MetricType::Gauge,
                            static_cast<double>(view->epoch())));

  const storage::RocksHealth health = store_.Health();
  families.push_back(Single("cohort_rocksdb_block_cache_hits_total",
                            "Block cache lookups that found the block.", MetricType::Counter,
                            static_cast<double>(health.block_cache_hits)));
  families.push_back(Single("cohort_rocksdb_block_cache_misses_total",
                            "Block cache lookups that had to read the block from disk.",
                            MetricType::Counter, static_cast<double>(health.block_cache_misses)));
  families.push_back(Single("cohort_rocksdb_write_stall_seconds_total",
                            "Time writers were delayed or stopped by RocksDB write stalls.",
                            MetricType::Counter,
                            static_cast<double>(health.write_stall_micros) / 1e6));
  families.push_back(Single("cohort_rocksdb_write_stopped", "1 while RocksDB stops writes.",
                            MetricType::Gauge, health.write_stopped ? 1 : 0));
  families.push_back(PerColumnFamily(
      "cohort_rocksdb_memtable_bytes", "Size of the active and immutable memtables.", health,
      [](const storage::ColumnFamilyHealth& cf) { return cf.memtable_bytes; }));
  families.push_back(
      PerColumnFamily("cohort_rocksdb_sst_bytes", "Size of the SST files.", health,
                      [](const storage::ColumnFamilyHealth& cf) { return cf.sst_bytes; }));
  families.push_back(PerColumnFamily(
      "cohort_rocksdb_pending_compaction_bytes", "Estimated bytes compaction still has to rewrite.",
      health, [](const storage::ColumnFamilyHealth& cf) { return cf.pending_compaction_bytes; }));
  families.push_back(
      PerColumnFamily("cohort_rocksdb_estimated_keys", "Estimated number of live keys.", health,
                      [](const storage::ColumnFamilyHealth& cf) { return cf.estimated_keys; }));
  return families;
}

}  // namespace cohort::featurestore
