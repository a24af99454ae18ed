// ProfileStore: the durable, partitioned customer-profile store of one node, on RocksDB.
// Layout, column families and crash semantics: docs/storage.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/hash.h"
#include "storage/feature_registry.h"
#include "storage/types.h"

namespace cohort::storage {

struct StoreOptions {
  std::string path;                           // RocksDB directory; created if missing
  uint32_t partitions = kDefaultPartitions;   // P; must match what the directory was created with
  int32_t retention_days = 730;               // buckets, dedup keys and events older are dropped
  uint32_t history_cap = 200;                 // recent interactions kept per customer
  uint32_t attribute_versions = 8;            // versions kept per attribute for as_of reads
  uint64_t block_cache_bytes = 256ull << 20;  // shared LRU block cache for all column families
  // Wall clock: validation of event times, retention cut-off. A seam for tests.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  // A seam for tests of concurrent ingest: when set, Ingest calls it with "claimed" after a
  // round claimed its events' dedup keys (before writing them) and with "waiting" before it
  // waits for another call's claims.
  std::function<void(absl::string_view stage)> ingest_hook;
  // Runs `task` on another thread and returns true, or returns false at once (the caller
  // then does the work itself). When set, a GetFeatures call of at least
  // kSplitReadBatch ids that finds no other GetFeatures running hands the second half of
  // its ids to it, from the same snapshot: a large batch then uses two cores when the node
  // is not busy (bench/: docs/benchmarks.md). Must stay callable while the store is open.
  std::function<bool(std::function<void()> task)> read_helper;
};

// GetFeatures batches of at least this many ids may be split (StoreOptions::read_helper).
inline constexpr size_t kSplitReadBatch = 32;

struct StoreStats {
  uint64_t estimated_customers = 0;  // estimate-num-keys of the aggregates family
  uint64_t estimated_keys = 0;       // over all column families
  uint64_t live_data_bytes = 0;      // estimate-live-data-size over all column families
};

// RocksDB health of one column family, from RocksDB's in-memory properties.
struct ColumnFamilyHealth {
  std::string name;                       // "default", "aggregates", ... (docs/storage.md)
  uint64_t memtable_bytes = 0;            // rocksdb.size-all-mem-tables: active + immutable
  uint64_t sst_bytes = 0;                 // rocksdb.total-sst-files-size: every SST version
  uint64_t pending_compaction_bytes = 0;  // rocksdb.estimate-pending-compaction-bytes
  uint64_t estimated_keys = 0;            // rocksdb.estimate-num-keys
};

// RocksDB health of the store, for monitoring. Counters count since the store was opened.
struct RocksHealth {
  std::vector<ColumnFamilyHealth> column_families;  // every family, in a fixed order
  uint64_t block_cache_hits = 0;                    // statistics ticker BLOCK_CACHE_HIT
  uint64_t block_cache_misses = 0;                  // statistics ticker BLOCK_CACHE_MISS
  uint64_t write_stall_micros = 0;                  // STALL_MICROS: writers delayed or stopped
  bool write_stopped = false;                       // rocksdb.is-write-stopped: writes wait now
};

class ProfileStore {
 public:
  // Opens (creating if needed) the store at options.path. A format-1 store (attributes in
  // their own family) is converted to format 2 first (docs/storage.md). Errors: the RocksDB
  // status (e.g. the directory is locked by another process), FAILED_PRECONDITION if the
  // directory was created with a different partition count or has a format this build does
  // not read, DATA_LOSS if a format-1 attributes record does not parse. `registry` must not
  // be null.
  static absl::StatusOr<std::unique_ptr<ProfileStore>> Open(
      StoreOptions options, std::shared_ptr<const FeatureRegistry> registry);

  // Flushes nothing extra (the WAL already holds every acked write) and closes RocksDB.
  ~ProfileStore();

  ProfileStore(const ProfileStore&) = delete;
  ProfileStore& operator=(const ProfileStore&) = delete;

  // All methods below are thread-safe.

