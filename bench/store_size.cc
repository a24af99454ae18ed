#include "bench/store_size.h"

#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/report.h"
#include "common/status_macros.h"
#include "services/common/shard_map.h"
#include "storage/feature_registry.h"
#include "storage/profile_store.h"

namespace cohort::bench {

absl::StatusOr<std::pair<uint64_t, uint64_t>> SstAndWalBytes(const std::string& directory) {
  std::error_code error;
  std::filesystem::directory_iterator it(directory, error), end;
  if (error) {
    return absl::NotFoundError(
        absl::StrCat("cannot list store directory ", directory, ": ", error.message()));
  }
  uint64_t sst = 0, wal = 0;
  for (; it != end; it.increment(error)) {
    if (error) break;
    if (!it->is_regular_file(error)) continue;
    const std::string ext = it->path().extension().string();
    const uint64_t bytes = it->file_size(error);
    if (error) continue;  // a file removed while listing
    if (ext == ".sst") sst += bytes;
    if (ext == ".log") wal += bytes;
  }
  return std::make_pair(sst, wal);
}

absl::StatusOr<StoreSize> CompactCheckpoints(const std::string& shard_map_path,
                                             const std::string& checkpoint_root,
                                             const std::string& registry_path) {
  COHORT_ASSIGN_OR_RETURN(ShardMap map, ShardMap::LoadFile(shard_map_path));
  COHORT_ASSIGN_OR_RETURN(std::shared_ptr<const storage::FeatureRegistry> registry,
                          storage::FeatureRegistry::LoadFile(registry_path));
  StoreSize size;
  for (const NodeSpec& node : map.nodes()) {
    const std::string path = absl::StrCat(checkpoint_root, "/", node.id);
    {
      storage::StoreOptions options;
      options.path = path;
      options.partitions = map.partitions();
      COHORT_ASSIGN_OR_RETURN(std::unique_ptr<storage::ProfileStore> store,
                              storage::ProfileStore::Open(options, registry));
      COHORT_RETURN_IF_ERROR(store->CompactAll());
      size.customers += store->Stats().estimated_customers;
      const storage::RocksHealth health = store->Health();
      for (size_t i = 0; i < health.column_families.size(); ++i) {
        const storage::ColumnFamilyHealth& cf = health.column_families[i];
        if (size.families.size() <= i) size.families.push_back({cf.name, 0, 0});
        size.families[i].bytes += cf.sst_bytes;
        size.families[i].keys += cf.estimated_keys;
      }
    }  // closed: obsolete files are deleted and the WAL is what reopening would replay
    COHORT_ASSIGN_OR_RETURN(auto bytes, SstAndWalBytes(path));
    size.sst_bytes += bytes.first;
    size.wal_bytes += bytes.second;
  }
  return size;
}

std::string StoreSizeJson(const StoreSize& size) {
  std::string families;
  for (const StoreSize::Family& f : size.families) {
    absl::StrAppend(&families, families.empty() ? "" : ",", JsonString(f.name),
                    absl::StrFormat(":{\"bytes\":%d,\"keys\":%d}", f.bytes, f.keys));
  }
  return absl::StrFormat(
      "{\"kind\":\"store_size\",\"sst_bytes\":%d,\"wal_bytes\":%d,\"customers\":%d,"
      "\"families\":{%s}}",
      size.sst_bytes, size.wal_bytes, size.customers, families);
}

}  // namespace cohort::bench
