// Training data of cohort-train: the events (compact, in memory), the evaluation protocol's
// times, and the point-in-time features computed by a real storage::ProfileStore.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/train/trainer.h"

namespace cohort::train {

enum class EventKind : uint8_t { kPurchase, kAddToCart, kView, kOther };

struct EventRow {
  int32_t customer = 0;  // index into Dataset::customers
  int32_t item = -1;     // index into Dataset::items, -1 for none
  absl::Time time;
  EventKind kind = EventKind::kOther;
  std::string type;  // original type (interaction weights key on it)
};

struct Dataset {
  std::vector<std::string> customers;  // first-seen order
  absl::flat_hash_map<std::string, int32_t> customer_index;
  std::vector<std::string> items;  // first-seen order
  absl::flat_hash_map<std::string, int32_t> item_index;
  std::vector<EventRow> events;  // file order
  absl::Time first_event, last_event;
  absl::Time data_end;  // UTC midnight after the last event
  absl::Time cutoff;    // UTC midnight; features as of, label window start
  absl::Time eval_end;  // cutoff + 90 days (<= data_end)
  int64_t rows_read = 0;
  int64_t rows_bad = 0;  // rows the CSV reader refused (skipped)
};

// Point-in-time features of every customer known as of the cutoff.
struct FeatureTable {
  std::vector<std::string> names;         // column order
  std::vector<std::string> customer_ids;  // row order (Export's key order)
  std::vector<std::vector<double>> rows;  // NaN = missing (status NOT_FOUND / DEFAULTED)
  absl::flat_hash_map<std::string, size_t> row_of;
  int64_t events_ingested = 0;
  int64_t events_rejected = 0;
  int64_t events_duplicate = 0;
  int64_t attributes_written = 0;  // offline mode with an attributes CSV
};

inline constexpr int kEvalHorizonDays = 90;

// Reads the events CSV and fixes the protocol's times (docs/training.md).
absl::StatusOr<Dataset> LoadDataset(const TrainOptions& options);

// Ingests the events CSV into a temporary ProfileStore (clock at the data's end) and exports
// `feature_names` as of the dataset's cutoff. The store is deleted afterwards.
absl::StatusOr<FeatureTable> ComputeFeatures(const TrainOptions& options, const Dataset& data,
                                             const std::vector<std::string>& feature_names);

// Cluster mode: exports `feature_names` as of the dataset's cutoff from the store nodes of
// options.shard_map (ShardRouter::Export). Errors: the router's (naming the node);
// FAILED_PRECONDITION if the cluster does not serve a feature.
absl::StatusOr<FeatureTable> ExportClusterFeatures(const TrainOptions& options, const Dataset& data,
                                                   const std::vector<std::string>& feature_names);

// Deterministic value in [0, 1) from the customer id and seed (the split assignment).
double SplitHash(const std::string& customer_id, uint64_t seed);

}  // namespace cohort::train
