#include "services/scoring/scorer.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/validation.h"
#include "services/scoring/customer_scoring.h"

namespace cohort::scoring {

namespace {

void ToTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
}

void FillInfo(const LoadedModel& model, v1::ModelInfo* out) {
  out->set_name(model.name());
  out->set_version(model.version());
  out->set_kind(model.kind());
  for (const std::string& f : model.manifest.features()) out->add_features(f);
  for (const auto& [name, value] : model.manifest.metrics())
    (*out->mutable_metrics())[name] = value;
  ToTimestamp(model.loaded_at, out->mutable_loaded_at());
}

absl::Status UnknownModel(const std::string& name, const ModelSet& set, absl::string_view want) {
  std::vector<std::string> loaded;
  for (const auto& [n, model] : set.models)
    loaded.push_back(absl::StrCat(n, " (", model->kind(), ")"));
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown ", want, " model '", name, "'; loaded models: ", absl::StrJoin(loaded, ", ")));
}

absl::Status Validate(const v1::ScoreRequest& request) {
  if (request.customer_ids().empty()) {
    return absl::InvalidArgumentError("customer_ids is empty; send 1..1000 ids");
  }
  if (static_cast<size_t>(request.customer_ids_size()) > kMaxCustomers) {
    return absl::InvalidArgumentError(absl::StrCat("customer_ids has ", request.customer_ids_size(),
                                                   " ids; at most ", kMaxCustomers, " per call"));
  }
  for (int i = 0; i < request.customer_ids_size(); ++i) {
    COHORT_RETURN_IF_ERROR(
        ValidateId(request.customer_ids(i), absl::StrCat("customer_ids[", i, "]")));
  }
  if (request.has_recommendations()) {
    const uint32_t k = request.recommendations().k();
    if (k < 1 || k > kMaxRecommendations) {
      return absl::InvalidArgumentError(
          absl::StrCat("recommendations.k is ", k, "; must be in 1..", kMaxRecommendations));
    }
  }
  if (request.top_features() > kMaxTopFeatures) {
    return absl::InvalidArgumentError(
        absl::StrCat("top_features is ", request.top_features(), "; at most ", kMaxTopFeatures));
  }
  if (!request.segmentation() && request.propensity_models().empty() &&
      !request.has_recommendations()) {
    return absl::InvalidArgumentError(
        "no model requested: set segmentation, propensity_models or recommendations");
  }
  return absl::OkStatus();
}

// Resolves the requested models in `set`.
absl::StatusOr<ScorePlan> Plan(const v1::ScoreRequest& request, const ModelSet& set) {
  ScorePlan plan;
  const LoadedModel* segmentation = set.Find("segmentation");
  if (request.segmentation()) {
    if (segmentation == nullptr || segmentation->kind() != "segmentation") {
      return UnknownModel("segmentation", set, "segmentation");
    }
    plan.segmentation_requested = true;
  }
  if (segmentation != nullptr && segmentation->kind() == "segmentation" &&
      (request.segmentation() || request.has_recommendations())) {
    plan.segmentation = segmentation;
  }
  for (const std::string& name : request.propensity_models()) {
    const LoadedModel* model = set.Find(name);
    if (model == nullptr || model->kind() != "propensity") {
      return UnknownModel(name, set, "propensity");
    }
    plan.propensities.push_back(model);
  }
  if (request.has_recommendations()) {
    const LoadedModel* model = set.Find("recommend");
    if (model == nullptr || model->kind() != "recommend") {
      return UnknownModel("recommend", set, "recommendation");
    }
    plan.recommend = model;
    plan.k = static_cast<int32_t>(request.recommendations().k());
    for (const std::string& id : request.recommendations().exclude_items()) {
      std::optional<int32_t> item = model->vocabulary->Find(id);
      if (item.has_value()) plan.exclusions.push_back(*item);
    }
  }
  plan.top_features = request.top_features() == 0 ? 3 : request.top_features();
  plan.now = request.context().has_time()
                 ? absl::FromUnixSeconds(request.context().time().seconds())
                 : absl::Now();
  return plan;
}

std::vector<std::string> FeaturesOf(const ScorePlan& plan) {
  std::set<std::string> names = {"marketing_consent"};
  auto add = [&](const LoadedModel* model) {
    if (model == nullptr) return;
    for (const std::string& f : model->Features()) names.insert(f);
  };
  add(plan.segmentation);
  for (const LoadedModel* m : plan.propensities) add(m);
  return {names.begin(), names.end()};
}

// A customer-facing error for a store failure, e.g. UNAVAILABLE "store node store-1
// (127.0.0.1:7101): connection refused".
void SetError(const absl::Status& status, v1::CustomerScores* out) {
  out->set_status_code(static_cast<int32_t>(status.code()));
  out->set_status_message(absl::StrCat("store ", status.message()));
}

void CountStatuses(const v1::FeatureVector& vector, v1::FeatureStatusCounts* out) {
  out->set_customer_found(vector.found());
  for (const v1::FeatureValue& v : vector.values()) {
    switch (v.status()) {
      case v1::FEATURE_STATUS_PRESENT:
        out->set_present(out->present() + 1);
        break;
      case v1::FEATURE_STATUS_NOT_FOUND:
        out->set_not_found(out->not_found() + 1);
        break;
      case v1::FEATURE_STATUS_DEFAULTED:
        out->set_defaulted(out->defaulted() + 1);
        break;
      case v1::FEATURE_STATUS_STALE:
        out->set_stale(out->stale() + 1);
        break;
      default:
        break;
    }
  }
}

}  // namespace

