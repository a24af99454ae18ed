// cohortctl status | compact | export | shardmap.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/hash.h"
#include "common/status_macros.h"
#include "services/common/grpc_status.h"
#include "services/common/shard_router.h"
#include "tools/cohortctl/commands.h"
#include "tools/cohortctl/format.h"
#include "tools/common/csv.h"

namespace cohort::cohortctl {
namespace {

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? absl::StrCat(bytes, " B") : absl::StrFormat("%.1f %s", value, units[unit]);
}

std::string RangesText(const std::vector<PartitionRangeSpec>& ranges) {
  uint64_t count = 0;
  std::vector<std::string> parts;
  for (const PartitionRangeSpec& r : ranges) {
    count += r.end - r.begin;
    parts.push_back(absl::StrCat("[", r.begin, ",", r.end, ")"));
  }
  return absl::StrCat(count, " ", absl::StrJoin(parts, " "));
}

// Writes the export CSV: header on the first row (or at Finish if there were none).
class CsvOut {
 public:
  explicit CsvOut(std::FILE* file) : file_(file) {}

  absl::Status Row(const std::vector<std::string>& names, const v1::FeatureVector& row) {
    if (!header_written_) WriteHeader(names);
    line_.clear();
    tools::AppendCsvField(row.customer_id(), &line_);
    for (const v1::FeatureValue& value : row.values()) {
      line_.push_back(',');
      tools::AppendCsvField(FormatValue(value), &line_);
    }
    line_.push_back('\n');
    ++rows_;
    if (std::fwrite(line_.data(), 1, line_.size(), file_) != line_.size()) {
      return absl::DataLossError(absl::StrCat("write failed: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }
  void WriteHeader(const std::vector<std::string>& names) {
    std::string header = "customer_id";
    for (const std::string& name : names) {
      header.push_back(',');
      tools::AppendCsvField(name, &header);
    }
    header.push_back('\n');
    std::fwrite(header.data(), 1, header.size(), file_);
    header_written_ = true;
  }
  bool header_written() const { return header_written_; }
  uint64_t rows() const { return rows_; }

 private:
  std::FILE* file_;
  bool header_written_ = false;
  uint64_t rows_ = 0;
  std::string line_;
};

}  // namespace

absl::Status RunStatus(const ClusterOptions& cluster) {
  ShardRouterOptions router_options;
  router_options.deadline = cluster.deadline;
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<ShardRouter> router,
                          ShardRouter::Create(cluster.shard_map, router_options));
  const uint64_t epoch = router->map()->epoch();
  std::vector<std::vector<std::string>> rows;
  int unhealthy = 0;
  for (const ShardRouter::NodeStatus& status : router->NodeInfo()) {
    std::vector<std::string> row = {status.node.id, status.node.address,
                                    RangesText(status.node.ranges)};
    if (!status.info.ok()) {
      ++unhealthy;
      absl::string_view code = absl::StatusCodeToString(status.info.status().code());
      row.insert(row.end(), {"-", "-", "-", absl::StrCat("DOWN (", code, ")")});
      rows.push_back(std::move(row));
      continue;
    }
    const v1::NodeInfoResponse& info = *status.info;
    std::string health = "ok";
    if (info.shard_map_epoch() != epoch) {
      ++unhealthy;
      health =
          absl::StrCat("map epoch differs (node ", info.shard_map_epoch(), ", file ", epoch, ")");
    } else if (info.node_id() != status.node.id) {
      ++unhealthy;
      health = absl::StrCat("answers as ", info.node_id());
    }
    row.insert(row.end(),
               {absl::StrCat(info.shard_map_epoch()), absl::StrCat(info.estimated_customers()),
                HumanBytes(info.live_data_bytes()), health});
    rows.push_back(std::move(row));
  }
  PrintTable({"node", "address", "partitions", "epoch", "customers", "live bytes", "health"}, rows);
  if (unhealthy > 0) {
    return absl::UnavailableError(
        absl::StrCat(unhealthy, " of ", rows.size(), " nodes are not healthy"));
  }
  return absl::OkStatus();
}

absl::Status RunCompact(const ClusterOptions& cluster, absl::Duration deadline) {
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<ShardRouter> router,
                          ShardRouter::Create(cluster.shard_map, ShardRouterOptions()));
  const std::shared_ptr<const ShardMap> map = router->map();  // keeps `nodes` alive
  const std::vector<NodeSpec>& nodes = map->nodes();
  std::vector<absl::StatusOr<v1::CompactResponse>> results(nodes.size());
  std::vector<std::thread> calls;
  for (size_t i = 0; i < nodes.size(); ++i) {
    calls.emplace_back([&, i] {
      const ShardRouter::NodeHandle node = router->HandleFor(nodes[i]);
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
      v1::CompactResponse response;
      const grpc::Status status = node.stub->Compact(&context, v1::CompactRequest(), &response);
      if (status.ok()) {
        results[i] = response;
      } else {
        const absl::Status error = FromGrpcStatus(status);
        results[i] = absl::Status(
            error.code(),
            absl::StrCat("node ", nodes[i].id, " (", nodes[i].address, "): ", error.message()));
      }
    });
  }
  for (std::thread& call : calls) call.join();
  std::vector<std::vector<std::string>> rows;
  absl::Status first_error;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (results[i].ok()) {
      rows.push_back({nodes[i].id, absl::StrFormat("%.1f s", results[i]->seconds()),
                      HumanBytes(results[i]->live_data_bytes()), "ok"});
      continue;
    }
    rows.push_back({nodes[i].id, "-", "-", std::string(results[i].status().message())});
    if (first_error.ok()) first_error = results[i].status();
  }
  PrintTable({"node", "took", "live bytes", "result"}, rows);
  return first_error;
}

absl::Status RunExport(const ClusterOptions& cluster, const ExportOptions& options) {
  if (options.out.empty()) return absl::InvalidArgumentError("export needs --out");
  ShardRouterOptions router_options;
  router_options.deadline = cluster.deadline;
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<ShardRouter> router,
                          ShardRouter::Create(cluster.shard_map, router_options));
  uint32_t begin = 0;
  uint32_t end = router->map()->partitions();
  if (options.partitions.has_value()) std::tie(begin, end) = *options.partitions;