  // Validates each event (ids, times within [now - retention, now + 1 day], finite amount,
  // non-negative quantity, label sizes) and applies the valid, not-yet-seen ones in ONE
  // atomic RocksDB write batch. Returns one result per event, in order. An event whose
  // event_id was applied before (or earlier in the same batch) is kDuplicate and changes
  // nothing. Returns only after the batch is in the WAL (fsynced for kSync). Error status
  // only for storage failures, in which case nothing of the batch was applied.
  absl::StatusOr<std::vector<IngestResult>> Ingest(absl::Span<const Event> events,
                                                   Durability durability);

  // Writes attributes atomically; per attribute, the version with the latest event_time
  // wins (ties broken deterministically), whatever the arrival order. INVALID_ARGUMENT
  // (nothing written) if any customer id, name, value or time is invalid. Returns the
  // number of attributes written.
  absl::StatusOr<size_t> UpsertAttributes(absl::Span<const CustomerAttributes> updates,
                                          Durability durability);

  // Resolves feature names to a selection; empty `names` selects every feature.
  // INVALID_ARGUMENT naming the first unknown feature.
  absl::StatusOr<FeatureSelection> Select(absl::Span<const std::string> names) const;

  // One vector per id, in order (ids need not be valid or distinct; an unknown or invalid
  // id yields found=false with NOT_FOUND defaults). Reads from one snapshot, with one
  // MultiGet (two if split across threads, StoreOptions::read_helper). `as_of` (default now) must
  // lie within the retention horizon, else INVALID_ARGUMENT. Point-in-time semantics:
  // docs/storage.md. With `history_limit`, each vector's `history` holds what GetHistory(id,
  // *history_limit) would return (empty for an unknown customer), read in the same MultiGet and
  // snapshot; history is not point-in-time, so INVALID_ARGUMENT if `as_of` is given too.
  absl::StatusOr<std::vector<FeatureVector>> GetFeatures(
      absl::Span<const std::string> ids, const FeatureSelection& selection,
      std::optional<absl::Time> as_of, std::optional<size_t> history_limit = std::nullopt) const;

  // The unified profile, or nullopt for an unknown customer.
  absl::StatusOr<std::optional<Profile>> GetProfile(absl::string_view customer_id) const;

  // Up to `limit` (0 = history_cap) most recent interactions, newest first; nullopt for an
  // unknown customer.
  absl::StatusOr<std::optional<std::vector<Interaction>>> GetHistory(absl::string_view customer_id,
                                                                     size_t limit) const;

  // Deletes every key of the customer in every column family, atomically and durably
  // (fsync). Returns whether the customer existed. Reads see the erasure at once; the
  // data is physically gone after the next compaction of the affected files.
  absl::StatusOr<bool> Erase(absl::string_view customer_id);

  // Calls `visit` for every customer of partitions [begin, end) known as of `as_of`, in
  // key order, with its feature vector; stops at the first non-OK status from `visit` and
  // returns it. Reads from one consistent snapshot.
  absl::Status Export(uint32_t begin, uint32_t end, const FeatureSelection& selection,
                      std::optional<absl::Time> as_of,
                      const std::function<absl::Status(absl::string_view customer_id,
                                                       FeatureVector vector)>& visit) const;

  // Writes a consistent checkpoint (hard links + copied WAL) to `directory`, which must
  // not exist. It opens as a store in its own right.
  absl::Status Checkpoint(const std::string& directory);

  // Compacts every column family fully (applies retention and physically removes erased
  // data). Blocks until done, or until StopCompactions (then ABORTED).
  absl::Status CompactAll();
  // Makes a running CompactAll return soon (what it compacted so far stays) and every later
  // one fail at once: for shutdown. Thread-safe.
  void StopCompactions();

  StoreStats Stats() const;
  // Reads RocksDB's in-memory properties and statistics tickers (no I/O, no locks held
  // across calls): cheap enough for every metrics scrape. The store collects tickers at
  // StatsLevel::kExceptHistogramOrTimers.
  RocksHealth Health() const;
  const FeatureRegistry& registry() const;
  const StoreOptions& options() const;

 private:
  class Impl;
  explicit ProfileStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohort::storage
