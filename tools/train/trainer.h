// cohort-train: builds every served model (segmentation, purchase / churn propensity,
// recommendations) from point-in-time features, evaluates them on a time-based holdout and
// writes artifacts (docs/model-artifacts.md) plus a report. Protocol: docs/training.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"

namespace cohort::train {

struct TrainOptions {
  std::string events_csv;  // canonical events CSV (tools/common/events_csv.h); required
  // Cluster mode: features via ShardRouter::Export from the nodes of this shard map (the
  // events CSV still provides labels and interactions). Empty: offline mode.
  std::string shard_map;
  std::string attributes_csv;  // optional attributes CSV, ingested with the events (offline)
  std::string truth_csv;       // optional cohort-datagen truth file: ARI vs archetypes
  std::string registry_path;   // feature registry the store serves (storage/features.registry)
  std::string models_dir;      // artifacts are written here; required
  std::string report_dir;      // default <models_dir>/reports/<UTC timestamp>
  std::string work_dir;        // temp store parent; default $TMPDIR or /tmp
  std::optional<absl::Time> cutoff;       // rounded down to a UTC midnight
  std::optional<double> cutoff_quantile;  // of event times, in (0, 1); used if no cutoff
  uint64_t seed = 42;
  // Registry features the behavioural clusters use; empty = the documented default set.
  std::vector<std::string> cluster_features;
  int32_t cluster_min_k = 4;  // k-means tries k in [cluster_min_k, cluster_max_k] and keeps
  int32_t cluster_max_k = 8;  //   the best silhouette
  // Implicit ALS, trained instead of EASE when the catalogue is above EASE's item limit
  // (models/recommend/als.h, docs/training.md).
  int32_t als_factors = 8;
  double als_regularization = 10;
  double als_alpha = 3;
  int32_t als_iterations = 15;
  bool progress = true;  // phase lines on stderr
};

// What a run produced. `report` is the full report (also written as report.json).
struct TrainResult {
  google::protobuf::Struct report;
  std::string report_dir;
};

// Runs the whole pipeline. Deterministic for given inputs and seed (the report's
// timestamps and elapsed times aside). Errors: INVALID_ARGUMENT for bad options,
// NOT_FOUND / INVALID_ARGUMENT for unreadable inputs, FAILED_PRECONDITION when the data
// cannot support the protocol (too short, one class only), INTERNAL on I/O failure.
absl::StatusOr<TrainResult> RunTraining(const TrainOptions& options);

}  // namespace cohort::train
