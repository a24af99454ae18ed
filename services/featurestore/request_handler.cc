#include "services/featurestore/request_handler.h"

#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "services/featurestore/convert.h"

#ifndef COHORT_VERSION
#define COHORT_VERSION "unknown"
#endif

namespace cohort::featurestore {

namespace {

std::vector<std::string> ToVector(const google::protobuf::RepeatedPtrField<std::string>& items) {
  return std::vector<std::string>(items.begin(), items.end());
}

// The request's as_of, or nullopt (now) when unset.
absl::StatusOr<std::optional<absl::Time>> AsOf(bool has_as_of,
                                               const google::protobuf::Timestamp& as_of) {
  if (!has_as_of) return std::optional<absl::Time>();
  COHORT_ASSIGN_OR_RETURN(absl::Time t, FromProto(as_of, "as_of"));
  return std::optional<absl::Time>(t);
}

}  // namespace

RequestHandler::RequestHandler(storage::ProfileStore& store, const Ownership& ownership,
                               const NodeOptions& options, const StoreMetrics* metrics)
    : store_(store), ownership_(ownership), options_(options), metrics_(metrics) {}

std::vector<std::string> RequestHandler::FeatureNames(
    const storage::FeatureSelection& selection) const {
  const std::vector<storage::FeatureDef>& defs = store_.registry().features();
  std::vector<std::string> names;
  names.reserve(selection.indices.size());
  for (size_t i : selection.indices) names.push_back(defs[i].name);
  return names;
}

absl::Status RequestHandler::CheckSingleCustomer(absl::string_view customer_id,
                                                 const OwnershipView& view) const {
  COHORT_RETURN_IF_ERROR(ValidateId(customer_id, "customer_id"));
  return view.CheckCustomer(customer_id);
}

absl::Status RequestHandler::Ingest(const v1::IngestRequest& request,
                                    v1::IngestResponse* response) const {
  const int n = request.events_size();
  if (static_cast<uint64_t>(n) > options_.max_batch_events) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the batch has ", n, " events; a request may carry at most ", options_.max_batch_events,
        " (this node's --max_batch_events): split it into smaller batches"));
  }
  COHORT_ASSIGN_OR_RETURN(storage::Durability durability,
                          FromProto(request.durability(), options_.default_durability));

  // Events the edge can already reject (missing or malformed time) never reach storage.
  std::vector<v1::EventResult> results(n);
  std::vector<storage::Event> events;
  std::vector<int> event_index;  // events[k] is request.events(event_index[k])
  events.reserve(n);
  event_index.reserve(n);
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<storage::Event> event =
        FromProto(request.events(i), absl::StrCat("events[", i, "]"));
    if (!event.ok()) {
      results[i].set_outcome(v1::EventResult::OUTCOME_REJECTED);
      results[i].set_reason(std::string(event.status().message()));
      continue;
    }
    events.push_back(*std::move(event));
    event_index.push_back(i);
  }

  Ownership::WriteScope scope(ownership_);
  for (const v1::Event& event : request.events()) {
    // Invalid ids have no meaningful partition: storage rejects those events.
    if (!ValidateId(event.customer_id(), "customer_id").ok()) continue;
    COHORT_RETURN_IF_ERROR(scope.view().CheckCustomer(event.customer_id()));
  }
  std::vector<storage::IngestResult> stored;
  if (!events.empty()) {
    COHORT_ASSIGN_OR_RETURN(stored, store_.Ingest(events, durability));
    NoteWrites(events.size());
    if (stored.size() != events.size()) {
      return absl::InternalError(absl::StrCat("storage returned ", stored.size(), " results for ",
                                              events.size(), " events"));
    }
  }
  for (size_t k = 0; k < stored.size(); ++k) {
    v1::EventResult& result = results[event_index[k]];
    result.set_outcome(ToProto(stored[k].outcome));
    result.set_reason(std::move(stored[k].reason));
  }

  response->Clear();
  response->set_sequence(request.sequence());
  uint32_t applied = 0, duplicates = 0, rejected = 0;
  for (v1::EventResult& result : results) {
    switch (result.outcome()) {
      case v1::EventResult::OUTCOME_APPLIED:
        ++applied;
        break;
      case v1::EventResult::OUTCOME_DUPLICATE:
        ++duplicates;
        break;
      default:
        ++rejected;
        break;
    }
    *response->add_results() = std::move(result);
  }
  response->set_applied(applied);
  response->set_duplicates(duplicates);
  response->set_rejected(rejected);
  if (metrics_ != nullptr)
    metrics_->RecordIngest(*response, events, stored, store_.options().clock());
  return absl::OkStatus();
}

