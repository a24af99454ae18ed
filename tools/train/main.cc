// cohort-train: trains, evaluates and writes every served model. See docs/training.md.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/time_util.h"
#include "tools/train/trainer.h"

ABSL_FLAG(std::string, events_csv, "", "canonical events CSV (required)");
ABSL_FLAG(std::string, shard_map, "",
          "cluster mode: export features from the store nodes of this shard map (labels and "
          "interactions still come from --events_csv)");
ABSL_FLAG(std::string, attributes_csv, "",
          "optional canonical attributes CSV, ingested with the events (offline mode)");
ABSL_FLAG(std::string, truth_csv, "",
          "optional cohort-datagen truth CSV: reports the clusters' ARI vs archetypes");
ABSL_FLAG(std::string, registry, "",
          "feature registry file (default: features.registry next to the executable, else the "
          "build tree's)");
ABSL_FLAG(std::string, models_dir, "", "artifact root (required)");
ABSL_FLAG(std::string, report_dir, "",
          "report directory (default <models_dir>/reports/<UTC time>)");
ABSL_FLAG(std::string, work_dir, "", "parent of the temporary feature store (default $TMPDIR)");
ABSL_FLAG(std::string, cutoff, "",
          "training cutoff, RFC 3339 (rounded down to a UTC midnight); default: 90 days "
          "before the data's end");
ABSL_FLAG(double, cutoff_quantile, 0,
          "if > 0 and no --cutoff: the cutoff is this quantile of event times");
ABSL_FLAG(uint64_t, seed, 42, "seed of every random choice (splits, k-means, XGBoost, ALS)");
ABSL_FLAG(int32_t, cluster_min_k, 4, "smallest number of behavioural clusters tried");
ABSL_FLAG(int32_t, cluster_max_k, 8, "largest number of behavioural clusters tried");
ABSL_FLAG(std::vector<std::string>, cluster_features, {},
          "comma-separated registry features for the behavioural clusters (default: "
          "docs/training.md)");
ABSL_FLAG(int32_t, als_factors, 8, "implicit ALS latent dimensions (large catalogues)");
ABSL_FLAG(double, als_regularization, 10, "implicit ALS L2 weight");
ABSL_FLAG(double, als_alpha, 3, "implicit ALS confidence slope: c = 1 + alpha * weight");
ABSL_FLAG(int32_t, als_iterations, 15, "implicit ALS alternations");
ABSL_FLAG(bool, progress, true, "print phases with counts and elapsed time on stderr");

namespace {

std::string DefaultRegistry() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path next_to = exe.parent_path() / "features.registry";
    if (std::filesystem::exists(next_to, ec)) return next_to.string();
  }
  return COHORT_BUILD_REGISTRY;
}

int Run() {
  cohort::train::TrainOptions o;
  o.events_csv = absl::GetFlag(FLAGS_events_csv);
  o.truth_csv = absl::GetFlag(FLAGS_truth_csv);
  o.attributes_csv = absl::GetFlag(FLAGS_attributes_csv);
  o.shard_map = absl::GetFlag(FLAGS_shard_map);
  o.registry_path = absl::GetFlag(FLAGS_registry);
  if (o.registry_path.empty()) o.registry_path = DefaultRegistry();
  o.models_dir = absl::GetFlag(FLAGS_models_dir);
  o.report_dir = absl::GetFlag(FLAGS_report_dir);
  o.work_dir = absl::GetFlag(FLAGS_work_dir);
  o.seed = absl::GetFlag(FLAGS_seed);
  o.progress = absl::GetFlag(FLAGS_progress);
  o.cluster_features = absl::GetFlag(FLAGS_cluster_features);
  o.cluster_min_k = absl::GetFlag(FLAGS_cluster_min_k);
  o.cluster_max_k = absl::GetFlag(FLAGS_cluster_max_k);
  o.als_factors = absl::GetFlag(FLAGS_als_factors);
  o.als_regularization = absl::GetFlag(FLAGS_als_regularization);
  o.als_alpha = absl::GetFlag(FLAGS_als_alpha);
  o.als_iterations = absl::GetFlag(FLAGS_als_iterations);
  const std::string cutoff = absl::GetFlag(FLAGS_cutoff);
  if (!cutoff.empty()) {
    absl::StatusOr<absl::Time> t = cohort::ParseEventTime(cutoff);
    if (!t.ok()) {
      std::fprintf(stderr, "cohort-train: --cutoff: %s\n", t.status().ToString().c_str());
      return 2;
    }
    o.cutoff = *t;
  } else if (absl::GetFlag(FLAGS_cutoff_quantile) > 0) {
    o.cutoff_quantile = absl::GetFlag(FLAGS_cutoff_quantile);
  }
  absl::StatusOr<cohort::train::TrainResult> result = cohort::train::RunTraining(o);
  if (!result.ok()) {
    std::fprintf(stderr, "cohort-train: %s\n", result.status().ToString().c_str());
    return result.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::fprintf(stderr, "cohort-train: report in %s\n", result->report_dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "cohort-train --events_csv=events.csv --models_dir=models [--truth_csv=truth.csv]");
  absl::ParseCommandLine(argc, argv);
  return Run();
}
