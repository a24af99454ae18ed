// ProfileStore on RocksDB. Layout and semantics: docs/storage.md.
#include "storage/profile_store.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "rocksdb/db.h"
#include "rocksdb/slice.h"
#include "rocksdb/snapshot.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"
#include "storage/feature_eval.h"
#include "storage/ingest_claims.h"
#include "storage/input_checks.h"
#include "storage/keys.h"
#include "storage/merge_operators.h"
#include "storage/record_codec.h"
#include "storage/records.pb.h"
#include "storage/rocks_config.h"
#include "storage/rocks_health.h"

namespace cohort::storage {

using internal::ColumnFamily;
using internal::FromRocks;

class ProfileStore::Impl {
 public:
  Impl(StoreOptions options, std::shared_ptr<const FeatureRegistry> registry)
      : options_(std::move(options)), registry_(std::move(registry)) {}

  ~Impl() {
    if (db_ == nullptr) return;
    handles_.clear();  // handles must go before the DB closes
    db_->Close().PermitUncheckedError();
  }

  rocksdb::ColumnFamilyHandle* cf(ColumnFamily family) const { return handles_[family].get(); }

  StoreOptions options_;
  std::shared_ptr<const FeatureRegistry> registry_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<std::unique_ptr<rocksdb::ColumnFamilyHandle>> handles_;  // by ColumnFamily
  internal::DedupClaims claims_;                                       // ingest_claims.h
  mutable std::atomic<int> reads_in_flight_{0};                        // GetFeatures calls
  mutable std::atomic<int64_t> last_read_end_nanos_{0};                // the latest one's end
};

namespace {

absl::Status CheckOptions(const StoreOptions& o, const FeatureRegistry* registry) {
  if (registry == nullptr) return absl::InvalidArgumentError("registry must not be null");
  if (o.path.empty()) return absl::InvalidArgumentError("options.path is empty");
  if (o.partitions == 0 || o.partitions > kMaxPartitions) {
    return absl::InvalidArgumentError(
        absl::StrCat("options.partitions is ", o.partitions, "; it must be in [1, 65536]"));
  }
  if (o.retention_days < 1)
    return absl::InvalidArgumentError("options.retention_days must be >= 1");
  if (o.history_cap < 1) return absl::InvalidArgumentError("options.history_cap must be >= 1");
  if (o.attribute_versions < 1) {
    return absl::InvalidArgumentError("options.attribute_versions must be >= 1");
  }
  if (!o.clock) return absl::InvalidArgumentError("options.clock is empty");
  return absl::OkStatus();
}

absl::Status CheckSelection(const FeatureSelection& selection, const FeatureRegistry& registry) {
  for (size_t index : selection.indices) {
    if (index >= registry.features().size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("feature selection index ", index, " is not in this store's registry (",
                       registry.features().size(), " features); build selections with Select()"));
    }
  }
  return absl::OkStatus();
}

absl::string_view View(const rocksdb::Slice& slice) {
  return absl::string_view(slice.data(), slice.size());
}

// DATA_LOSS naming the customer whose stored `what` record does not decode.
absl::Status UnreadableRecord(absl::string_view what, absl::string_view customer_id) {
  return absl::DataLossError(
      absl::StrCat("stored ", what, " record of customer '", customer_id, "' does not parse"));
}

// Decodes `bytes` into `view` (storage/record_views.h), which then views `bytes`.
template <typename RecordView>
absl::Status DecodeRecord(const rocksdb::Slice& bytes, absl::string_view what,
                          absl::string_view customer_id, RecordView* view) {
  if (view->Decode(View(bytes))) return absl::OkStatus();
  return UnreadableRecord(what, customer_id);
}

// Decodes a customer's stored record (aggregates family) into `aggregates` and, if it holds
// any, `attributes`, and points `records` at them.
absl::Status DecodeCustomer(const rocksdb::Slice& bytes, absl::string_view customer_id,
                            AggregatesView* aggregates, AttributesView* attributes,
                            RecordViews* records) {
  COHORT_RETURN_IF_ERROR(DecodeRecord(bytes, "aggregates", customer_id, aggregates));
  records->aggregates = aggregates;
  records->attributes = nullptr;
  if (aggregates->attributes().has_value()) {
    if (!attributes->Decode(*aggregates->attributes())) {
      return UnreadableRecord("attributes", customer_id);
    }
    records->attributes = attributes;
  }
  return absl::OkStatus();
}

// Parses `bytes` into a protobuf `record` (GetProfile, GetHistory).
template <typename Record>
absl::Status ParseRecord(const rocksdb::Slice& bytes, absl::string_view what,
                         absl::string_view customer_id, Record* record) {
  if (record->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::OkStatus();
  }
  return UnreadableRecord(what, customer_id);
}

// The newest `limit` (0: `cap`) interactions of a stored History record, newest first.
absl::StatusOr<std::vector<Interaction>> HistoryOf(const rocksdb::Slice& bytes,
                                                   absl::string_view customer_id, size_t limit,
                                                   size_t cap) {
  records::History history;
  COHORT_RETURN_IF_ERROR(ParseRecord(bytes, "history", customer_id, &history));
  const size_t count =
      std::min(limit == 0 ? cap : limit, static_cast<size_t>(history.items_size()));
  std::vector<Interaction> interactions;
  interactions.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    interactions.push_back(internal::InteractionOf(history.items(static_cast<int>(i))));
  }
  return interactions;
}

