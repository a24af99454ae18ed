// The model stages of cohort-train (one file each) and the small report helpers they share.
// Internal to tools/train.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "models/artifacts/manifest.pb.h"
#include "models/segmentation/cluster_model.h"
#include "tools/train/dataset.h"
#include "tools/train/trainer.h"

namespace cohort::train {

// Progress lines on stderr: "[cohort-train +1.2s] <phase>: <detail>".
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), start_(absl::Now()) {}
  void Phase(absl::string_view phase, absl::string_view detail) const;
  double ElapsedSeconds() const { return absl::ToDoubleSeconds(absl::Now() - start_); }

 private:
  bool enabled_;
  absl::Time start_;
};

// Report helpers (google.protobuf.Struct is the report's JSON tree).
void SetNumber(google::protobuf::Struct& s, const std::string& key, double value);
void SetString(google::protobuf::Struct& s, const std::string& key, const std::string& value);
google::protobuf::Struct* SetStruct(google::protobuf::Struct& s, const std::string& key);
google::protobuf::ListValue* SetList(google::protobuf::Struct& s, const std::string& key);
google::protobuf::Struct* AppendStruct(google::protobuf::ListValue& list);

// A manifest with the fields every model shares (model, kind, times, trainer).
models::artifacts::ModelManifest BaseManifest(const std::string& model, const std::string& kind,
                                              const Dataset& data);

// Features the propensity models and the cluster model consume (registry names, in order).
const std::vector<std::string>& PropensityFeatures();
// Cluster feature specs: a registry name, optionally prefixed "log1p:" (the cluster model
// then stores and applies sign(x) log(1 + |x|) before standardizing).
const std::vector<std::string>& DefaultClusterFeatures();
// options.cluster_features, or the default set.
const std::vector<std::string>& ClusterFeatures(const TrainOptions& options);
// One parsed spec of ClusterFeatures.
struct ClusterFeature {
  std::string name;  // registry feature name
  models::segmentation::FeatureTransform transform =
      models::segmentation::FeatureTransform::kIdentity;
};
// Parses ClusterFeatures(options). Errors: InvalidArgument for an unknown "<transform>:"
// prefix or an empty name.
absl::StatusOr<std::vector<ClusterFeature>> ParseClusterFeatures(const TrainOptions& options);
inline constexpr absl::string_view kRfmRecency = "recency_days";
inline constexpr absl::string_view kRfmFrequency = "purchases_365d";
inline constexpr absl::string_view kRfmMonetary = "spend_365d";

// Segmentation result the recommender stage needs (popularity per segment).
struct SegmentationOutput {
  absl::flat_hash_map<std::string, int32_t> cluster_of;  // customer id -> cluster
};

// Each stage trains, evaluates, writes its artifact version(s) and fills `report`.
absl::StatusOr<SegmentationOutput> RunSegmentation(const TrainOptions& options, const Dataset& data,
                                                   const FeatureTable& features,
                                                   const Progress& progress,
                                                   google::protobuf::Struct& report);
absl::Status RunPropensity(const TrainOptions& options, const Dataset& data,
                           const FeatureTable& features, const Progress& progress,
                           google::protobuf::Struct& report);
absl::Status RunRecommend(const TrainOptions& options, const Dataset& data,
                          const SegmentationOutput& segments, const Progress& progress,
                          google::protobuf::Struct& report);

// Writes report.json and report.md into `dir` (created if needed).
absl::Status WriteReport(const std::string& dir, const google::protobuf::Struct& report);

}  // namespace cohort::train
