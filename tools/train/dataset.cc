#include "tools/train/dataset.h"

#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "storage/feature_registry.h"
#include "storage/profile_store.h"
#include "storage/types.h"
#include "tools/common/events_csv.h"

namespace cohort::train {
namespace {

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

EventKind KindOf(const std::string& type) {
  if (type == "purchase") return EventKind::kPurchase;
  if (type == "add_to_cart") return EventKind::kAddToCart;
  if (type == "view") return EventKind::kView;
  return EventKind::kOther;
}

int32_t Intern(const std::string& key, std::vector<std::string>& names,
               absl::flat_hash_map<std::string, int32_t>& index) {
  auto [it, inserted] = index.try_emplace(key, static_cast<int32_t>(names.size()));
  if (inserted) names.push_back(key);
  return it->second;
}

double ToDouble(const storage::FeatureValue& v) {
  if (v.status == storage::FeatureStatus::kNotFound ||
      v.status == storage::FeatureStatus::kDefaulted) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (const double* d = std::get_if<double>(&v.value)) return *d;
  if (const int64_t* i = std::get_if<int64_t>(&v.value)) return static_cast<double>(*i);
  if (const bool* b = std::get_if<bool>(&v.value)) return *b ? 1.0 : 0.0;
  return std::numeric_limits<double>::quiet_NaN();
}

// Removes a directory tree when it goes out of scope.
class TempDir {
 public:
  static absl::StatusOr<TempDir> Create(const std::string& parent) {
    std::string templ = parent + "/cohort-train-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) {
      return absl::InternalError(
          absl::StrCat("cannot create a temporary directory under ", parent, " (set --work_dir)"));
    }
    return TempDir(std::move(templ));
  }
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Upserts every row of an attributes CSV (rows the reader refuses are skipped). Returns the
// number of attributes written.
absl::StatusOr<int64_t> IngestAttributes(const std::string& path, storage::ProfileStore& store) {
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<tools::AttributesCsvReader> reader,
                          tools::AttributesCsvReader::Open(path));
  std::vector<storage::CustomerAttributes> batch;
  int64_t written = 0;
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    COHORT_ASSIGN_OR_RETURN(size_t n, store.UpsertAttributes(batch, storage::Durability::kAsync));
    written += static_cast<int64_t>(n);
    batch.clear();
    return absl::OkStatus();
  };
  v1::CustomerAttributes row;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&row);
    if (!more.ok()) {
      if (more.status().code() != absl::StatusCode::kInvalidArgument) return more.status();
      continue;
    }
    if (!*more) break;
    storage::CustomerAttributes c;
    c.customer_id = row.customer_id();
    for (const v1::Attribute& a : row.attributes()) {
      storage::Attribute out;
      out.name = a.name();
      out.source = a.source();
      out.event_time = ToTime(a.event_time());
      switch (a.value().kind_case()) {
        case v1::AttributeValue::kStringValue:
          out.value = a.value().string_value();
          break;
        case v1::AttributeValue::kIntValue:
          out.value = a.value().int_value();
          break;
        case v1::AttributeValue::kDoubleValue:
          out.value = a.value().double_value();
          break;
        case v1::AttributeValue::kBoolValue:
          out.value = a.value().bool_value();
          break;
        case v1::AttributeValue::kTimestampValue:
          out.value = ToTime(a.value().timestamp_value());
          break;
        default:
          continue;
      }
      c.attributes.push_back(std::move(out));
    }
    if (c.attributes.empty()) continue;
    batch.push_back(std::move(c));
    if (batch.size() >= 2000) COHORT_RETURN_IF_ERROR(flush());
  }
  COHORT_RETURN_IF_ERROR(flush());
  return written;
}

}  // namespace