// Reads the records of one customer from `families` at one snapshot. found[i] tells whether
// families[i] holds the key; values[i] is then its value.
absl::Status ReadCustomer(rocksdb::DB& db,
                          const std::vector<rocksdb::ColumnFamilyHandle*>& families,
                          const std::string& key, std::vector<rocksdb::PinnableSlice>* values,
                          std::vector<bool>* found) {
  const size_t n = families.size();
  std::vector<rocksdb::Slice> keys(n, rocksdb::Slice(key));
  std::vector<rocksdb::Status> statuses(n);
  values->clear();
  values->resize(n);
  found->assign(n, false);
  std::vector<rocksdb::ColumnFamilyHandle*> cfs = families;
  rocksdb::ManagedSnapshot snapshot(&db);
  rocksdb::ReadOptions read;
  read.snapshot = snapshot.snapshot();
  db.MultiGet(read, n, cfs.data(), keys.data(), values->data(), statuses.data());
  for (size_t i = 0; i < n; ++i) {
    if (statuses[i].ok()) {
      (*found)[i] = true;
    } else if (!statuses[i].IsNotFound()) {
      return FromRocks(statuses[i], "reading customer");
    }
  }
  return absl::OkStatus();
}

// Flushes the "default" family after a metadata write, its only write. Left in the memtable,
// that write would keep every WAL file alive until max_total_wal_size (512 MiB) forced a
// flush of it.
absl::Status FlushMetadata(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* meta_cf) {
  return FromRocks(db.Flush(rocksdb::FlushOptions(), meta_cf), "flushing store metadata");
}

// Converts a format-1 store, which kept attributes in their own family, to format 2: each
// attribute record is merged into the customer's aggregates record, then the family is
// emptied and the metadata says format 2, in one synced batch. Attribute merges are
// idempotent (a version merged twice is kept once), so a conversion cut short by a crash
// is simply done again at the next open.
absl::Status MoveAttributesIntoRecords(
    rocksdb::DB& db, const std::vector<std::unique_ptr<rocksdb::ColumnFamilyHandle>>& handles,
    internal::StoreMetadata meta) {
  auto cf = [&handles](ColumnFamily family) { return handles[family].get(); };
  std::unique_ptr<rocksdb::Iterator> it(
      db.NewIterator(rocksdb::ReadOptions(), cf(internal::kAttributesCf)));
  rocksdb::WriteBatch batch;
  std::string value;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    records::Aggregates operand;  // attributes only, as UpsertAttributes writes
    if (!operand.mutable_attributes()->ParseFromArray(it->value().data(),
                                                      static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("converting the store to format ",
                                              internal::kFormatVersion, ": attributes record '",
                                              it->key().ToString(true), "' does not parse"));
    }
    operand.SerializeToString(&value);
    COHORT_RETURN_IF_ERROR(FromRocks(batch.Merge(cf(internal::kAggregatesCf), it->key(), value),
                                     "building conversion batch"));
    if (batch.Count() >= 4096) {
      COHORT_RETURN_IF_ERROR(
          FromRocks(db.Write(rocksdb::WriteOptions(), &batch), "converting attributes"));
      batch.Clear();
    }
  }
  COHORT_RETURN_IF_ERROR(FromRocks(it->status(), "reading attributes to convert"));
  // Customer keys start with a two-byte partition and a length byte of at most 128.
  COHORT_RETURN_IF_ERROR(
      FromRocks(batch.DeleteRange(cf(internal::kAttributesCf), "", "\xff\xff\xff"),
                "building conversion batch"));
  meta.format_version = internal::kFormatVersion;
  COHORT_RETURN_IF_ERROR(FromRocks(
      batch.Put(cf(internal::kDefaultCf), internal::kMetadataKey, internal::EncodeMetadata(meta)),
      "building conversion batch"));
  rocksdb::WriteOptions write;
  write.sync = true;
  return FromRocks(db.Write(write, &batch), "converting attributes");
}

