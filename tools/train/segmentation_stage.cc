// Segmentation stage: RFM quintiles and behavioural k-means clusters on features as of the
// cutoff; silhouette, sizes and (with a truth file) the adjusted Rand index vs archetypes.
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "models/artifacts/artifact_store.h"
#include "models/metrics/clustering.h"
#include "models/segmentation/rfm.h"
#include "tools/common/csv.h"
#include "tools/train/stages.h"

namespace cohort::train {
namespace {

namespace seg = models::segmentation;

absl::StatusOr<size_t> Column(const FeatureTable& features, absl::string_view name) {
  for (size_t i = 0; i < features.names.size(); ++i) {
    if (features.names[i] == name) return i;
  }
  return absl::InternalError(absl::StrCat("feature ", name, " was not exported"));
}

// customer id -> archetype, from a cohort-datagen truth CSV.
absl::StatusOr<std::map<std::string, std::string>> ReadTruth(const std::string& path) {
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<tools::CsvReader> csv, tools::CsvReader::Open(path));
  std::vector<std::string> fields;
  std::map<std::string, std::string> out;
  bool header = true;
  size_t id_col = 0, arch_col = 1;
  while (true) {
    COHORT_ASSIGN_OR_RETURN(bool more, csv->Next(&fields));
    if (!more) break;
    if (header) {
      header = false;
      bool found = false;
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == "customer_id") id_col = i;
        if (fields[i] == "archetype") {
          arch_col = i;
          found = true;
        }
      }
      if (!found) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": not a truth file (no archetype column)"));
      }
      continue;
    }
    if (fields.size() <= std::max(id_col, arch_col)) continue;
    out[fields[id_col]] = fields[arch_col];
  }
  return out;
}

}  // namespace

