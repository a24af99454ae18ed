// cohort-store: one store node. Parses flags into NodeOptions, starts the node, serves until
// SIGTERM/SIGINT, then drains and closes the store. Usage: cohort-store --help.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "services/common/process.h"
#include "services/featurestore/log.h"
#include "services/featurestore/node_options.h"
#include "services/featurestore/server.h"

ABSL_FLAG(std::string, data_dir, "", "RocksDB directory of this node (required)");
ABSL_FLAG(std::string, listen, "127.0.0.1:7100",
          "host:port to serve gRPC on; port 0 binds a free port");
ABSL_FLAG(std::string, port_file, "",
          "if set, the bound host:port is written here (atomically) once the node serves");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9100",
          "ip:port to serve Prometheus metrics on (GET /metrics); port 0 binds a free port; "
          "empty disables");
ABSL_FLAG(std::string, metrics_port_file, "",
          "if set, the bound metrics host:port is written here (atomically) once it listens");
ABSL_FLAG(std::string, node_id, "", "this node's id in the shard map, e.g. store-0 (required)");
ABSL_FLAG(std::string, shard_map, "", "path of the shard-map JSON file (required)");
ABSL_FLAG(std::string, registry, "",
          "feature registry file (default: features.registry next to the executable)");
ABSL_FLAG(std::string, durability, "sync",
          "default durability of writes: sync (fsync before ack) or async (WAL, no fsync)");
ABSL_FLAG(int32_t, retention_days, 730, "daily buckets and dedup keys older than this are dropped");
ABSL_FLAG(uint32_t, history_cap, 200, "recent interactions kept per customer");
ABSL_FLAG(uint64_t, block_cache_mb, 256, "shared RocksDB block cache in MiB");
ABSL_FLAG(bool, split_reads, true,
          "read a GetFeatures batch of 32+ ids that arrives while the node is idle with two "
          "threads (lower latency below peak load, ~4% less peak throughput)");
ABSL_FLAG(absl::Duration, auto_compact_quiet, absl::Minutes(2),
          "compact fully once this long passes without writes after a bulk load "
          "(--auto_compact_min_writes and --auto_compact_ratio say how large); 0 disables");
ABSL_FLAG(uint64_t, auto_compact_min_writes, 100000,
          "automatic compaction: least events, attribute rows and erasures since the last "
          "full compaction");
ABSL_FLAG(double, auto_compact_ratio, 0.5,
          "automatic compaction: least writes since the last full compaction per stored "
          "customer");
ABSL_FLAG(uint32_t, max_batch_events, 10000, "most events one Ingest request may carry");

namespace {

using cohort::featurestore::NodeOptions;

// A status message as one line: runs of whitespace (parsers' multi-line context) become
// one space.
std::string OneLine(absl::string_view message) {
  std::string line;
  bool space = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !line.empty();
      continue;
    }
    if (space) line.push_back(' ');
    space = false;
    line.push_back(c);
  }
  return line;
}

std::string ExecutableDir() {
  std::string path(4096, '\0');
  ssize_t n = ::readlink("/proc/self/exe", path.data(), path.size());
  if (n <= 0) return ".";
  path.resize(static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

absl::StatusOr<NodeOptions> OptionsFromFlags() {
  NodeOptions o;
  o.data_dir = absl::GetFlag(FLAGS_data_dir);
  o.listen = absl::GetFlag(FLAGS_listen);
  o.port_file = absl::GetFlag(FLAGS_port_file);
  o.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  o.metrics_port_file = absl::GetFlag(FLAGS_metrics_port_file);
  o.node_id = absl::GetFlag(FLAGS_node_id);
  o.shard_map_path = absl::GetFlag(FLAGS_shard_map);
  o.registry_path = absl::GetFlag(FLAGS_registry);
  o.retention_days = absl::GetFlag(FLAGS_retention_days);
  o.history_cap = absl::GetFlag(FLAGS_history_cap);
  o.block_cache_mb = absl::GetFlag(FLAGS_block_cache_mb);
  o.split_reads = absl::GetFlag(FLAGS_split_reads);
  o.auto_compact_quiet = absl::GetFlag(FLAGS_auto_compact_quiet);
  o.auto_compact_min_writes = absl::GetFlag(FLAGS_auto_compact_min_writes);
  o.auto_compact_ratio = absl::GetFlag(FLAGS_auto_compact_ratio);
  o.max_batch_events = absl::GetFlag(FLAGS_max_batch_events);
  if (o.data_dir.empty()) {
    return absl::InvalidArgumentError("--data_dir is required (the node's RocksDB directory)");
  }
  if (o.node_id.empty()) {
    return absl::InvalidArgumentError("--node_id is required (this node's id in the shard map)");
  }
  if (o.shard_map_path.empty()) {
    return absl::InvalidArgumentError("--shard_map is required (path of the shard-map JSON)");
  }
  if (o.registry_path.empty()) o.registry_path = ExecutableDir() + "/features.registry";
  const std::string durability = absl::GetFlag(FLAGS_durability);
  if (durability == "sync") {
    o.default_durability = cohort::storage::Durability::kSync;
  } else if (durability == "async") {
    o.default_durability = cohort::storage::Durability::kAsync;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--durability is '", durability, "'; use sync or async"));
  }
  if (o.retention_days <= 0) {
    return absl::InvalidArgumentError("--retention_days must be positive");
  }
  if (o.history_cap == 0) return absl::InvalidArgumentError("--history_cap must be positive");
  if (o.max_batch_events == 0) {
    return absl::InvalidArgumentError("--max_batch_events must be positive");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the mask and the signals wait for
  // WaitForTerminationSignal below.
  cohort::featurestore::BlockTerminationSignals();
  cohort::DisableMutexDeadlockDetection();
  absl::SetProgramUsageMessage(
      "Cohort store node: serves cohort.v1.FeatureStore for the partitions the shard map "
      "gives --node_id.\nUsage: cohort-store --data_dir=DIR --node_id=ID --shard_map=FILE "
      "[--listen=HOST:PORT] [--port_file=FILE] [--metrics_listen=IP:PORT] ...");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() > 1) {
    std::fprintf(stderr, "cohort-store: unexpected argument '%s'; every option is a --flag\n",
                 args[1]);
    return 2;
  }
  absl::StatusOr<NodeOptions> options = OptionsFromFlags();
  if (!options.ok()) {
    std::fprintf(stderr, "cohort-store: %s\n", OneLine(options.status().message()).c_str());
    return 2;
  }
  auto node = cohort::featurestore::StoreNode::Start(*std::move(options));
  if (!node.ok()) {
    std::fprintf(stderr, "cohort-store: cannot start: %s\n",
                 OneLine(node.status().message()).c_str());
    return 1;
  }
  const int signal = cohort::featurestore::WaitForTerminationSignal();
  cohort::featurestore::LogLine(
      absl::StrCat(signal == SIGTERM ? "SIGTERM" : "SIGINT", " received, shutting down"));
  (*node)->Shutdown();
  return 0;
}
