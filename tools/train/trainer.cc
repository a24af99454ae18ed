#include "tools/train/trainer.h"

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "tools/train/dataset.h"
#include "tools/train/stages.h"

namespace cohort::train {

void Progress::Phase(absl::string_view phase, absl::string_view detail) const {
  if (!enabled_) return;
  absl::FPrintF(stderr, "[cohort-train +%.1fs] %s: %s\n", ElapsedSeconds(), phase, detail);
}

void SetNumber(google::protobuf::Struct& s, const std::string& key, double value) {
  (*s.mutable_fields())[key].set_number_value(value);
}

void SetString(google::protobuf::Struct& s, const std::string& key, const std::string& value) {
  (*s.mutable_fields())[key].set_string_value(value);
}

google::protobuf::Struct* SetStruct(google::protobuf::Struct& s, const std::string& key) {
  return (*s.mutable_fields())[key].mutable_struct_value();
}

google::protobuf::ListValue* SetList(google::protobuf::Struct& s, const std::string& key) {
  return (*s.mutable_fields())[key].mutable_list_value();
}

google::protobuf::Struct* AppendStruct(google::protobuf::ListValue& list) {
  return list.add_values()->mutable_struct_value();
}

models::artifacts::ModelManifest BaseManifest(const std::string& model, const std::string& kind,
                                              const Dataset& data) {
  models::artifacts::ModelManifest m;
  m.set_model(model);
  m.set_kind(kind);
  m.set_train_start(FormatRfc3339(data.first_event));
  m.set_cutoff(FormatRfc3339(data.cutoff));
  m.set_eval_end(FormatRfc3339(data.eval_end));
  m.set_trainer("cohort-train 1");
  return m;
}

const std::vector<std::string>& PropensityFeatures() {
  static const std::vector<std::string>* const kNames =
      new std::vector<std::string>{"purchases_7d",
                                   "purchases_30d",
                                   "purchases_90d",
                                   "purchases_365d",
                                   "spend_30d",
                                   "spend_90d",
                                   "spend_365d",
                                   "views_30d",
                                   "views_90d",
                                   "add_to_cart_30d",
                                   "add_to_cart_90d",
                                   "returns_90d",
                                   "aov_365d",
                                   "cart_abandon_rate_90d",
                                   "recency_days",
                                   "days_since_last_seen",
                                   "tenure_days",
                                   "active_days_30d",
                                   "email_opens_30d",
                                   "store_visits_90d",
                                   "distinct_categories_365d",
                                   "channels_used_365d"};
  return *kNames;
}

const std::vector<std::string>& DefaultClusterFeatures() {
  // docs/training.md explains the choice: volume, browsing, order value and lapse are
  // heavy-tailed (log1p), tenure is not; these five recover datagen's archetypes best.
  static const std::vector<std::string>* const kNames =
      new std::vector<std::string>{"log1p:purchases_365d", "log1p:views_365d", "log1p:aov_365d",
                                   "log1p:days_since_last_seen", "tenure_days"};
  return *kNames;
}

absl::StatusOr<std::vector<ClusterFeature>> ParseClusterFeatures(const TrainOptions& options) {
  std::vector<ClusterFeature> out;
  for (const std::string& spec : ClusterFeatures(options)) {
    ClusterFeature f;
    const size_t colon = spec.find(':');
    f.name = colon == std::string::npos ? spec : spec.substr(colon + 1);
    if (colon != std::string::npos) {
      const std::string prefix = spec.substr(0, colon);
      if (prefix == "log1p") {
        f.transform = models::segmentation::FeatureTransform::kLog1p;
      } else if (prefix != "identity") {
        return absl::InvalidArgumentError(
            absl::StrCat("cluster feature \"", spec, "\": unknown transform \"", prefix,
                         "\" (use log1p:<feature>, identity:<feature> or <feature>)"));
      }
    }
    if (f.name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cluster feature \"", spec, "\" names no feature"));
    }
    out.push_back(std::move(f));
  }
  return out;
}

const std::vector<std::string>& ClusterFeatures(const TrainOptions& options) {
  return options.cluster_features.empty() ? DefaultClusterFeatures() : options.cluster_features;
}

