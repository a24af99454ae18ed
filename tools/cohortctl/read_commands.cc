// cohortctl features | profile | history | erase: one router call each, printed on stdout.
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "services/common/shard_router.h"
#include "tools/cohortctl/commands.h"
#include "tools/cohortctl/format.h"
#include "tools/common/csv.h"

namespace cohort::cohortctl {
namespace {

absl::StatusOr<std::unique_ptr<ShardRouter>> Connect(const ClusterOptions& cluster) {
  ShardRouterOptions options;
  options.deadline = cluster.deadline;
  return ShardRouter::Create(cluster.shard_map, options);
}

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// Features as a table: one row per feature, one column per customer; a value that is not
// PRESENT carries its status.
void PrintFeatureTable(const v1::GetFeaturesResponse& response) {
  std::vector<std::string> header = {"feature"};
  std::vector<std::string> found = {"(found)"};
  for (const v1::FeatureVector& vector : response.vectors()) {
    header.push_back(vector.customer_id());
    found.push_back(vector.found() ? "yes" : "no");
  }
  std::vector<std::vector<std::string>> rows = {found};
  for (int f = 0; f < response.feature_names_size(); ++f) {
    std::vector<std::string> row = {response.feature_names(f)};
    for (const v1::FeatureVector& vector : response.vectors()) {
      if (f >= vector.values_size()) {
        row.push_back("");
        continue;
      }
      const v1::FeatureValue& value = vector.values(f);
      std::string text = FormatValue(value, /*for_humans=*/true);
      if (value.status() != v1::FEATURE_STATUS_PRESENT) {
        absl::StrAppend(&text, text.empty() ? "" : " ", "(", StatusName(value.status()), ")");
      }
      row.push_back(text);
    }
    rows.push_back(std::move(row));
  }
  PrintTable(header, rows);
}

void PrintFeatureCsv(const v1::GetFeaturesResponse& response) {
  std::string line = "customer_id";
  for (const std::string& name : response.feature_names()) {
    line.push_back(',');
    tools::AppendCsvField(name, &line);
  }
  std::printf("%s\n", line.c_str());
  for (const v1::FeatureVector& vector : response.vectors()) {
    line.clear();
    tools::AppendCsvField(vector.customer_id(), &line);
    for (const v1::FeatureValue& value : vector.values()) {
      line.push_back(',');
      tools::AppendCsvField(FormatValue(value), &line);
    }
    std::printf("%s\n", line.c_str());
  }
}

void PrintFeatureJson(const v1::GetFeaturesResponse& response) {
  std::printf("[\n");
  for (int v = 0; v < response.vectors_size(); ++v) {
    const v1::FeatureVector& vector = response.vectors(v);
    std::vector<std::string> features;
    for (int f = 0; f < vector.values_size() && f < response.feature_names_size(); ++f) {
      features.push_back(absl::StrCat(
          JsonString(response.feature_names(f)), ": {\"value\": ", JsonValue(vector.values(f)),
          ", \"status\": \"", StatusName(vector.values(f).status()), "\"}"));
    }
    std::printf("  {\"customer_id\": %s, \"found\": %s, \"features\": {%s}}%s\n",
                JsonString(vector.customer_id()).c_str(), vector.found() ? "true" : "false",
                absl::StrJoin(features, ", ").c_str(), v + 1 < response.vectors_size() ? "," : "");
  }
  std::printf("]\n");
}

}  // namespace

absl::Status RunFeatures(const ClusterOptions& cluster, const FeaturesOptions& options) {
  if (options.ids.empty()) return absl::InvalidArgumentError("features needs --ids");
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<ShardRouter> router, Connect(cluster));
  FeatureReadOptions read;
  read.as_of = options.as_of;
  COHORT_ASSIGN_OR_RETURN(ShardRouter::FeaturesResponse response,
                          router->GetFeatures(options.ids, options.features, read));
  switch (options.format) {
    case Format::kTable:
      PrintFeatureTable(*response);
      break;
    case Format::kCsv:
      PrintFeatureCsv(*response);
      break;
    case Format::kJson:
      PrintFeatureJson(*response);
      break;
  }
  return absl::OkStatus();
}

absl::Status RunProfile(const ClusterOptions& cluster, const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("profile needs --id");
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<ShardRouter> router, Connect(cluster));
  COHORT_ASSIGN_OR_RETURN(v1::GetProfileResponse response, router->GetProfile(id));
  if (!response.found()) {
    std::printf("customer %s is not stored\n", id.c_str());
    return absl::OkStatus();
  }
  google::protobuf::util::JsonPrintOptions json;
  json.add_whitespace = true;
  json.preserve_proto_field_names = true;
  std::string text;
  auto printed = google::protobuf::util::MessageToJsonString(response.profile(), &text, json);
  if (!printed.ok()) {
    return absl::InternalError(absl::StrCat("cannot print the profile: ", printed.ToString()));
  }
  std::printf("%s", text.c_str());
  return absl::OkStatus();
}

absl::Status RunHistory(const ClusterOptions& cluster, const std::string& id, uint32_t limit) {
  if (id.empty()) return absl::InvalidArgumentError("history needs --id");
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<ShardRouter> router, Connect(cluster));
  COHORT_ASSIGN_OR_RETURN(v1::GetHistoryResponse response, router->GetHistory(id, limit));
  if (!response.found()) {
    std::printf("customer %s is not stored\n", id.c_str());
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  for (const v1::Interaction& i : response.interactions()) {
    rows.push_back({FormatRfc3339(ToTime(i.time())), i.type(), i.channel(), i.item_id(),
                    i.category(), i.quantity() == 0 ? "" : absl::StrCat(i.quantity()),
                    i.amount() == 0 ? "" : FormatDouble(i.amount()), i.event_id()});
  }
  PrintTable({"time", "type", "channel", "item_id", "category", "quantity", "amount", "event_id"},
             rows);
  return absl::OkStatus();
}

absl::Status RunErase(const ClusterOptions& cluster, const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("erase needs --id");
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<ShardRouter> router, Connect(cluster));
  COHORT_ASSIGN_OR_RETURN(v1::EraseCustomerResponse response, router->EraseCustomer(id));
  if (response.existed()) {
    std::printf("erased customer %s\n", id.c_str());
  } else {
    std::printf("customer %s was not stored; nothing to erase\n", id.c_str());
  }
  return absl::OkStatus();
}

}  // namespace cohort::cohortctl