absl::Status RequestHandler::UpsertAttributes(const v1::UpsertAttributesRequest& request,
                                              v1::UpsertAttributesResponse* response) const {
  const int n = request.customers_size();
  if (n > kMaxAttributeCustomers) {
    return absl::InvalidArgumentError(absl::StrCat("the request names ", n, " customers; at most ",
                                                   kMaxAttributeCustomers,
                                                   " per request: split it"));
  }
  COHORT_ASSIGN_OR_RETURN(storage::Durability durability,
                          FromProto(request.durability(), options_.default_durability));
  std::vector<storage::CustomerAttributes> updates;
  updates.reserve(n);
  for (int i = 0; i < n; ++i) {
    const std::string field = absl::StrCat("customers[", i, "]");
    COHORT_RETURN_IF_ERROR(
        ValidateId(request.customers(i).customer_id(), absl::StrCat(field, ".customer_id")));
    COHORT_ASSIGN_OR_RETURN(storage::CustomerAttributes update,
                            FromProto(request.customers(i), field));
    updates.push_back(std::move(update));
  }
  Ownership::WriteScope scope(ownership_);
  for (const storage::CustomerAttributes& update : updates) {
    COHORT_RETURN_IF_ERROR(scope.view().CheckCustomer(update.customer_id));
  }
  size_t written = 0;
  if (!updates.empty()) {
    COHORT_ASSIGN_OR_RETURN(written, store_.UpsertAttributes(updates, durability));
    NoteWrites(written);
  }
  response->set_attributes_written(static_cast<uint32_t>(written));
  return absl::OkStatus();
}

absl::Status RequestHandler::GetFeatures(const v1::GetFeaturesRequest& request,
                                         v1::GetFeaturesResponse* response) const {
  const int n = request.customer_ids_size();
  if (n == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("customer_ids is empty; ask for 1..", kMaxFeatureCustomers, " customers"));
  }
  if (n > kMaxFeatureCustomers) {
    return absl::InvalidArgumentError(absl::StrCat("customer_ids has ", n, " ids; at most ",
                                                   kMaxFeatureCustomers, " per request: split it"));
  }
  for (int i = 0; i < n; ++i) {
    COHORT_RETURN_IF_ERROR(
        ValidateId(request.customer_ids(i), absl::StrCat("customer_ids[", i, "]")));
  }
  std::shared_ptr<const OwnershipView> view = ownership_.Current();
  for (const std::string& id : request.customer_ids()) {
    COHORT_RETURN_IF_ERROR(view->CheckCustomer(id));
  }
  COHORT_ASSIGN_OR_RETURN(storage::FeatureSelection selection,
                          store_.Select(ToVector(request.features())));
  COHORT_ASSIGN_OR_RETURN(std::optional<absl::Time> as_of,
                          AsOf(request.has_as_of(), request.as_of()));
  // History with as_of is refused by the store (history is not point-in-time).
  if (!request.with_history() && request.history_limit() != 0) {
    return absl::InvalidArgumentError("history_limit is set but with_history is false");
  }
  if (!v1::ValueLayout_IsValid(request.layout())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "layout ", static_cast<int>(request.layout()),
        " is not a ValueLayout: use VALUE_LAYOUT_MESSAGES (1) or VALUE_LAYOUT_PACKED (2)"));
  }
  std::optional<size_t> history_limit;
  if (request.with_history()) history_limit = request.history_limit();
  const std::vector<std::string> ids = ToVector(request.customer_ids());
  COHORT_ASSIGN_OR_RETURN(std::vector<storage::FeatureVector> vectors,
                          store_.GetFeatures(ids, selection, as_of, history_limit));
  if (vectors.size() != ids.size()) {
    return absl::InternalError(
        absl::StrCat("storage returned ", vectors.size(), " vectors for ", ids.size(), " ids"));
  }
  if (metrics_ != nullptr) metrics_->RecordFeatureValues(vectors);
  response->Clear();
  for (std::string& name : FeatureNames(selection)) response->add_feature_names(std::move(name));
  if (request.layout() == v1::VALUE_LAYOUT_PACKED) {
    const std::vector<storage::FeatureDef>& defs = store_.registry().features();
    for (size_t f : selection.indices) {
      response->add_feature_types(std::string(FeatureTypeName(defs[f].type)));
    }
  }
  response->mutable_vectors()->Reserve(n);
  for (int i = 0; i < n; ++i) {
    ToProto(ids[i], vectors[i], request.layout(), response->add_vectors());
  }
  return absl::OkStatus();
}

