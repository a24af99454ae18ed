// On-disk size of the store nodes' data after a full compaction, measured on checkpoints
// (cohort-bench --make_checkpoints) opened in-process: the cluster's API can flush (the
// Checkpoint RPC) but not compact, so the copies are compacted here instead. A checkpoint
// holds the same data as its node, so the compacted size is what the node would occupy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cohort::bench {

struct StoreSize {
  struct Family {
    std::string name;    // column family, e.g. "aggregates"
    uint64_t bytes = 0;  // SST bytes over every node
    uint64_t keys = 0;   // estimated keys over every node
  };
  std::vector<Family> families;  // in the store's fixed order
  uint64_t sst_bytes = 0;        // *.sst files of every checkpoint directory
  uint64_t wal_bytes = 0;        // *.log files of every checkpoint directory
  uint64_t customers = 0;        // estimated customers (aggregates keys) over every node
};

// Opens <checkpoint_root>/<node id> for every node of the shard map at `shard_map_path`
// (with the registry at `registry_path`), compacts each fully (ProfileStore::CompactAll),
// closes it and measures it. Errors: the map's, the registry's, the stores', a directory
// that cannot be listed. Modifies the checkpoints (not the nodes' data).
absl::StatusOr<StoreSize> CompactCheckpoints(const std::string& shard_map_path,
                                             const std::string& checkpoint_root,
                                             const std::string& registry_path);

// Bytes of the *.sst and *.log files directly in `directory`.
absl::StatusOr<std::pair<uint64_t, uint64_t>> SstAndWalBytes(const std::string& directory);

// {"kind":"store_size","sst_bytes":...,"wal_bytes":...,"customers":...,
//  "families":{"aggregates":{"bytes":...,"keys":...},...}} on one line.
std::string StoreSizeJson(const StoreSize& size);

}  // namespace cohort::bench