// GetFeatures' work for `ids` at `snapshot`: one MultiGet of their records (and histories),
// then each customer's evaluation.
absl::StatusOr<std::vector<FeatureVector>> ReadFeatures(
    rocksdb::DB& db, const rocksdb::Snapshot* snapshot, rocksdb::ColumnFamilyHandle* aggregates_cf,
    rocksdb::ColumnFamilyHandle* history_cf, uint32_t partitions, size_t history_cap,
    absl::Span<const std::string> ids, const FeatureEvaluator& evaluator, absl::Time read_time,
    std::optional<size_t> history_limit) {
  // Keys of the distinct valid ids, packed in one buffer; slot[i] = index of ids[i] among
  // them (duplicates share a slot, so each customer is read and parsed once).
  const size_t n = ids.size();
  constexpr size_t kInvalid = static_cast<size_t>(-1);
  std::vector<size_t> slot(n, kInvalid);
  std::vector<size_t> key_end;
  key_end.reserve(n);
  std::string key_bytes;
  key_bytes.reserve(n * 24);
  absl::flat_hash_map<absl::string_view, size_t> slot_of;
  slot_of.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!ValidateId(ids[i], "customer_id").ok()) continue;
    const auto [it, inserted] = slot_of.try_emplace(ids[i], key_end.size());
    slot[i] = it->second;
    if (!inserted) continue;
    internal::AppendCustomerKey(PartitionOf(ids[i], partitions), ids[i], &key_bytes);
    key_end.push_back(key_bytes.size());
  }
  const size_t m = key_end.size();
  // Per customer k: its record (aggregates and attributes) at k and, if asked for, its
  // history at m + k.
  const size_t reads = (history_limit.has_value() ? 2 : 1) * m;
  std::vector<rocksdb::Slice> keys(reads);
  std::vector<rocksdb::ColumnFamilyHandle*> families(reads);
  for (size_t k = 0; k < m; ++k) {
    const size_t begin = k == 0 ? 0 : key_end[k - 1];
    const rocksdb::Slice key(key_bytes.data() + begin, key_end[k] - begin);
    for (size_t j = k; j < reads; j += m) keys[j] = key;
    families[k] = aggregates_cf;
    if (history_limit.has_value()) families[m + k] = history_cf;
  }
  std::vector<rocksdb::PinnableSlice> values(reads);
  std::vector<rocksdb::Status> statuses(reads);
  if (m > 0) {
    rocksdb::ReadOptions read;
    read.snapshot = snapshot;
    db.MultiGet(read, reads, families.data(), keys.data(), values.data(), statuses.data());
    for (size_t j = 0; j < reads; ++j) {
      if (!statuses[j].IsNotFound()) {
        COHORT_RETURN_IF_ERROR(FromRocks(statuses[j], "reading feature records"));
      }
    }
  }
  // Each customer's record is decoded into views of `values` (no copies) just before its
  // evaluation; the views' buffers are reused from one customer to the next.
  AggregatesView aggregates;
  AttributesView attributes;
  std::vector<FeatureVector> vectors;
  vectors.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t k = slot[i];  // kInvalid: an invalid id, found=false without a read
    RecordViews records;
    if (k != kInvalid && statuses[k].ok()) {
      COHORT_RETURN_IF_ERROR(DecodeCustomer(values[k], ids[i], &aggregates, &attributes, &records));
    }
    FeatureVector& vector = vectors.emplace_back(evaluator.Evaluate(records, read_time));
    if (k != kInvalid && history_limit.has_value() && statuses[m + k].ok()) {
      COHORT_ASSIGN_OR_RETURN(vector.history,
                              HistoryOf(values[m + k], ids[i], *history_limit, history_cap));
    }
  }
  return vectors;
}

}  // namespace

ProfileStore::ProfileStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProfileStore::~ProfileStore() = default;

