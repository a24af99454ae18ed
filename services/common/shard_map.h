// The shard map: which store node owns which partitions, versioned by an epoch. Stored as
// JSON in the protobuf JSON mapping of cohort.v1.ShardMap (protos/cohort/v1/shard_map.proto):
//   {"epoch": 1, "partitions": 1024, "nodes": [
//     {"id": "store-0", "address": "127.0.0.1:7100", "ranges": [{"begin": 0, "end": 342}]}, ...]}
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cohort {

struct PartitionRangeSpec {
  uint32_t begin = 0;  // inclusive
  uint32_t end = 0;    // exclusive
};

struct NodeSpec {
  std::string id;
  std::string address;  // host:port
  std::vector<PartitionRangeSpec> ranges;
};

// Immutable once built; copyable; thread-safe for concurrent reads.
class ShardMap {
 public:
  // Parses and validates JSON: epoch >= 1; partitions in 1..65536 (0 or absent = 1024);
  // at least one node; node ids non-empty and unique; addresses "host:port"; ranges with
  // begin < end <= partitions; every partition owned by exactly one node. Errors:
  // INVALID_ARGUMENT "<origin>: <problem>" naming the node/range/partition at fault.
  static absl::StatusOr<ShardMap> Parse(absl::string_view json, absl::string_view origin);
  // Reads and parses a file. NOT_FOUND if it cannot be read.
  static absl::StatusOr<ShardMap> LoadFile(const std::string& path);
  // Splits `partitions` into contiguous, nearly equal ranges over `nodes` (id, address),
  // in order. `nodes` must be non-empty and no longer than `partitions`.
  static ShardMap Uniform(uint64_t epoch, uint32_t partitions,
                          const std::vector<std::pair<std::string, std::string>>& nodes);

  // Pretty-printed JSON that Parse accepts.
  std::string ToJson() const;

  uint64_t epoch() const { return epoch_; }
  uint32_t partitions() const { return partitions_; }
  const std::vector<NodeSpec>& nodes() const { return nodes_; }
  // Index into nodes() of the owner of `partition` (must be < partitions()).
  size_t OwnerOf(uint32_t partition) const { return owner_[partition]; }
  // The node with this id, or nullptr.
  const NodeSpec* FindNode(absl::string_view id) const;

 private:
  uint64_t epoch_ = 0;
  uint32_t partitions_ = 0;
  std::vector<NodeSpec> nodes_;
  std::vector<uint32_t> owner_;  // partition -> index into nodes_
};

}  // namespace cohort