absl::Status RequestHandler::GetProfile(const v1::GetProfileRequest& request,
                                        v1::GetProfileResponse* response) const {
  COHORT_RETURN_IF_ERROR(CheckSingleCustomer(request.customer_id(), *ownership_.Current()));
  COHORT_ASSIGN_OR_RETURN(std::optional<storage::Profile> profile,
                          store_.GetProfile(request.customer_id()));
  response->Clear();
  response->set_found(profile.has_value());
  if (profile) ToProto(*profile, response->mutable_profile());
  return absl::OkStatus();
}

absl::Status RequestHandler::GetHistory(const v1::GetHistoryRequest& request,
                                        v1::GetHistoryResponse* response) const {
  COHORT_RETURN_IF_ERROR(CheckSingleCustomer(request.customer_id(), *ownership_.Current()));
  COHORT_ASSIGN_OR_RETURN(std::optional<std::vector<storage::Interaction>> history,
                          store_.GetHistory(request.customer_id(), request.limit()));
  response->Clear();
  response->set_found(history.has_value());
  if (history) {
    for (const storage::Interaction& i : *history) ToProto(i, response->add_interactions());
  }
  return absl::OkStatus();
}

absl::Status RequestHandler::EraseCustomer(const v1::EraseCustomerRequest& request,
                                           v1::EraseCustomerResponse* response) const {
  Ownership::WriteScope scope(ownership_);
  COHORT_RETURN_IF_ERROR(CheckSingleCustomer(request.customer_id(), scope.view()));
  COHORT_ASSIGN_OR_RETURN(bool existed, store_.Erase(request.customer_id()));
  NoteWrites(1);
  response->set_existed(existed);
  return absl::OkStatus();
}

absl::Status RequestHandler::ListFeatures(const v1::ListFeaturesRequest& /*request*/,
                                          v1::ListFeaturesResponse* response) const {
  response->Clear();
  for (const storage::FeatureDef& def : store_.registry().features()) {
    v1::FeatureDefinition* out = response->add_features();
    out->set_name(def.name);
    out->set_type(std::string(FeatureTypeName(def.type)));
    out->set_source(std::string(FeatureSourceName(def.source)));
    out->set_description(def.declaration);
  }
  return absl::OkStatus();
}

absl::Status RequestHandler::NodeInfo(const v1::NodeInfoRequest& /*request*/,
                                      v1::NodeInfoResponse* response) const {
  std::shared_ptr<const OwnershipView> view = ownership_.Current();
  const storage::StoreStats stats = store_.Stats();
  response->Clear();
  response->set_node_id(view->node_id());
  response->set_partitions_total(view->map().partitions());
  for (const PartitionRangeSpec& r : view->owned()) {
    v1::PartitionRange* range = response->add_owned();
    range->set_begin(r.begin);
    range->set_end(r.end);
  }
  response->set_shard_map_epoch(view->epoch());
  response->set_estimated_customers(stats.estimated_customers);
  response->set_estimated_keys(stats.estimated_keys);
  response->set_live_data_bytes(stats.live_data_bytes);
  response->set_durability(std::string(DurabilityName(options_.default_durability)));
  response->set_retention_days(static_cast<uint32_t>(options_.retention_days));
  response->set_version(COHORT_VERSION);
  return absl::OkStatus();
}