absl::StatusOr<std::unique_ptr<ProfileStore>> ProfileStore::Open(
    StoreOptions options, std::shared_ptr<const FeatureRegistry> registry) {
  COHORT_RETURN_IF_ERROR(CheckOptions(options, registry.get()));
  auto impl = std::make_unique<Impl>(std::move(options), std::move(registry));
  const StoreOptions& o = impl->options_;

  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(internal::MakeDbOptions(o), o.path,
                                        internal::MakeColumnFamilies(o), &handles, &db);
  COHORT_RETURN_IF_ERROR(FromRocks(s, absl::StrCat("opening store at ", o.path)));
  impl->db_.reset(db);
  for (auto* handle : handles) impl->handles_.emplace_back(handle);

  std::string meta_value;
  s = db->Get(rocksdb::ReadOptions(), impl->cf(internal::kDefaultCf), internal::kMetadataKey,
              &meta_value);
  if (s.IsNotFound()) {
    internal::StoreMetadata meta;
    meta.partitions = o.partitions;
    rocksdb::WriteOptions write;
    write.sync = true;
    s = db->Put(write, impl->cf(internal::kDefaultCf), internal::kMetadataKey,
                internal::EncodeMetadata(meta));
    COHORT_RETURN_IF_ERROR(FromRocks(s, "writing store metadata"));
    COHORT_RETURN_IF_ERROR(FlushMetadata(*db, impl->cf(internal::kDefaultCf)));
  } else {
    COHORT_RETURN_IF_ERROR(FromRocks(s, "reading store metadata"));
    COHORT_ASSIGN_OR_RETURN(internal::StoreMetadata meta, internal::DecodeMetadata(meta_value));
    if (meta.format_version != internal::kFormatVersion &&
        meta.format_version != internal::kSeparateAttributesFormatVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("store at ", o.path, " has format version ", meta.format_version,
                       "; this build reads versions ", internal::kSeparateAttributesFormatVersion,
                       " and ", internal::kFormatVersion));
    }
    if (meta.partitions != o.partitions) {
      return absl::FailedPreconditionError(
          absl::StrCat("store at ", o.path, " was created with ", meta.partitions,
                       " partitions but options.partitions is ", o.partitions,
                       "; the partition count is fixed when a store is created"));
    }
    if (meta.format_version == internal::kSeparateAttributesFormatVersion) {
      COHORT_RETURN_IF_ERROR(MoveAttributesIntoRecords(*db, impl->handles_, meta));
      COHORT_RETURN_IF_ERROR(FlushMetadata(*db, impl->cf(internal::kDefaultCf)));
    }
  }
  return std::unique_ptr<ProfileStore>(new ProfileStore(std::move(impl)));
}

namespace {

// A valid event of an Ingest call: its position and keys.
struct IngestCandidate {
  size_t index;
  std::string customer_key;
  std::string dedup_key;
};

// The column families an ingest batch writes, and the history cap.
struct IngestFamilies {
  rocksdb::ColumnFamilyHandle* dedup;
  rocksdb::ColumnFamilyHandle* aggregates;
  rocksdb::ColumnFamilyHandle* history;
  size_t history_cap;
};

// One WriteBatch for the events `chosen` (positions into `candidates`, in key order): a Put
// of each dedup key, then per customer one Merge of the events' aggregates and one of their
// history, in key order (the memtable's skiplist inserts sorted keys cheaply).
absl::Status BuildIngestBatch(const IngestFamilies& cf, absl::Span<const Event> events,
                              const std::vector<IngestCandidate>& candidates,
                              const std::vector<size_t>& chosen, rocksdb::WriteBatch* batch) {
  struct Operands {
    records::Aggregates aggregates;
    records::History history;
  };
  std::map<absl::string_view, Operands> per_customer;
  for (size_t k : chosen) {
    const IngestCandidate& c = candidates[k];
    const Event& event = events[c.index];
    COHORT_RETURN_IF_ERROR(
        FromRocks(batch->Put(cf.dedup, c.dedup_key,
                             internal::EncodeEventTime(absl::ToUnixMicros(event.time))),
                  "building write batch"));
    Operands& ops = per_customer[c.customer_key];
    internal::MergeAggregates(internal::AggregatesOfEvent(event), &ops.aggregates);
    *ops.history.add_items() = internal::HistoryItemOfEvent(event);  // normalized below
  }
  std::string value;
  for (auto& [customer_key, ops] : per_customer) {
    const rocksdb::Slice key(customer_key.data(), customer_key.size());
    ops.aggregates.SerializeToString(&value);
    COHORT_RETURN_IF_ERROR(
        FromRocks(batch->Merge(cf.aggregates, key, value), "building write batch"));
    records::History history;  // newest first, capped
    internal::MergeHistories(std::move(ops.history), cf.history_cap, &history);
    history.SerializeToString(&value);
    COHORT_RETURN_IF_ERROR(FromRocks(batch->Merge(cf.history, key, value), "building write batch"));
  }
  return absl::OkStatus();
}

// Which of `keys` the dedup family holds: one MultiGet.
absl::StatusOr<std::vector<bool>> StoredDedupKeys(rocksdb::DB& db,
                                                  rocksdb::ColumnFamilyHandle* dedup,
                                                  absl::Span<const std::string* const> keys) {
  const size_t n = keys.size();
  std::vector<rocksdb::Slice> slices;
  slices.reserve(n);
  for (const std::string* key : keys) slices.emplace_back(*key);
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  db.MultiGet(rocksdb::ReadOptions(), dedup, n, slices.data(), values.data(), statuses.data());
  std::vector<bool> stored(n);
  for (size_t i = 0; i < n; ++i) {
    if (!statuses[i].ok() && !statuses[i].IsNotFound()) {
      return FromRocks(statuses[i], "reading dedup keys");
    }
    stored[i] = statuses[i].ok();
  }
  return stored;
}

}  // namespace

