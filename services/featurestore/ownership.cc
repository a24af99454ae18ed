#include "services/featurestore/ownership.h"

#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/hash.h"
#include "services/featurestore/log.h"

namespace cohort::featurestore {

namespace {

std::vector<PartitionRangeSpec> Merge(std::vector<PartitionRangeSpec> ranges) {
  std::sort(
      ranges.begin(), ranges.end(),
      [](const PartitionRangeSpec& a, const PartitionRangeSpec& b) { return a.begin < b.begin; });
  std::vector<PartitionRangeSpec> merged;
  for (const PartitionRangeSpec& r : ranges) {
    if (!merged.empty() && merged.back().end >= r.begin) {
      merged.back().end = std::max(merged.back().end, r.end);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

std::string NodeIds(const ShardMap& map) {
  return absl::StrJoin(map.nodes(), ", ",
                       [](std::string* out, const NodeSpec& n) { absl::StrAppend(out, n.id); });
}

}  // namespace

OwnershipView::OwnershipView(ShardMap map, std::string node_id)
    : map_(std::move(map)), node_id_(std::move(node_id)) {
  for (size_t i = 0; i < map_.nodes().size(); ++i) {
    if (map_.nodes()[i].id == node_id_) {
      self_ = i;
      owned_ = Merge(map_.nodes()[i].ranges);
      break;
    }
  }
}

bool OwnershipView::Owns(uint32_t partition) const {
  return self_.has_value() && partition < map_.partitions() && map_.OwnerOf(partition) == *self_;
}

std::string OwnershipView::OwnedText() const {
  if (owned_.empty()) return "no partitions";
  return absl::StrJoin(owned_, ", ", [](std::string* out, const PartitionRangeSpec& r) {
    absl::StrAppend(out, "[", r.begin, ", ", r.end, ")");
  });
}

absl::Status OwnershipView::CheckCustomer(absl::string_view customer_id) const {
  const uint32_t partition = PartitionOf(customer_id, map_.partitions());
  if (Owns(partition)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("partition ", partition, " of customer '", customer_id, "' is owned by node ",
                   map_.nodes()[map_.OwnerOf(partition)].id, ", not ", node_id_,
                   ", at shard-map epoch ", epoch(), "; reload the shard map and retry"));
}

absl::Status OwnershipView::CheckRange(uint32_t begin, uint32_t end) const {
  if (begin >= end || end > map_.partitions()) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition range [", begin, ", ", end, ") is invalid: need partition_begin < ",
                     "partition_end <= ", map_.partitions(), " (the cluster's partition count)"));
  }
  for (uint32_t p = begin; p < end; ++p) {
    if (Owns(p)) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        "partition range [", begin, ", ", end, ") is not owned by node ", node_id_, ": partition ",
        p, " is owned by node ", map_.nodes()[map_.OwnerOf(p)].id, " at shard-map epoch ", epoch(),
        " (", node_id_, " owns ", OwnedText(), "); reload the shard map and retry"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Ownership>> Ownership::Load(std::string path, std::string node_id) {
  std::optional<FileStamp> stamp = Stat(path);  // before reading: a later change is seen
  absl::StatusOr<ShardMap> map = ShardMap::LoadFile(path);
  if (!map.ok()) return map.status();
  if (map->FindNode(node_id) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "node '", node_id, "' is not in the shard map ", path, " (epoch ", map->epoch(),
        " lists nodes: ", NodeIds(*map), "); use one of those node ids or add the node"));
  }
  return std::unique_ptr<Ownership>(
      new Ownership(std::move(path), std::move(node_id), *std::move(map), stamp));
}

Ownership::Ownership(std::string path, std::string node_id, ShardMap map,
                     std::optional<FileStamp> stamp)
    : path_(std::move(path)),
      node_id_(std::move(node_id)),
      current_(std::make_shared<const OwnershipView>(std::move(map), node_id_)),
      stamp_(stamp) {}

Ownership::~Ownership() { StopWatching(); }

std::shared_ptr<const OwnershipView> Ownership::Current() const {
  absl::ReaderMutexLock lock(&mu_);
  return current_;
}

Ownership::WriteScope::WriteScope(const Ownership& ownership) : ownership_(ownership) {
  ownership_.fence_.ReaderLock();
  view_ = ownership_.Current();
}

Ownership::WriteScope::~WriteScope() { ownership_.fence_.ReaderUnlock(); }

void Ownership::Install(std::shared_ptr<const OwnershipView> view) {
  absl::WriterMutexLock fence(&fence_);  // waits for writes admitted under the old map
  absl::MutexLock lock(&mu_);
  current_ = std::move(view);
}

std::optional<Ownership::FileStamp> Ownership::Stat(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  FileStamp stamp;
  stamp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  stamp.size = static_cast<int64_t>(st.st_size);
  stamp.inode = st.st_ino;
  return stamp;
}

absl::StatusOr<bool> Ownership::ReloadIfChanged() {
  absl::MutexLock reload(&reload_mu_);
  std::optional<FileStamp> stamp = Stat(path_);
  if (stamp == stamp_) return false;
  stamp_ = stamp;
  absl::StatusOr<ShardMap> map = ShardMap::LoadFile(path_);
  if (!map.ok()) return map.status();
  std::shared_ptr<const OwnershipView> current = Current();
  if (map->partitions() != current->map().partitions()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path_, ": partition count changed from ", current->map().partitions(), " to ",
                     map->partitions(), "; the partition count is fixed at cluster creation"));
  }
  if (map->epoch() <= current->epoch()) {
    if (map->ToJson() == current->map().ToJson()) return false;  // touched, not changed
    return absl::FailedPreconditionError(
        absl::StrCat(path_, ": the map changed but its epoch ", map->epoch(),
                     " is not newer than the current epoch ", current->epoch(),
                     "; every change must increase the epoch"));
  }
  Install(std::make_shared<const OwnershipView>(*std::move(map), node_id_));
  return true;
}

void Ownership::StartWatching(absl::Duration interval) {
  watcher_ = std::thread([this, interval] { WatchLoop(interval); });
}

void Ownership::StopWatching() {
  {
    absl::MutexLock lock(&watch_mu_);
    stop_ = true;
  }
  if (watcher_.joinable()) watcher_.join();
}

void Ownership::WatchLoop(absl::Duration interval) {
  while (true) {
    {
      absl::MutexLock lock(&watch_mu_);
      watch_mu_.AwaitWithTimeout(absl::Condition(this, &Ownership::StopRequested), interval);
      if (stop_) return;
    }
    absl::StatusOr<bool> reloaded = ReloadIfChanged();
    if (!reloaded.ok()) {
      LogLine(absl::StrCat("shard map change ignored, keeping epoch ", Current()->epoch(), ": ",
                           reloaded.status().message()));
    } else if (*reloaded) {
      std::shared_ptr<const OwnershipView> view = Current();
      std::string owned;
      for (const PartitionRangeSpec& r : view->owned()) {
        absl::StrAppend(&owned, owned.empty() ? "" : ", ", "[", r.begin, ", ", r.end, ")");
      }
      LogLine(absl::StrCat("shard map reloaded: epoch ", view->epoch(), ", node ", node_id_,
                           view->listed() ? " owns " : " is not listed and owns ",
                           owned.empty() ? "no partitions" : owned));
    }
  }
}

}  // namespace cohort::featurestore
