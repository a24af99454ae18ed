// Internal to cohortctl: the commands. main.cc parses flags into these option structs; each
// Run* prints its result on stdout and returns an error (one clear line) on failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cohort/v1/feature_store.pb.h"
#include "cohort/v1/scoring.pb.h"

namespace cohort::cohortctl {

// What every cluster command needs.
struct ClusterOptions {
  std::string shard_map;                        // path of the shard-map JSON file (required)
  absl::Duration deadline = absl::Seconds(10);  // per RPC
};

struct ImportOptions {
  std::string events_path;                        // events CSV; empty: none
  std::string attributes_path;                    // attributes CSV; empty: none
  int batch = 500;                                // events (or attribute rows) per batch, 1..10000
  int inflight = 8;                               // unacknowledged batches per node, >= 1
  absl::Duration retry_for = absl::Seconds(120);  // how long a node may stay unreachable
  absl::Duration ack_timeout = absl::Seconds(60);
  v1::Durability durability = v1::DURABILITY_UNSPECIFIED;
  bool progress = true;  // a progress line on stderr
  // Once everything is delivered, compact every node (as RunCompact, each call with
  // `compact_deadline`); otherwise a hint says to.
  bool compact = false;
  absl::Duration compact_deadline = absl::Hours(2);
};
// Streams the files through the shard router (see import_command.cc). Prints the summary;
// errors if the input cannot be read or some batch could not be delivered.
absl::Status RunImport(const ClusterOptions& cluster, const ImportOptions& options);

enum class Format { kTable, kCsv, kJson };

struct FeaturesOptions {
  std::vector<std::string> ids;
  std::vector<std::string> features;  // empty: all
  std::optional<absl::Time> as_of;
  Format format = Format::kTable;
};
absl::Status RunFeatures(const ClusterOptions& cluster, const FeaturesOptions& options);
absl::Status RunProfile(const ClusterOptions& cluster, const std::string& id);
absl::Status RunHistory(const ClusterOptions& cluster, const std::string& id, uint32_t limit);
absl::Status RunErase(const ClusterOptions& cluster, const std::string& id);

struct ExportOptions {
  std::string out;                                          // CSV file to write (required)
  std::optional<std::pair<uint32_t, uint32_t>> partitions;  // [begin, end); unset: all
  std::vector<std::string> features;                        // empty: all
  std::optional<absl::Time> as_of;
};
absl::Status RunExport(const ClusterOptions& cluster, const ExportOptions& options);
absl::Status RunStatus(const ClusterOptions& cluster);
// Compacts every node of the map (FeatureStore.Compact), all at once, each call with
// `deadline`; prints how long each took and its live bytes after. Errors: the first node
// that failed (every node is still asked).
absl::Status RunCompact(const ClusterOptions& cluster, absl::Duration deadline);

struct ShardMapOptions {
  std::vector<std::pair<std::string, std::string>> nodes;  // (id, address)
  uint32_t partitions = 1024;
  uint64_t epoch = 1;
};
absl::Status RunShardMap(const ShardMapOptions& options);

struct ScoreOptions {
  std::string scorer;                           // host:port of a cohort-scorer (required)
  std::vector<std::string> ids;                 // customers to score (required)
  uint32_t k = 5;                               // recommendations per customer, 0..100; 0: none
  std::vector<std::string> models;              // loaded model names; empty: every loaded model
  bool json = false;                            // protobuf JSON instead of readable blocks
  absl::Duration deadline = absl::Seconds(10);  // per RPC
  absl::Duration wait_for;  // retry this long while the scorer is unreachable or has no model
};
// One Score call (score_command.cc): lists the loaded models (to classify --models by kind),
// scores and prints. Errors if the scorer cannot be reached, rejects the call, or some
// customer could not be scored (after printing the others).
absl::Status RunScore(const ScoreOptions& options);

}  // namespace cohort::cohortctl