absl::StatusOr<std::vector<IngestResult>> ProfileStore::Ingest(absl::Span<const Event> events,
                                                               Durability durability) {
  Impl& s = *impl_;
  const StoreOptions& o = s.options_;
  const absl::Time now = o.clock();
  std::vector<IngestResult> results(events.size());

  std::vector<IngestCandidate> candidates;
  candidates.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    absl::Status valid = internal::CheckEvent(events[i], now, o.retention_days);
    if (!valid.ok()) {
      results[i].outcome = IngestOutcome::kRejected;
      results[i].reason = std::string(valid.message());
      continue;
    }
    std::string customer_key = internal::CustomerKeyOf(events[i].customer_id, o.partitions);
    std::string dedup_key = internal::DedupKey(customer_key, events[i].event_id);
    candidates.push_back({i, std::move(customer_key), std::move(dedup_key)});
  }
  if (candidates.empty()) return results;
  // Sorted keys: the memtable skiplist inserts them along one search path (much cheaper
  // than random inserts), and equal event ids end up adjacent, the earliest first.
  std::stable_sort(
      candidates.begin(), candidates.end(),
      [](const IngestCandidate& a, const IngestCandidate& b) { return a.dedup_key < b.dedup_key; });

  // Rounds (storage/ingest_claims.h): look the pending events' dedup keys up and claim the
  // absent ones, write the claimed events with no lock held, release the claims, then wait
  // for the calls holding deferred events' keys and look those up again.
  const internal::DedupClaims::StoredFn stored = [&s](absl::Span<const std::string* const> keys) {
    return StoredDedupKeys(*s.db_, s.cf(internal::kDedupCf), keys);
  };
  const IngestFamilies families{s.cf(internal::kDedupCf), s.cf(internal::kAggregatesCf),
                                s.cf(internal::kHistoryCf), o.history_cap};
  absl::flat_hash_set<absl::string_view> taken;  // keys this call applied or claimed
  std::vector<size_t> pending(candidates.size());
  for (size_t k = 0; k < pending.size(); ++k) pending[k] = k;
  while (!pending.empty()) {
    std::vector<const std::string*> keys;
    keys.reserve(pending.size());
    for (size_t k : pending) keys.push_back(&candidates[k].dedup_key);
    internal::ClaimPlan plan;
    {  // The round's claims are released when it ends, before this call waits for others.
      internal::DedupClaims::Round round(s.claims_);
      COHORT_ASSIGN_OR_RETURN(plan, s.claims_.LookUpAndClaim(keys, stored, taken, round));
      for (size_t i : plan.duplicates) {
        results[candidates[pending[i]].index].outcome = IngestOutcome::kDuplicate;
      }
      if (!plan.claimed.empty()) {
        if (o.ingest_hook) o.ingest_hook("claimed");
        std::vector<size_t> chosen;
        chosen.reserve(plan.claimed.size());
        for (size_t i : plan.claimed) chosen.push_back(pending[i]);
        rocksdb::WriteBatch batch;
        COHORT_RETURN_IF_ERROR(BuildIngestBatch(families, events, candidates, chosen, &batch));
        rocksdb::WriteOptions write;
        write.sync = durability == Durability::kSync;
        COHORT_RETURN_IF_ERROR(FromRocks(s.db_->Write(write, &batch), "writing ingest batch"));
        for (size_t k : chosen) results[candidates[k].index].outcome = IngestOutcome::kApplied;
      }
    }
    if (!plan.waits.empty() && o.ingest_hook) o.ingest_hook("waiting");
    for (const auto& holder : plan.waits) holder->done.WaitForNotification();
    std::vector<size_t> deferred;
    deferred.reserve(plan.deferred.size());
    for (size_t i : plan.deferred) deferred.push_back(pending[i]);
    pending = std::move(deferred);
  }
  return results;
}