  // Written under a temporary name and renamed when complete.
  const std::string tmp = options.out + ".tmp";
  std::FILE* file = std::fopen(tmp.c_str(), "wb");
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat(tmp, ": cannot create: ", std::strerror(errno)));
  }
  CsvOut out(file);
  absl::StatusOr<std::vector<std::string>> names =
      router->Export(begin, end, options.features, options.as_of,
                     [&out](const std::vector<std::string>& columns, const v1::FeatureVector& row) {
                       return out.Row(columns, row);
                     });
  absl::Status status = names.status();
  if (status.ok() && !out.header_written()) {
    std::vector<std::string> columns = *names;
    if (columns.empty()) columns = options.features;
    if (columns.empty()) {
      absl::StatusOr<v1::ListFeaturesResponse> registry = router->ListFeatures();
      if (registry.ok()) {
        for (const v1::FeatureDefinition& f : registry->features()) columns.push_back(f.name());
      }
    }
    out.WriteHeader(columns);
  }
  const bool closed = std::fclose(file) == 0;
  if (status.ok() && !closed) {
    status = absl::DataLossError(absl::StrCat(tmp, ": write failed: ", std::strerror(errno)));
  }
  if (!status.ok()) {
    std::filesystem::remove(tmp);
    return status;
  }
  std::error_code error;
  std::filesystem::rename(tmp, options.out, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot rename ", tmp, " to ", options.out, ": ", error.message()));
  }
  std::printf("exported %llu rows of partitions [%u, %u) to %s\n",
              static_cast<unsigned long long>(out.rows()), begin, end, options.out.c_str());
  return absl::OkStatus();
}

absl::Status RunShardMap(const ShardMapOptions& options) {
  if (options.nodes.empty()) {
    return absl::InvalidArgumentError("shardmap needs --nodes id=host:port,...");
  }
  if (options.partitions < 1 || options.partitions > kMaxPartitions) {
    return absl::InvalidArgumentError(absl::StrCat("--partitions must be in 1..", kMaxPartitions));
  }
  if (options.nodes.size() > options.partitions) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.nodes.size(), " nodes but only ", options.partitions, " partitions"));
  }
  if (options.epoch < 1) return absl::InvalidArgumentError("--epoch must be >= 1");
  const std::string json =
      ShardMap::Uniform(options.epoch, options.partitions, options.nodes).ToJson();
  COHORT_RETURN_IF_ERROR(ShardMap::Parse(json, "--nodes").status());  // ids, addresses
  std::printf("%s", json.c_str());
  return absl::OkStatus();
}

}  // namespace cohort::cohortctl