absl::StatusOr<SegmentationOutput> RunSegmentation(const TrainOptions& options, const Dataset& data,
                                                   const FeatureTable& features,
                                                   const Progress& progress,
                                                   google::protobuf::Struct& report) {
  COHORT_ASSIGN_OR_RETURN(const std::vector<ClusterFeature> specs, ParseClusterFeatures(options));
  std::vector<std::string> names;
  std::vector<seg::FeatureTransform> transforms;
  for (const ClusterFeature& f : specs) {
    names.push_back(f.name);
    transforms.push_back(f.transform);
  }
  const size_t n = features.rows.size();
  const size_t d = names.size();
  if (n < 10) {
    return absl::FailedPreconditionError(
        absl::StrCat("only ", n, " customers known at the cutoff: too few to segment"));
  }
  // Cluster matrix of raw values; the model transforms them and imputes a missing (NaN)
  // value with its transformed column mean, as Assign does at serving time.
  std::vector<size_t> cols;
  for (const std::string& name : names) {
    COHORT_ASSIGN_OR_RETURN(size_t c, Column(features, name));
    cols.push_back(c);
  }
  Eigen::MatrixXd x(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d));
  for (size_t j = 0; j < d; ++j) {
    for (size_t i = 0; i < n; ++i) {
      const double v = features.rows[i][cols[j]];
      x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) =
          std::isfinite(v) ? v : std::numeric_limits<double>::quiet_NaN();
    }
  }
  seg::ClusterOptions cluster_options;
  cluster_options.seed = options.seed;
  cluster_options.transforms = transforms;
  cluster_options.min_k = options.cluster_min_k;
  cluster_options.max_k = options.cluster_max_k;
  progress.Phase("segmentation", absl::StrCat("k-means on ", n, " customers x ", d, " features"));
  COHORT_ASSIGN_OR_RETURN(seg::ClusterModel clusters,
                          seg::ClusterModel::Fit(x, names, cluster_options));

  // RFM on customers with a purchase before the cutoff.
  COHORT_ASSIGN_OR_RETURN(size_t rc, Column(features, kRfmRecency));
  COHORT_ASSIGN_OR_RETURN(size_t fc, Column(features, kRfmFrequency));
  COHORT_ASSIGN_OR_RETURN(size_t mc, Column(features, kRfmMonetary));
  std::vector<seg::RfmValues> rfm_population;
  for (const std::vector<double>& row : features.rows) {
    if (!std::isfinite(row[rc])) continue;
    rfm_population.push_back(seg::RfmValues{row[rc], std::isfinite(row[fc]) ? row[fc] : 0.0,
                                            std::isfinite(row[mc]) ? row[mc] : 0.0});
  }
  COHORT_ASSIGN_OR_RETURN(seg::RfmModel rfm, seg::RfmModel::Fit(rfm_population));
  std::map<std::string, int64_t> rfm_counts;
  for (const std::vector<double>& row : features.rows) {
    seg::RfmValues v{std::isfinite(row[rc]) ? row[rc] : std::numeric_limits<double>::infinity(),
                     std::isfinite(row[fc]) ? row[fc] : 0.0,
                     std::isfinite(row[mc]) ? row[mc] : 0.0};
    COHORT_ASSIGN_OR_RETURN(seg::RfmScore score, rfm.Score(v));
    ++rfm_counts[std::string(seg::RfmSegmentName(score.segment))];
  }

  SegmentationOutput out;
  std::vector<int32_t> labels(n);
  for (size_t i = 0; i < n; ++i) {
    std::vector<double> row(d);
    for (size_t j = 0; j < d; ++j) {
      row[j] = x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
    }
    COHORT_ASSIGN_OR_RETURN(seg::ClusterAssignment a, clusters.Assign(row));
    labels[i] = a.cluster;
    out.cluster_of[features.customer_ids[i]] = a.cluster;
  }

  google::protobuf::Struct& s = *SetStruct(report, "segmentation");
  SetNumber(s, "customers", static_cast<double>(n));
  SetNumber(s, "rfm_customers", static_cast<double>(rfm_population.size()));
  SetNumber(s, "k", clusters.k());
  SetNumber(s, "silhouette", clusters.silhouette());
  google::protobuf::ListValue& fl = *SetList(s, "features");
  for (const std::string& name : names) fl.add_values()->set_string_value(name);
  google::protobuf::ListValue& ks = *SetList(s, "k_scores");
  for (const seg::KScore& k : clusters.k_scores()) {
    google::protobuf::Struct& e = *AppendStruct(ks);
    SetNumber(e, "k", k.k);
    SetNumber(e, "silhouette", k.silhouette);
    SetNumber(e, "inertia", k.inertia);
  }
  google::protobuf::ListValue& cl = *SetList(s, "clusters");
  for (const seg::ClusterDescription& c : clusters.descriptions()) {
    google::protobuf::Struct& e = *AppendStruct(cl);
    SetNumber(e, "cluster", c.cluster);
    SetNumber(e, "size", static_cast<double>(c.size));
    SetString(e, "description", c.text);
  }
  google::protobuf::Struct& rs = *SetStruct(s, "rfm_segments");
  for (const auto& [name, count] : rfm_counts) SetNumber(rs, name, static_cast<double>(count));

  models::artifacts::ModelManifest manifest = BaseManifest("segmentation", "segmentation", data);
  for (const std::string& name : names) manifest.add_features(name);
  (*manifest.mutable_params())["cluster_transforms"] =
      absl::StrJoin(specs, ",", [](std::string* out, const ClusterFeature& f) {
        absl::StrAppend(out, f.transform == seg::FeatureTransform::kLog1p ? "log1p" : "identity");
      });
  (*manifest.mutable_params())["rfm_recency"] = std::string(kRfmRecency);
  (*manifest.mutable_params())["rfm_frequency"] = std::string(kRfmFrequency);
  (*manifest.mutable_params())["rfm_monetary"] = std::string(kRfmMonetary);
  (*manifest.mutable_params())["k"] = absl::StrCat(clusters.k());
  (*manifest.mutable_metrics())["silhouette"] = clusters.silhouette();
  (*manifest.mutable_metrics())["k"] = clusters.k();
  (*manifest.mutable_metrics())["customers"] = static_cast<double>(n);

  if (!options.truth_csv.empty()) {
    COHORT_ASSIGN_OR_RETURN(auto truth, ReadTruth(options.truth_csv));
    std::map<std::string, int32_t> archetype_ids;
    std::vector<int32_t> a, b;
    for (size_t i = 0; i < n; ++i) {
      auto it = truth.find(features.customer_ids[i]);
      if (it == truth.end()) continue;
      auto [ai, inserted] =
          archetype_ids.emplace(it->second, static_cast<int32_t>(archetype_ids.size()));
      a.push_back(ai->second);
      b.push_back(labels[i]);
    }
    if (!a.empty()) {
      COHORT_ASSIGN_OR_RETURN(double ari, models::metrics::AdjustedRandIndex(a, b));
      SetNumber(s, "ari_vs_archetypes", ari);
      SetNumber(s, "ari_customers", static_cast<double>(a.size()));
      (*manifest.mutable_metrics())["ari_vs_archetypes"] = ari;
    }
  }

  COHORT_ASSIGN_OR_RETURN(
      models::artifacts::ModelManifest written,
      models::artifacts::WriteVersion(
          options.models_dir, std::move(manifest),
          {{"rfm.bin", rfm.Serialize()}, {"clusters.bin", clusters.Serialize()}}));
  SetNumber(s, "version", static_cast<double>(written.version()));
  progress.Phase("segmentation",
                 absl::StrCat("k=", clusters.k(), " silhouette=", clusters.silhouette(),
                              " -> version ", written.version()));
  return out;
}

}  // namespace cohort::train