absl::StatusOr<size_t> ProfileStore::UpsertAttributes(absl::Span<const CustomerAttributes> updates,
                                                      Durability durability) {
  Impl& s = *impl_;
  const StoreOptions& o = s.options_;
  const absl::Time now = o.clock();
  for (size_t i = 0; i < updates.size(); ++i) {
    const std::string prefix = absl::StrCat("customers[", i, "]");
    COHORT_RETURN_IF_ERROR(
        ValidateId(updates[i].customer_id, absl::StrCat(prefix, ".customer_id")));
    for (size_t j = 0; j < updates[i].attributes.size(); ++j) {
      COHORT_RETURN_IF_ERROR(internal::CheckAttribute(
          updates[i].attributes[j], now, absl::StrCat(prefix, ".attributes[", j, "]")));
    }
  }
  const int64_t written_us = absl::ToUnixMicros(now);
  rocksdb::WriteBatch batch;
  size_t written = 0;
  std::string value;
  for (const CustomerAttributes& update : updates) {
    if (update.attributes.empty()) continue;
    records::AttributeSet set;
    for (const Attribute& attribute : update.attributes) {
      records::AttributeSet one;
      records::AttributeVersions* versions = one.add_attributes();
      versions->set_name(attribute.name);
      *versions->add_versions() = internal::StoredOf(attribute, written_us);
      internal::MergeAttributeSets(std::move(one), o.attribute_versions, &set);
      ++written;
    }
    records::Aggregates operand;  // attributes only
    *operand.mutable_attributes() = std::move(set);
    operand.SerializeToString(&value);
    COHORT_RETURN_IF_ERROR(
        FromRocks(batch.Merge(s.cf(internal::kAggregatesCf),
                              internal::CustomerKeyOf(update.customer_id, o.partitions), value),
                  "building write batch"));
  }
  if (written == 0) return written;
  rocksdb::WriteOptions write;
  write.sync = durability == Durability::kSync;
  COHORT_RETURN_IF_ERROR(FromRocks(s.db_->Write(write, &batch), "writing attributes"));
  return written;
}

absl::StatusOr<FeatureSelection> ProfileStore::Select(absl::Span<const std::string> names) const {
  const FeatureRegistry& registry = *impl_->registry_;
  FeatureSelection selection;
  if (names.empty()) {
    selection.indices.resize(registry.features().size());
    for (size_t i = 0; i < selection.indices.size(); ++i) selection.indices[i] = i;
    return selection;
  }
  selection.indices.reserve(names.size());
  for (const std::string& name : names) {
    std::optional<size_t> index = registry.Find(name);
    if (!index.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown feature '", name, "'; ListFeatures names the served ones"));
    }
    selection.indices.push_back(*index);
  }
  return selection;
}

absl::StatusOr<std::vector<FeatureVector>> ProfileStore::GetFeatures(
    absl::Span<const std::string> ids, const FeatureSelection& selection,
    std::optional<absl::Time> as_of, std::optional<size_t> history_limit) const {
  const Impl& s = *impl_;
  const StoreOptions& o = s.options_;
  const absl::Time read_time = as_of.has_value() ? *as_of : o.clock();
  if (as_of.has_value()) {
    COHORT_RETURN_IF_ERROR(internal::CheckAsOf(*as_of, o.clock(), o.retention_days));
    if (history_limit.has_value()) {
      return absl::InvalidArgumentError(
          "history is not point-in-time: ask for it without as_of (or use GetHistory)");
    }
  }
  COHORT_RETURN_IF_ERROR(CheckSelection(selection, *s.registry_));

  const FeatureEvaluator evaluator(*s.registry_, selection);
  rocksdb::ManagedSnapshot snapshot(s.db_.get());
  const auto read = [&](absl::Span<const std::string> part) {
    return ReadFeatures(*s.db_, snapshot.snapshot(), s.cf(internal::kAggregatesCf),
                        s.cf(internal::kHistoryCf), o.partitions, o.history_cap, part, evaluator,
                        read_time, history_limit);
  };
  if (!o.read_helper) return read(ids);
  // Split only when the node looks idle: no other GetFeatures running, and none ended in the
  // last kIdleGapNanos. Under load calls queue in gRPC and start right as another ends, so
  // "none running" alone is not enough: at peak it split a third of the calls, the gap about
  // a fifth (bench/: peak throughput ~4% lower than without splitting).
  constexpr int64_t kIdleGapNanos = 100'000;
  const int64_t start_nanos = absl::GetCurrentTimeNanos();
  const bool idle = s.reads_in_flight_.fetch_add(1) == 0 &&
                    start_nanos - s.last_read_end_nanos_.load() > kIdleGapNanos;
  struct Done {
    const ProfileStore::Impl& s;
    ~Done() {
      s.last_read_end_nanos_.store(absl::GetCurrentTimeNanos());
      s.reads_in_flight_.fetch_sub(1);
    }
  } done{s};
  if (!idle || ids.size() < kSplitReadBatch) return read(ids);

  const size_t half = ids.size() / 2;
  absl::StatusOr<std::vector<FeatureVector>> tail;
  absl::Notification tail_done;
  const bool handed = o.read_helper([&] {
    tail = read(ids.subspan(half));
    tail_done.Notify();
  });
  absl::StatusOr<std::vector<FeatureVector>> head = read(ids.first(half));
  if (handed) {
    tail_done.WaitForNotification();
  } else {
    tail = read(ids.subspan(half));
  }
  if (!head.ok()) return head.status();
  if (!tail.ok()) return tail.status();
  head->reserve(ids.size());
  for (FeatureVector& vector : *tail) head->push_back(std::move(vector));
  return head;
}