Scorer::Scorer(ShardRouter& router, ModelRegistry& registry, ScorerMetrics* metrics,
               absl::Duration fetch_deadline)
    : router_(router), registry_(registry), metrics_(metrics), fetch_deadline_(fetch_deadline) {}

absl::StatusOr<v1::ScoreResponse> Scorer::Score(const v1::ScoreRequest& request) const {
  COHORT_RETURN_IF_ERROR(Validate(request));
  std::shared_ptr<const ModelSet> set = registry_.Current();
  if (set->models.empty()) {
    return absl::FailedPreconditionError(
        "no model is loaded; write model versions under --models_dir (docs/model-artifacts.md)");
  }
  COHORT_ASSIGN_OR_RETURN(ScorePlan plan, Plan(request, *set));
  const std::vector<std::string> ids(request.customer_ids().begin(), request.customer_ids().end());

  // Histories (recommendations only) come with the features, in the same call per node.
  FeatureReadOptions read;
  if (plan.recommend != nullptr) read.history_limit = 0;  // the node's cap
  absl::StatusOr<ShardRouter::PartialFeatures> fetched =
      router_.GetFeaturesPartial(ids, FeaturesOf(plan), read, fetch_deadline_);
  if (!fetched.ok()) return fetched.status();
  if (metrics_ != nullptr) {
    for (const auto& call : fetched->calls) {
      metrics_->RecordFetch(call.node.id, call.latency, call.status);
    }
  }

  absl::flat_hash_map<std::string, int> columns;
  for (int i = 0; i < fetched->response->feature_names_size(); ++i) {
    columns[fetched->response->feature_names(i)] = i;
  }
  v1::ScoreResponse response;
  InferenceTimes times;
  std::vector<std::pair<std::string, double>> scores;
  for (size_t i = 0; i < ids.size(); ++i) {
    v1::CustomerScores* out = response.add_customers();
    out->set_customer_id(ids[i]);
    if (!fetched->statuses[i].ok()) {
      SetError(fetched->statuses[i], out);
      continue;
    }
    const v1::FeatureVector& vector = fetched->response->vectors(static_cast<int>(i));
    CountStatuses(vector, out->mutable_feature_status());
    CustomerData data;
    data.features = &vector;
    data.columns = &columns;
    if (plan.recommend != nullptr) data.history = &vector.history();
    absl::Status scored = ScoreCustomer(plan, data, out, times, scores);
    if (!scored.ok()) {
      v1::CustomerScores failed;
      failed.set_customer_id(ids[i]);
      failed.set_status_code(static_cast<int32_t>(scored.code()));
      failed.set_status_message(absl::StrCat("scoring failed: ", scored.message()));
      *out = std::move(failed);
    }
  }
  std::set<const LoadedModel*> used(plan.propensities.begin(), plan.propensities.end());
  if (plan.segmentation != nullptr) used.insert(plan.segmentation);
  if (plan.recommend != nullptr) used.insert(plan.recommend);
  std::vector<const LoadedModel*> sorted(used.begin(), used.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const LoadedModel* a, const LoadedModel* b) { return a->name() < b->name(); });
  for (const LoadedModel* model : sorted) {
    v1::ModelVersion* v = response.add_model_versions();
    v->set_model(model->name());
    v->set_version(model->version());
  }
  if (metrics_ != nullptr) {
    for (const auto& [model, latency] : times) metrics_->RecordInference(model, latency);
    for (const auto& [model, probability] : scores) metrics_->RecordScore(model, probability);
  }
  return response;
}

v1::ListModelsResponse Scorer::ListModels() const {
  v1::ListModelsResponse response;
  std::shared_ptr<const ModelSet> set = registry_.Current();
  for (const auto& [name, model] : set->models) FillInfo(*model, response.add_models());
  return response;
}

v1::ReloadModelsResponse Scorer::ReloadModels() {
  v1::ReloadModelsResponse response;
  for (const ReloadOutcome& outcome : registry_.Scan()) {
    v1::ReloadOutcome* o = response.add_outcomes();
    o->set_model(outcome.model);
    o->set_version(outcome.version);
    o->set_loaded(outcome.status.ok());
    if (!outcome.status.ok()) o->set_error(outcome.status.ToString());
  }
  std::shared_ptr<const ModelSet> set = registry_.Current();
  for (const auto& [name, model] : set->models) FillInfo(*model, response.add_models());
  return response;
}

}  // namespace cohort::scoring