absl::Status RequestHandler::Checkpoint(const v1::CheckpointRequest& request,
                                        v1::CheckpointResponse* response) const {
  const std::string& dir = request.directory();
  if (dir.empty() || !absl::StartsWith(dir, "/")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint directory '", dir,
        "' must be an absolute path on the node (a directory that does not exist yet)"));
  }
  COHORT_RETURN_IF_ERROR(store_.Checkpoint(dir));
  response->set_directory(dir);
  return absl::OkStatus();
}

absl::Status RequestHandler::Compact(const v1::CompactRequest& /*request*/,
                                     v1::CompactResponse* response) const {
  return RunCompaction(/*automatic=*/false, response);
}

absl::Status RequestHandler::AutoCompact(v1::CompactResponse* response) const {
  return RunCompaction(/*automatic=*/true, response);
}

absl::Status RequestHandler::RunCompaction(bool automatic, v1::CompactResponse* response) const {
  std::unique_lock<std::mutex> lock(compact_mu_, std::try_to_lock);
  if (!lock.owns_lock()) {
    return absl::FailedPreconditionError(
        "a compaction is already running on this node; wait for it to finish");
  }
  // Writes during the compaction may land above what it compacts: they stay counted.
  const uint64_t writes = writes_since_compaction_.load();
  const absl::Time start = absl::Now();
  COHORT_RETURN_IF_ERROR(store_.CompactAll());
  writes_since_compaction_.fetch_sub(writes);
  if (metrics_ != nullptr) metrics_->RecordCompaction(automatic);
  response->set_seconds(absl::ToDoubleSeconds(absl::Now() - start));
  response->set_live_data_bytes(store_.Stats().live_data_bytes);
  return absl::OkStatus();
}

void RequestHandler::NoteWrites(uint64_t n) const {
  if (n == 0) return;
  writes_since_compaction_.fetch_add(n);
  last_write_nanos_.store(absl::GetCurrentTimeNanos());
}

bool RequestHandler::AutoCompactDue(absl::Time now) const {
  const uint64_t writes = writes_since_compaction_.load();
  if (writes == 0) return false;
  const absl::Duration since = now - absl::FromUnixNanos(last_write_nanos_.load());
  return AutoCompactionDue(options_, writes, store_.Stats().estimated_customers, since);
}

bool AutoCompactionDue(const NodeOptions& options, uint64_t writes, uint64_t customers,
                       absl::Duration since_last_write) {
  if (options.auto_compact_quiet <= absl::ZeroDuration()) return false;
  if (writes == 0 || writes < options.auto_compact_min_writes) return false;
  if (static_cast<double>(writes) < options.auto_compact_ratio * static_cast<double>(customers)) {
    return false;
  }
  return since_last_write >= options.auto_compact_quiet;
}

absl::StatusOr<ExportPlan> RequestHandler::PlanExport(const v1::ExportRequest& request) const {
  ExportPlan plan;
  plan.begin = request.partition_begin();
  plan.end = request.partition_end();
  COHORT_RETURN_IF_ERROR(ownership_.Current()->CheckRange(plan.begin, plan.end));
  if (request.rows_per_message() > kMaxExportRows) {
    return absl::InvalidArgumentError(
        absl::StrCat("rows_per_message is ", request.rows_per_message(), "; at most ",
                     kMaxExportRows, " (0 means ", kDefaultExportRows, ")"));
  }
  if (request.rows_per_message() > 0) plan.rows_per_message = request.rows_per_message();
  COHORT_ASSIGN_OR_RETURN(plan.selection, store_.Select(ToVector(request.features())));
  plan.feature_names = FeatureNames(plan.selection);
  COHORT_ASSIGN_OR_RETURN(plan.as_of, AsOf(request.has_as_of(), request.as_of()));
  return plan;
}

absl::Status RequestHandler::RunExport(
    const ExportPlan& plan,
    const std::function<absl::Status(absl::string_view, storage::FeatureVector)>& visit) const {
  return store_.Export(plan.begin, plan.end, plan.selection, plan.as_of, visit);
}

}  // namespace cohort::featurestore
