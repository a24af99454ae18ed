// Cluster mode: point-in-time features of every customer through ShardRouter::Export
// (as_of = cutoff) from the running store nodes of a shard map.
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/common/shard_router.h"
#include "tools/train/dataset.h"

namespace cohort::train {
namespace {

double ToDouble(const v1::FeatureValue& v) {
  if (v.status() == v1::FEATURE_STATUS_NOT_FOUND || v.status() == v1::FEATURE_STATUS_DEFAULTED) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  switch (v.kind_case()) {
    case v1::FeatureValue::kDoubleValue:
      return v.double_value();
    case v1::FeatureValue::kIntValue:
      return static_cast<double>(v.int_value());
    case v1::FeatureValue::kBoolValue:
      return v.bool_value() ? 1.0 : 0.0;
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

}  // namespace

absl::StatusOr<FeatureTable> ExportClusterFeatures(const TrainOptions& options, const Dataset& data,
                                                   const std::vector<std::string>& feature_names) {
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<ShardRouter> router,
                          ShardRouter::Create(options.shard_map));
  const uint32_t partitions = router->map()->partitions();
  FeatureTable table;
  table.names = feature_names;
  std::vector<int> column_of;  // exported column -> position in feature_names (-1: unused)
  std::vector<std::string> seen_columns;
  absl::StatusOr<std::vector<std::string>> columns = router->Export(
      0, partitions, feature_names, data.cutoff,
      [&](const std::vector<std::string>& names, const v1::FeatureVector& row) -> absl::Status {
        if (names != seen_columns) {
          seen_columns = names;
          column_of.assign(names.size(), -1);
          for (size_t i = 0; i < names.size(); ++i) {
            for (size_t j = 0; j < feature_names.size(); ++j) {
              if (names[i] == feature_names[j]) column_of[i] = static_cast<int>(j);
            }
          }
        }
        if (!row.found()) return absl::OkStatus();
        if (static_cast<size_t>(row.values_size()) != names.size()) {
          return absl::DataLossError(absl::StrCat("export row of ", row.customer_id(), " has ",
                                                  row.values_size(), " values for ", names.size(),
                                                  " columns"));
        }
        std::vector<double> out(feature_names.size(), std::numeric_limits<double>::quiet_NaN());
        for (int i = 0; i < row.values_size(); ++i) {
          if (column_of[static_cast<size_t>(i)] >= 0) {
            out[static_cast<size_t>(column_of[static_cast<size_t>(i)])] = ToDouble(row.values(i));
          }
        }
        table.row_of.emplace(row.customer_id(), table.rows.size());
        table.customer_ids.push_back(row.customer_id());
        table.rows.push_back(std::move(out));
        return absl::OkStatus();
      });
  if (!columns.ok()) return columns.status();
  for (const std::string& name : feature_names) {
    bool found = false;
    for (const std::string& c : *columns) found = found || c == name;
    if (!found && !table.rows.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the cluster does not serve feature ", name, " (registry mismatch)"));
    }
  }
  return table;
}

}  // namespace cohort::train
