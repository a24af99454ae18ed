// cohortctl: the command-line client of a Cohort cluster. Parses flags into option structs
// and runs one command (tools/cohortctl/commands.h).
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "services/common/process.h"
#include "tools/cohortctl/commands.h"

ABSL_FLAG(std::string, shard_map, "",
          "Shard-map JSON file of the cluster (every command "
          "but shardmap).");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(10), "Deadline of each RPC (but compact's).");
ABSL_FLAG(absl::Duration, compact_deadline, absl::Hours(2),
          "compact, import --compact: deadline of each node's compaction call.");
// import
ABSL_FLAG(std::string, events, "",
          "import: events CSV "
          "(event_id,customer_id,ts,type,channel,item_id,category,"
          "quantity,amount).");
ABSL_FLAG(std::string, attributes, "",
          "import: attributes CSV (customer_id,name,type,value,source,ts).");
ABSL_FLAG(int, batch, 500, "import: events or attribute rows per batch (1..10000).");
ABSL_FLAG(int, inflight, 8, "import: unacknowledged batches per node.");
ABSL_FLAG(absl::Duration, retry_for, absl::Seconds(120),
          "import: how long a node may stay unreachable before its batches are given up.");
ABSL_FLAG(absl::Duration, ack_timeout, absl::Seconds(60),
          "import: a batch unacknowledged for this long re-opens its stream.");
ABSL_FLAG(std::string, durability, "default", "import: default|sync|async.");
ABSL_FLAG(bool, progress, true, "import: show progress on stderr.");
ABSL_FLAG(bool, compact, false,
          "import: once every batch is delivered, compact every node as `cohortctl compact` "
          "does (after a bulk load; reads merge the imported writes until then).");
// reads
ABSL_FLAG(std::string, ids, "", "features, score: comma-separated customer ids.");
ABSL_FLAG(std::string, id, "", "profile, history, erase: the customer id.");
ABSL_FLAG(std::string, features, "", "features, export: comma-separated names; empty: all.");
ABSL_FLAG(std::string, as_of, "",
          "features, export: point-in-time read (RFC 3339 or Unix seconds); empty: now.");
ABSL_FLAG(std::string, format, "table", "features: table|csv|json; score: table|json.");
ABSL_FLAG(uint32_t, limit, 0, "history: most interactions; 0: the node's cap.");
// score
ABSL_FLAG(std::string, scorer, "", "score: host:port of a cohort-scorer.");
ABSL_FLAG(uint32_t, k, 5, "score: recommendations per customer (0..100; 0: none).");
ABSL_FLAG(std::string, models, "",
          "score: comma-separated loaded model names; empty: every loaded model.");
ABSL_FLAG(absl::Duration, wait_for, absl::ZeroDuration(),
          "score: keep retrying this long while the scorer is unreachable or has no model "
          "loaded.");
// export
ABSL_FLAG(std::string, out, "", "export: the CSV file to write.");
ABSL_FLAG(std::string, partitions, "",
          "export: partition range B:E (end exclusive); empty: all. shardmap: partition count "
          "(default 1024).");
// shardmap
ABSL_FLAG(std::string, nodes, "", "shardmap: id=host:port,id=host:port,...");
ABSL_FLAG(uint64_t, epoch, 1, "shardmap: the map's epoch.");