absl::StatusOr<std::optional<Profile>> ProfileStore::GetProfile(
    absl::string_view customer_id) const {
  const Impl& s = *impl_;
  COHORT_RETURN_IF_ERROR(ValidateId(customer_id, "customer_id"));
  const std::string key = internal::CustomerKeyOf(customer_id, s.options_.partitions);
  std::vector<rocksdb::PinnableSlice> values;
  std::vector<bool> found;
  COHORT_RETURN_IF_ERROR(
      ReadCustomer(*s.db_, {s.cf(internal::kAggregatesCf)}, key, &values, &found));
  if (!found[0]) return std::optional<Profile>();
  Profile profile;
  profile.customer_id = std::string(customer_id);
  profile.partition = PartitionOf(customer_id, s.options_.partitions);
  records::Aggregates record;
  COHORT_RETURN_IF_ERROR(ParseRecord(values[0], "aggregates", customer_id, &record));
  internal::FillFromAggregates(record, &profile);
  if (record.has_attributes()) internal::FillFromAttributes(record.attributes(), &profile);
  return std::optional<Profile>(std::move(profile));
}

absl::StatusOr<std::optional<std::vector<Interaction>>> ProfileStore::GetHistory(
    absl::string_view customer_id, size_t limit) const {
  const Impl& s = *impl_;
  COHORT_RETURN_IF_ERROR(ValidateId(customer_id, "customer_id"));
  const std::string key = internal::CustomerKeyOf(customer_id, s.options_.partitions);
  std::vector<rocksdb::PinnableSlice> values;
  std::vector<bool> found;
  COHORT_RETURN_IF_ERROR(ReadCustomer(
      *s.db_, {s.cf(internal::kHistoryCf), s.cf(internal::kAggregatesCf)}, key, &values, &found));
  if (!found[0] && !found[1]) return std::optional<std::vector<Interaction>>();
  std::vector<Interaction> interactions;
  if (found[0]) {
    COHORT_ASSIGN_OR_RETURN(interactions,
                            HistoryOf(values[0], customer_id, limit, s.options_.history_cap));
  }
  return std::optional<std::vector<Interaction>>(std::move(interactions));
}

absl::StatusOr<bool> ProfileStore::Erase(absl::string_view customer_id) {
  Impl& s = *impl_;
  COHORT_RETURN_IF_ERROR(ValidateId(customer_id, "customer_id"));
  const std::string key = internal::CustomerKeyOf(customer_id, s.options_.partitions);
  std::vector<rocksdb::PinnableSlice> values;
  std::vector<bool> found;
  const std::vector<rocksdb::ColumnFamilyHandle*> families = {s.cf(internal::kAggregatesCf),
                                                              s.cf(internal::kHistoryCf)};
  COHORT_RETURN_IF_ERROR(ReadCustomer(*s.db_, families, key, &values, &found));
  const bool existed = std::find(found.begin(), found.end(), true) != found.end();

  rocksdb::WriteBatch batch;
  for (auto* family : families) {
    COHORT_RETURN_IF_ERROR(FromRocks(batch.Delete(family, key), "building erase batch"));
  }
  // The customer key is prefix-free, so [key, successor) holds exactly its dedup keys.
  COHORT_RETURN_IF_ERROR(
      FromRocks(batch.DeleteRange(s.cf(internal::kDedupCf), key, internal::PrefixSuccessor(key)),
                "building erase batch"));
  rocksdb::WriteOptions write;
  write.sync = true;
  COHORT_RETURN_IF_ERROR(FromRocks(s.db_->Write(write, &batch), "writing erase batch"));
  return existed;
}