double SplitHash(const std::string& customer_id, uint64_t seed) {
  const uint64_t h = XxHash64(customer_id, seed ^ 0x636f686f72747472ull);
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

absl::StatusOr<Dataset> LoadDataset(const TrainOptions& options) {
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<tools::EventsCsvReader> reader,
                          tools::EventsCsvReader::Open(options.events_csv));
  Dataset data;
  v1::Event event;
  bool any = false;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&event);
    if (!more.ok()) {
      if (more.status().code() != absl::StatusCode::kInvalidArgument) return more.status();
      ++data.rows_bad;
      continue;
    }
    if (!*more) break;
    ++data.rows_read;
    EventRow row;
    row.customer = Intern(event.customer_id(), data.customers, data.customer_index);
    if (!event.item_id().empty()) row.item = Intern(event.item_id(), data.items, data.item_index);
    row.time = ToTime(event.time());
    row.type = event.type();
    row.kind = KindOf(row.type);
    if (!any || row.time < data.first_event) data.first_event = row.time;
    if (!any || row.time > data.last_event) data.last_event = row.time;
    any = true;
    data.events.push_back(std::move(row));
  }
  if (!any) {
    return absl::FailedPreconditionError(
        absl::StrCat(options.events_csv, " holds no valid event: nothing to train on"));
  }
  data.data_end = StartOfDay(DayOf(data.last_event) + 1);
  const absl::Duration horizon = absl::Hours(24 * kEvalHorizonDays);
  if (options.cutoff.has_value()) {
    data.cutoff = StartOfDay(DayOf(*options.cutoff));
  } else if (options.cutoff_quantile.has_value()) {
    const double q = *options.cutoff_quantile;
    if (!(q > 0 && q < 1)) {
      return absl::InvalidArgumentError("--cutoff_quantile must be in (0, 1)");
    }
    std::vector<absl::Time> times;
    times.reserve(data.events.size());
    for (const EventRow& e : data.events) times.push_back(e.time);
    const size_t at = static_cast<size_t>(q * static_cast<double>(times.size() - 1));
    std::nth_element(times.begin(), times.begin() + static_cast<ptrdiff_t>(at), times.end());
    data.cutoff = StartOfDay(DayOf(times[at]));
  } else {
    data.cutoff = data.data_end - horizon;
  }
  data.eval_end = data.cutoff + horizon;
  if (data.eval_end > data.data_end) {
    return absl::FailedPreconditionError(
        absl::StrCat("cutoff ", FormatRfc3339(data.cutoff), " leaves less than ", kEvalHorizonDays,
                     " days of evaluation data (the data ends ", FormatRfc3339(data.data_end),
                     "); choose an earlier --cutoff or a smaller --cutoff_quantile"));
  }
  if (data.cutoff <= StartOfDay(DayOf(data.first_event))) {
    return absl::FailedPreconditionError(
        absl::StrCat("cutoff ", FormatRfc3339(data.cutoff), " is not after the first event (",
                     FormatRfc3339(data.first_event), "): no training history"));
  }
  return data;
}

absl::StatusOr<FeatureTable> ComputeFeatures(const TrainOptions& options, const Dataset& data,
                                             const std::vector<std::string>& feature_names) {
  COHORT_ASSIGN_OR_RETURN(std::shared_ptr<const storage::FeatureRegistry> registry,
                          storage::FeatureRegistry::LoadFile(options.registry_path));
  std::string parent = options.work_dir;
  if (parent.empty()) {
    const char* tmp = getenv("TMPDIR");
    parent = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  COHORT_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create(parent));
  storage::StoreOptions store_options;
  store_options.path = dir.path() + "/store";
  store_options.block_cache_bytes = 32ull << 20;
  // Retention must cover the whole data set; the clock sits at the data's end so no event is
  // "in the future" and nothing is dropped as too old.
  const int64_t span_days = (data.data_end - data.first_event) / absl::Hours(24) + 2;
  store_options.retention_days =
      static_cast<int32_t>(std::max<int64_t>(store_options.retention_days, span_days));
  const absl::Time now = data.data_end;
  store_options.clock = [now] { return now; };
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<storage::ProfileStore> store,
                          storage::ProfileStore::Open(store_options, registry));

  FeatureTable table;
  table.names = feature_names;
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<tools::EventsCsvReader> reader,
                          tools::EventsCsvReader::Open(options.events_csv));
  std::vector<storage::Event> batch;
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    COHORT_ASSIGN_OR_RETURN(std::vector<storage::IngestResult> results,
                            store->Ingest(batch, storage::Durability::kAsync));
    for (const storage::IngestResult& r : results) {
      if (r.outcome == storage::IngestOutcome::kApplied) ++table.events_ingested;
      if (r.outcome == storage::IngestOutcome::kRejected) ++table.events_rejected;
      if (r.outcome == storage::IngestOutcome::kDuplicate) ++table.events_duplicate;
    }
    batch.clear();
    return absl::OkStatus();
  };
  v1::Event event;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&event);
    if (!more.ok()) {
      if (more.status().code() != absl::StatusCode::kInvalidArgument) return more.status();
      continue;
    }
    if (!*more) break;
    storage::Event e;
    e.event_id = event.event_id();
    e.customer_id = event.customer_id();
    e.time = ToTime(event.time());
    e.type = event.type();
    e.channel = event.channel();
    e.item_id = event.item_id();
    e.category = event.category();
    e.quantity = event.quantity();
    e.amount = event.amount();
    batch.push_back(std::move(e));
    if (batch.size() >= 2000) COHORT_RETURN_IF_ERROR(flush());
  }
  COHORT_RETURN_IF_ERROR(flush());
  if (!options.attributes_csv.empty()) {
    COHORT_ASSIGN_OR_RETURN(table.attributes_written,
                            IngestAttributes(options.attributes_csv, *store));
  }

  COHORT_ASSIGN_OR_RETURN(storage::FeatureSelection selection, store->Select(feature_names));
  COHORT_RETURN_IF_ERROR(
      store->Export(0, store->options().partitions, selection, data.cutoff,
                    [&table](absl::string_view id, storage::FeatureVector vector) -> absl::Status {
                      if (!vector.found) return absl::OkStatus();
                      std::vector<double> row;
                      row.reserve(vector.values.size());
                      for (const storage::FeatureValue& v : vector.values)
                        row.push_back(ToDouble(v));
                      table.row_of.emplace(std::string(id), table.rows.size());
                      table.customer_ids.emplace_back(id);
                      table.rows.push_back(std::move(row));
                      return absl::OkStatus();
                    }));
  return table;
}

}  // namespace cohort::train