absl::StatusOr<TrainResult> RunTraining(const TrainOptions& options) {
  if (options.events_csv.empty()) return absl::InvalidArgumentError("--events_csv is required");
  if (options.models_dir.empty()) return absl::InvalidArgumentError("--models_dir is required");
  if (options.registry_path.empty()) return absl::InvalidArgumentError("--registry is required");
  const Progress progress(options.progress);
  TrainResult result;
  google::protobuf::Struct& report = result.report;

  progress.Phase("load", absl::StrCat("reading ", options.events_csv));
  COHORT_ASSIGN_OR_RETURN(Dataset data, LoadDataset(options));
  progress.Phase("load",
                 absl::StrCat(data.rows_read, " events, ", data.customers.size(), " customers, ",
                              data.items.size(), " items; cutoff ", FormatRfc3339(data.cutoff),
                              ", eval end ", FormatRfc3339(data.eval_end)));

  std::set<std::string> wanted(PropensityFeatures().begin(), PropensityFeatures().end());
  COHORT_ASSIGN_OR_RETURN(const std::vector<ClusterFeature> cluster_features,
                          ParseClusterFeatures(options));
  for (const ClusterFeature& f : cluster_features) wanted.insert(f.name);
  wanted.insert(std::string(kRfmRecency));
  wanted.insert(std::string(kRfmFrequency));
  wanted.insert(std::string(kRfmMonetary));
  const std::vector<std::string> feature_names(wanted.begin(), wanted.end());
  FeatureTable features;
  if (options.shard_map.empty()) {
    progress.Phase("features", "ingesting into a temporary profile store");
    COHORT_ASSIGN_OR_RETURN(features, ComputeFeatures(options, data, feature_names));
  } else {
    progress.Phase("features", absl::StrCat("exporting from the cluster of ", options.shard_map));
    COHORT_ASSIGN_OR_RETURN(features, ExportClusterFeatures(options, data, feature_names));
  }
  progress.Phase("features",
                 absl::StrCat(options.shard_map.empty()
                                  ? absl::StrCat(features.events_ingested, " events ingested (",
                                                 features.events_rejected, " rejected); ")
                                  : std::string(),
                              features.rows.size(), " customers known at the cutoff"));

  google::protobuf::Struct& d = *SetStruct(report, "data");
  SetString(d, "events_csv", options.events_csv);
  SetString(d, "features_from", options.shard_map.empty() ? "offline" : options.shard_map);
  SetNumber(d, "events", static_cast<double>(data.rows_read));
  SetNumber(d, "bad_rows", static_cast<double>(data.rows_bad));
  SetNumber(d, "events_ingested", static_cast<double>(features.events_ingested));
  SetNumber(d, "events_rejected", static_cast<double>(features.events_rejected));
  SetNumber(d, "events_duplicate", static_cast<double>(features.events_duplicate));
  SetNumber(d, "attributes_written", static_cast<double>(features.attributes_written));
  SetNumber(d, "customers", static_cast<double>(data.customers.size()));
  SetNumber(d, "customers_at_cutoff", static_cast<double>(features.rows.size()));
  SetNumber(d, "items", static_cast<double>(data.items.size()));
  SetString(d, "first_event", FormatRfc3339(data.first_event));
  SetString(d, "last_event", FormatRfc3339(data.last_event));
  SetString(d, "cutoff", FormatRfc3339(data.cutoff));
  SetString(d, "eval_end", FormatRfc3339(data.eval_end));
  SetNumber(d, "seed", static_cast<double>(options.seed));

  COHORT_ASSIGN_OR_RETURN(SegmentationOutput segments,
                          RunSegmentation(options, data, features, progress, report));
  COHORT_RETURN_IF_ERROR(RunPropensity(options, data, features, progress, report));
  COHORT_RETURN_IF_ERROR(RunRecommend(options, data, segments, progress, report));

  const absl::Time now = absl::Now();
  SetString(report, "created_at", FormatRfc3339(now));
  SetNumber(report, "elapsed_seconds", progress.ElapsedSeconds());
  result.report_dir = options.report_dir;
  if (result.report_dir.empty()) {
    result.report_dir = absl::StrCat(options.models_dir, "/reports/",
                                     absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone()));
  }
  COHORT_RETURN_IF_ERROR(WriteReport(result.report_dir, report));
  progress.Phase("report", absl::StrCat("written to ", result.report_dir));
  return result;
}

}  // namespace cohort::train
