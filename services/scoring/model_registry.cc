#include "services/scoring/model_registry.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "models/artifacts/artifact_store.h"
#include "models/recommend/factory.h"
#include "services/common/process.h"

namespace cohort::scoring {

namespace {

namespace art = models::artifacts;

absl::StatusOr<std::string> TakeFile(std::map<std::string, std::string>& files,
                                     const std::string& name) {
  auto it = files.find(name);
  if (it == files.end()) {
    return absl::InvalidArgumentError(absl::StrCat("the artifact has no file ", name));
  }
  return std::move(it->second);
}

absl::Status CheckServed(const std::string& feature, const std::set<std::string>& served) {
  if (served.count(feature) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("feature '", feature, "' is not served by the store's feature registry"));
  }
  return absl::OkStatus();
}

std::string Param(const art::ModelManifest& manifest, const std::string& key,
                  const std::string& fallback) {
  auto it = manifest.params().find(key);
  return it == manifest.params().end() || it->second.empty() ? fallback : it->second;
}

absl::StatusOr<double> NumberParam(const art::ModelManifest& manifest, const std::string& key,
                                   double fallback) {
  auto it = manifest.params().find(key);
  if (it == manifest.params().end() || it->second.empty()) return fallback;
  double value = 0;
  if (!absl::SimpleAtod(it->second, &value) || !(value >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("param ", key, " is '", it->second, "'; want a number >= 0"));
  }
  return value;
}

absl::Status CheckNames(const std::vector<std::string>& model_names,
                        const art::ModelManifest& manifest, absl::string_view file) {
  if (!std::equal(model_names.begin(), model_names.end(), manifest.features().begin(),
                  manifest.features().end())) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, " reads features [", absl::StrJoin(model_names, ","),
                     "] but the manifest lists [", absl::StrJoin(manifest.features(), ","), "]"));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> LoadedModel::Features() const {
  std::vector<std::string> out(manifest.features().begin(), manifest.features().end());
  if (rfm.has_value()) out.insert(out.end(), rfm_features.begin(), rfm_features.end());
  return out;
}

const LoadedModel* ModelSet::Find(const std::string& name) const {
  auto it = models.find(name);
  return it == models.end() ? nullptr : it->second.get();
}

absl::StatusOr<std::unique_ptr<LoadedModel>> BuildModel(art::ModelManifest manifest,
                                                        std::map<std::string, std::string> files,
                                                        const std::set<std::string>& served) {
  auto model = std::make_unique<LoadedModel>();
  for (const std::string& f : manifest.features()) COHORT_RETURN_IF_ERROR(CheckServed(f, served));
  const std::string& kind = manifest.kind();
  if (kind == "segmentation") {
    model->rfm_features = {Param(manifest, "rfm_recency", "recency_days"),
                           Param(manifest, "rfm_frequency", "purchases_365d"),
                           Param(manifest, "rfm_monetary", "spend_365d")};
    for (const std::string& f : model->rfm_features) {
      COHORT_RETURN_IF_ERROR(CheckServed(f, served));
    }
    COHORT_ASSIGN_OR_RETURN(std::string rfm_bytes, TakeFile(files, "rfm.bin"));
    COHORT_ASSIGN_OR_RETURN(models::segmentation::RfmModel rfm,
                            models::segmentation::RfmModel::Deserialize(rfm_bytes));
    model->rfm = rfm;
    COHORT_ASSIGN_OR_RETURN(std::string cluster_bytes, TakeFile(files, "clusters.bin"));
    COHORT_ASSIGN_OR_RETURN(models::segmentation::ClusterModel clusters,
                            models::segmentation::ClusterModel::Deserialize(cluster_bytes));
    COHORT_RETURN_IF_ERROR(CheckNames(clusters.feature_names(), manifest, "clusters.bin"));
    model->clusters =
        std::make_unique<const models::segmentation::ClusterModel>(std::move(clusters));
  } else if (kind == "propensity") {
    COHORT_ASSIGN_OR_RETURN(std::string bytes, TakeFile(files, "model.bin"));
    COHORT_ASSIGN_OR_RETURN(std::unique_ptr<models::propensity::PropensityModel> propensity,
                            models::propensity::DeserializePropensityModel(bytes));
    COHORT_RETURN_IF_ERROR(CheckNames(propensity->feature_names(), manifest, "model.bin"));
    model->propensity = std::move(propensity);
  } else if (kind == "recommend") {
    COHORT_ASSIGN_OR_RETURN(std::string vocab_bytes, TakeFile(files, "vocabulary.bin"));
    COHORT_ASSIGN_OR_RETURN(models::recommend::ItemVocabulary vocab,
                            models::recommend::ItemVocabulary::Deserialize(vocab_bytes));
    COHORT_ASSIGN_OR_RETURN(std::string pop_bytes, TakeFile(files, "popularity.bin"));
    COHORT_ASSIGN_OR_RETURN(std::unique_ptr<models::recommend::PopularityModel> popularity,
                            models::recommend::PopularityModel::Deserialize(pop_bytes));
    if (popularity->num_items() != vocab.size()) {
      return absl::InvalidArgumentError(absl::StrCat("popularity.bin has ", popularity->num_items(),
                                                     " items but vocabulary.bin has ",
                                                     vocab.size()));
    }
    if (files.count("model.bin") != 0) {
      COHORT_ASSIGN_OR_RETURN(std::unique_ptr<models::recommend::Recommender> recommender,
                              models::recommend::DeserializeRecommender(files["model.bin"]));
      if (recommender->num_items() != vocab.size()) {
        return absl::InvalidArgumentError(absl::StrCat("model.bin has ", recommender->num_items(),
                                                       " items but vocabulary.bin has ",
                                                       vocab.size()));
      }
      model->recommender = std::move(recommender);
    }
    model->popularity = std::move(popularity);
    model->vocabulary = std::make_unique<const models::recommend::ItemVocabulary>(std::move(vocab));
    COHORT_ASSIGN_OR_RETURN(model->weights.purchase, NumberParam(manifest, "w_purchase", 1.0));
    COHORT_ASSIGN_OR_RETURN(model->weights.add_to_cart,
                            NumberParam(manifest, "w_add_to_cart", 0.5));
    COHORT_ASSIGN_OR_RETURN(model->weights.view, NumberParam(manifest, "w_view", 0.1));
    COHORT_ASSIGN_OR_RETURN(model->weights.half_life_days,
                            NumberParam(manifest, "half_life_days", 0.0));
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown model kind '", kind, "'; the scorer serves segmentation, propensity, recommend"));
  }
  model->manifest = std::move(manifest);
  model->loaded_at = absl::Now();
  return model;
}