absl::Status ProfileStore::Export(
    uint32_t begin, uint32_t end, const FeatureSelection& selection,
    std::optional<absl::Time> as_of,
    const std::function<absl::Status(absl::string_view customer_id, FeatureVector vector)>& visit)
    const {
  const Impl& s = *impl_;
  const StoreOptions& o = s.options_;
  if (begin >= end || end > o.partitions) {
    return absl::InvalidArgumentError(absl::StrCat("partition range [", begin, ", ", end,
                                                   ") is empty or beyond the store's ",
                                                   o.partitions, " partitions"));
  }
  const absl::Time read_time = as_of.has_value() ? *as_of : o.clock();
  if (as_of.has_value()) {
    COHORT_RETURN_IF_ERROR(internal::CheckAsOf(*as_of, o.clock(), o.retention_days));
  }
  COHORT_RETURN_IF_ERROR(CheckSelection(selection, *s.registry_));

  const internal::KeyRange range = internal::PartitionRange(begin, end);
  const rocksdb::Slice upper(range.end);
  rocksdb::ManagedSnapshot snapshot(s.db_.get());
  rocksdb::ReadOptions read;
  read.snapshot = snapshot.snapshot();
  read.fill_cache = false;  // a scan must not evict the serving working set
  if (!range.end.empty()) read.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(s.db_->NewIterator(read, s.cf(internal::kAggregatesCf)));
  AggregatesView aggregates;
  AttributesView attributes;
  const FeatureEvaluator evaluator(*s.registry_, selection);
  for (it->Seek(range.begin); it->Valid(); it->Next()) {
    const std::optional<internal::DecodedKey> decoded = internal::DecodeKey(View(it->key()));
    if (!decoded.has_value() || !decoded->suffix.empty()) {
      return absl::DataLossError(
          absl::StrCat("malformed customer key '", it->key().ToString(true), "'"));
    }
    RecordViews customer;
    COHORT_RETURN_IF_ERROR(
        DecodeCustomer(it->value(), decoded->customer_id, &aggregates, &attributes, &customer));
    FeatureVector vector = evaluator.Evaluate(customer, read_time);
    if (vector.found) COHORT_RETURN_IF_ERROR(visit(decoded->customer_id, std::move(vector)));
  }
  return FromRocks(it->status(), "scanning aggregates");
}

absl::Status ProfileStore::Checkpoint(const std::string& directory) {
  rocksdb::Checkpoint* raw = nullptr;
  COHORT_RETURN_IF_ERROR(
      FromRocks(rocksdb::Checkpoint::Create(impl_->db_.get(), &raw), "creating checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(directory),
                   absl::StrCat("writing checkpoint to ", directory));
}

absl::Status ProfileStore::CompactAll() {
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (const auto& handle : impl_->handles_) {
    const rocksdb::Status s = impl_->db_->CompactRange(compact, handle.get(), nullptr, nullptr);
    if (s.IsManualCompactionPaused()) {
      return absl::AbortedError("compaction stopped: the store is shutting down");
    }
    COHORT_RETURN_IF_ERROR(
        FromRocks(s, absl::StrCat("compacting column family ", handle->GetName())));
  }
  return absl::OkStatus();
}

void ProfileStore::StopCompactions() { impl_->db_->DisableManualCompaction(); }

StoreStats ProfileStore::Stats() const {
  StoreStats stats;
  for (size_t i = 0; i < impl_->handles_.size(); ++i) {
    uint64_t keys = 0, bytes = 0;
    rocksdb::ColumnFamilyHandle* handle = impl_->handles_[i].get();
    impl_->db_->GetIntProperty(handle, "rocksdb.estimate-num-keys", &keys);
    impl_->db_->GetIntProperty(handle, "rocksdb.estimate-live-data-size", &bytes);
    stats.estimated_keys += keys;
    stats.live_data_bytes += bytes;
    if (i == internal::kAggregatesCf) stats.estimated_customers = keys;
  }
  return stats;
}

RocksHealth ProfileStore::Health() const {
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  for (const auto& handle : impl_->handles_) families.push_back(handle.get());
  return internal::ReadRocksHealth(*impl_->db_, families);
}

const FeatureRegistry& ProfileStore::registry() const { return *impl_->registry_; }

const StoreOptions& ProfileStore::options() const { return impl_->options_; }

}  // namespace cohort::storage