namespace cohort::cohortctl {
namespace {

constexpr char kUsage[] =
    "the command-line client of a Cohort cluster.\n"
    "Usage: cohortctl <command> [flags]\n"
    "Commands:\n"
    "  import   --events FILE [--attributes FILE] [--batch 500] [--inflight 8] "
    "[--retry_for 120s]\n"
    "           [--compact]   then compact every node (after a bulk load)\n"
    "  features --ids a,b,c [--features x,y] [--as_of T] [--format table|csv|json]\n"
    "  profile  --id X\n"
    "  history  --id X [--limit N]\n"
    "  erase    --id X\n"
    "  export   --out FILE.csv [--partitions B:E] [--features x,y] [--as_of T]\n"
    "  status\n"
    "  compact  [--compact_deadline 2h]   full compaction of every node (after bulk loads)\n"
    "  shardmap --nodes id=host:port,... [--partitions P] [--epoch N]\n"
    "  score    --scorer HOST:PORT --ids a,b,c [--k 5] [--models m1,m2] [--format table|json]\n"
    "           [--wait_for 30s]\n"
    "Every command but shardmap and score takes --shard_map FILE.";

std::vector<std::string> List(const std::string& text) {
  return absl::StrSplit(text, ',', absl::SkipWhitespace());
}

absl::StatusOr<std::optional<absl::Time>> AsOf() {
  const std::string text = absl::GetFlag(FLAGS_as_of);
  if (text.empty()) return std::optional<absl::Time>();
  absl::StatusOr<absl::Time> t = ParseEventTime(text);
  if (!t.ok()) return absl::InvalidArgumentError(absl::StrCat("--as_of: ", t.status().message()));
  return std::optional<absl::Time>(*t);
}

absl::StatusOr<ClusterOptions> Cluster() {
  ClusterOptions cluster;
  cluster.shard_map = absl::GetFlag(FLAGS_shard_map);
  cluster.deadline = absl::GetFlag(FLAGS_deadline);
  if (cluster.shard_map.empty()) return absl::InvalidArgumentError("--shard_map is required");
  return cluster;
}

absl::Status Import() {
  COHORT_ASSIGN_OR_RETURN(ClusterOptions cluster, Cluster());
  ImportOptions options;
  options.events_path = absl::GetFlag(FLAGS_events);
  options.attributes_path = absl::GetFlag(FLAGS_attributes);
  options.batch = absl::GetFlag(FLAGS_batch);
  options.inflight = absl::GetFlag(FLAGS_inflight);
  options.retry_for = absl::GetFlag(FLAGS_retry_for);
  options.ack_timeout = absl::GetFlag(FLAGS_ack_timeout);
  options.progress = absl::GetFlag(FLAGS_progress);
  options.compact = absl::GetFlag(FLAGS_compact);
  options.compact_deadline = absl::GetFlag(FLAGS_compact_deadline);
  const std::string durability = absl::GetFlag(FLAGS_durability);
  if (durability == "sync") {
    options.durability = v1::DURABILITY_SYNC;
  } else if (durability == "async") {
    options.durability = v1::DURABILITY_ASYNC;
  } else if (durability != "default") {
    return absl::InvalidArgumentError("--durability must be default, sync or async");
  }
  return RunImport(cluster, options);
}

absl::Status Features() {
  COHORT_ASSIGN_OR_RETURN(ClusterOptions cluster, Cluster());
  FeaturesOptions options;
  options.ids = List(absl::GetFlag(FLAGS_ids));
  options.features = List(absl::GetFlag(FLAGS_features));
  COHORT_ASSIGN_OR_RETURN(options.as_of, AsOf());
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format == "table") {
    options.format = Format::kTable;
  } else if (format == "csv") {
    options.format = Format::kCsv;
  } else if (format == "json") {
    options.format = Format::kJson;
  } else {
    return absl::InvalidArgumentError("--format must be table, csv or json");
  }
  return RunFeatures(cluster, options);
}

absl::Status Export() {
  COHORT_ASSIGN_OR_RETURN(ClusterOptions cluster, Cluster());
  ExportOptions options;
  options.out = absl::GetFlag(FLAGS_out);
  options.features = List(absl::GetFlag(FLAGS_features));
  COHORT_ASSIGN_OR_RETURN(options.as_of, AsOf());
  const std::string range = absl::GetFlag(FLAGS_partitions);
  if (!range.empty()) {
    std::vector<std::string> parts = absl::StrSplit(range, ':');
    uint32_t begin = 0;
    uint32_t end = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &begin) ||
        !absl::SimpleAtoi(parts[1], &end)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--partitions must be B:E (e.g. 0:128), not '", range, "'"));
    }
    options.partitions = {begin, end};
  }
  return RunExport(cluster, options);
}

absl::Status ShardMapCommand() {
  ShardMapOptions options;
  for (const std::string& entry : List(absl::GetFlag(FLAGS_nodes))) {
    std::vector<std::string> kv = absl::StrSplit(entry, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || kv[0].empty() || kv[1].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--nodes entries must be id=host:port, not '", entry, "'"));
    }
    options.nodes.emplace_back(kv[0], kv[1]);
  }
  const std::string partitions = absl::GetFlag(FLAGS_partitions);
  if (!partitions.empty() && !absl::SimpleAtoi(partitions, &options.partitions)) {
    return absl::InvalidArgumentError("--partitions must be a number for shardmap");
  }
  options.epoch = absl::GetFlag(FLAGS_epoch);
  return RunShardMap(options);
}

absl::Status Score() {
  ScoreOptions options;
  options.scorer = absl::GetFlag(FLAGS_scorer);
  options.ids = List(absl::GetFlag(FLAGS_ids));
  options.k = absl::GetFlag(FLAGS_k);
  options.models = List(absl::GetFlag(FLAGS_models));
  options.deadline = absl::GetFlag(FLAGS_deadline);
  options.wait_for = absl::GetFlag(FLAGS_wait_for);
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format != "table" && format != "json") {
    return absl::InvalidArgumentError("--format must be table or json for score");
  }
  options.json = format == "json";
  return RunScore(options);
}

absl::Status Dispatch(const std::string& command) {
  if (command == "score") return Score();
  if (command == "import") return Import();
  if (command == "features") return Features();
  if (command == "export") return Export();
  if (command == "shardmap") return ShardMapCommand();
  if (command == "compact") {
    COHORT_ASSIGN_OR_RETURN(ClusterOptions cluster, Cluster());
    return RunCompact(cluster, absl::GetFlag(FLAGS_compact_deadline));
  }
  if (command == "profile" || command == "history" || command == "erase" || command == "status") {
    COHORT_ASSIGN_OR_RETURN(ClusterOptions cluster, Cluster());
    const std::string id = absl::GetFlag(FLAGS_id);
    if (command == "profile") return RunProfile(cluster, id);
    if (command == "history") return RunHistory(cluster, id, absl::GetFlag(FLAGS_limit));
    if (command == "erase") return RunErase(cluster, id);
    return RunStatus(cluster);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown command '", command, "'; see cohortctl --help"));
}

}  // namespace
}  // namespace cohort::cohortctl

int main(int argc, char** argv) {
  cohort::DisableMutexDeadlockDetection();
  absl::SetProgramUsageMessage(cohort::cohortctl::kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::fprintf(stderr, "cohortctl: %s\n",
                 args.size() < 2 ? "no command given; see cohortctl --help"
                                 : "exactly one command expected; see cohortctl --help");
    return 2;
  }
  absl::Status status = cohort::cohortctl::Dispatch(args[1]);
  if (!status.ok()) {
    std::string message = absl::StrReplaceAll(status.message(), {{"\n", " "}});
    std::fprintf(stderr, "cohortctl: %s\n", message.c_str());
    return 1;
  }
  return 0;
}