ModelRegistry::ModelRegistry(std::string models_dir, std::set<std::string> served_features,
                             ScorerMetrics* metrics)
    : models_dir_(std::move(models_dir)),
      served_(std::move(served_features)),
      metrics_(metrics),
      current_(std::make_shared<const ModelSet>()) {}

ModelRegistry::~ModelRegistry() {
  stop_.Notify();
  if (poller_.joinable()) poller_.join();
}

std::shared_ptr<const ModelSet> ModelRegistry::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

std::vector<ReloadOutcome> ModelRegistry::Scan() {
  absl::MutexLock scan_lock(&scan_mu_);
  std::vector<ReloadOutcome> outcomes;
  std::shared_ptr<const ModelSet> before = Current();
  auto next = std::make_shared<ModelSet>(*before);
  bool changed = false;
  for (const std::string& name : art::ListModels(models_dir_)) {
    const LoadedModel* served = before->Find(name);
    const uint64_t served_version = served == nullptr ? 0 : served->version();
    std::vector<uint64_t> versions = art::ListVersions(models_dir_, name);
    for (auto it = versions.rbegin(); it != versions.rend() && *it > served_version; ++it) {
      const uint64_t version = *it;
      if (refused_.count({name, version}) != 0) continue;
      absl::StatusOr<std::unique_ptr<LoadedModel>> model =
          [&]() -> absl::StatusOr<std::unique_ptr<LoadedModel>> {
        COHORT_ASSIGN_OR_RETURN(art::LoadedArtifact artifact,
                                art::LoadVersion(models_dir_, name, version));
        return BuildModel(std::move(artifact.manifest), std::move(artifact.files), served_);
      }();
      if (metrics_ != nullptr) metrics_->RecordReload(name, model.ok());
      if (!model.ok()) {
        refused_.insert({name, version});
        outcomes.push_back({name, version, model.status()});
        LogLine("cohort-scorer",
                absl::StrCat("refused model ", name, " version ", version, ": ",
                             model.status().ToString(), "; ",
                             served_version == 0
                                 ? std::string("no version of it is served")
                                 : absl::StrCat("version ", served_version, " keeps serving")));
        continue;
      }
      outcomes.push_back({name, version, absl::OkStatus()});
      LogLine("cohort-scorer", absl::StrCat("loaded model ", name, " version ", version, " (kind ",
                                            (*model)->kind(), ")"));
      if (metrics_ != nullptr) metrics_->SetModelVersion(name, version, served_version);
      next->models[name] = std::shared_ptr<const LoadedModel>(*std::move(model));
      changed = true;
      break;
    }
  }
  if (changed) {
    absl::MutexLock lock(&mu_);
    current_ = std::move(next);
  }
  return outcomes;
}

void ModelRegistry::StartPolling(absl::Duration interval) {
  poller_ = std::thread([this, interval] {
    while (!stop_.WaitForNotificationWithTimeout(interval)) Scan();
  });
}

}  // namespace cohort::scoring
