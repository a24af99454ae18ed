// ModelRegistry: the model versions a scorer serves, loaded from --models_dir
// (docs/model-artifacts.md) and swapped atomically as an immutable ModelSet.
//
// A scan (Scan(), the background poller, or ReloadModels) looks at every model folder and,
// for each model whose highest version differs from the one served, tries versions from the
// highest down to the served one: the first that loads, verifies and is compatible (known
// kind, every manifest/param feature served by the store's registry, files decode) replaces
// the served version. A refused version is logged with its reason, counted
// (cohort_model_reloads_total{result="failure"}) and remembered, so it is not retried (and
// not counted again) by later scans; a trainer writes a new version number instead.
// Calls in flight keep the ModelSet they took.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "models/artifacts/manifest.pb.h"
#include "models/propensity/propensity_model.h"
#include "models/recommend/popularity.h"
#include "models/recommend/recommender.h"
#include "models/recommend/vocabulary.h"
#include "models/segmentation/cluster_model.h"
#include "models/segmentation/rfm.h"
#include "services/scoring/scorer_metrics.h"

namespace cohort::scoring {

// Interaction weights of served histories (manifest params of the recommend model).
struct InteractionWeights {
  double purchase = 1.0;
  double add_to_cart = 0.5;
  double view = 0.1;
  double half_life_days = 0.0;  // 0: no time decay
};

// One loaded model version. Immutable once built.
struct LoadedModel {
  models::artifacts::ModelManifest manifest;
  absl::Time loaded_at;
  // kind "segmentation": the RFM inputs (recency, frequency, monetary feature names).
  std::optional<models::segmentation::RfmModel> rfm;
  std::array<std::string, 3> rfm_features;
  std::unique_ptr<const models::segmentation::ClusterModel> clusters;
  // kind "propensity".
  std::unique_ptr<const models::propensity::PropensityModel> propensity;
  // kind "recommend": personalized model (null if the artifact holds popularity only).
  std::unique_ptr<const models::recommend::Recommender> recommender;
  std::unique_ptr<const models::recommend::PopularityModel> popularity;
  std::unique_ptr<const models::recommend::ItemVocabulary> vocabulary;
  InteractionWeights weights;

  const std::string& name() const { return manifest.model(); }
  uint64_t version() const { return manifest.version(); }
  const std::string& kind() const { return manifest.kind(); }
  // The registry features this model reads (manifest features plus RFM inputs).
  std::vector<std::string> Features() const;
};

// What a scorer serves at one moment. Immutable.
struct ModelSet {
  std::map<std::string, std::shared_ptr<const LoadedModel>> models;  // by name

  // The model `name`, or null.
  const LoadedModel* Find(const std::string& name) const;
};

// The outcome of trying one version during a scan.
struct ReloadOutcome {
  std::string model;
  uint64_t version = 0;
  absl::Status status;  // OK: now served
};

// Builds a LoadedModel from a verified artifact. `served` are the feature names the store
// serves. Errors: INVALID_ARGUMENT for an unknown kind, a feature the store does not serve or
// a bad param; DATA_LOSS / INVALID_ARGUMENT for missing or undecodable files.
absl::StatusOr<std::unique_ptr<LoadedModel>> BuildModel(models::artifacts::ModelManifest manifest,
                                                        std::map<std::string, std::string> files,
                                                        const std::set<std::string>& served);

// Thread-safe.
class ModelRegistry {
 public:
  // Serves nothing until the first Scan(). `metrics` may be null and must outlive this.
  ModelRegistry(std::string models_dir, std::set<std::string> served_features,
                ScorerMetrics* metrics);
  // Stops the poller.
  ~ModelRegistry();

  ModelRegistry(const ModelRegistry&) = delete;
  ModelRegistry& operator=(const ModelRegistry&) = delete;

  // The served set; never null (empty before any model loads). The snapshot stays valid
  // while held, whatever reloads happen.
  std::shared_ptr<const ModelSet> Current() const;

  // Scans models_dir once (see the file comment). Scans are serialized. Returns the
  // versions tried by this scan, in model order.
  std::vector<ReloadOutcome> Scan();

  // Starts a thread calling Scan() every `interval` until destruction. Call at most once.
  void StartPolling(absl::Duration interval);

 private:
  const std::string models_dir_;
  const std::set<std::string> served_;
  ScorerMetrics* const metrics_;

  absl::Mutex scan_mu_;  // serializes scans
  std::set<std::pair<std::string, uint64_t>> refused_ ABSL_GUARDED_BY(scan_mu_);

  mutable absl::Mutex mu_;
  std::shared_ptr<const ModelSet> current_ ABSL_GUARDED_BY(mu_);

  absl::Notification stop_;
  std::thread poller_;
};

}  // namespace cohort::scoring
