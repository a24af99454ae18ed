// Which partitions this node owns: the current shard map seen from one node id, reloaded
// when the shard-map file changes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/shard_map.h"

namespace cohort::featurestore {

// One shard map as seen by one node. Immutable; thread-safe.
class OwnershipView {
 public:
  OwnershipView(ShardMap map, std::string node_id);

  const ShardMap& map() const { return map_; }
  const std::string& node_id() const { return node_id_; }
  uint64_t epoch() const { return map_.epoch(); }
  // True if the map lists this node (a node left out of a newer map owns nothing).
  bool listed() const { return self_.has_value(); }
  // The ranges this node owns, sorted and merged; empty if the node is not listed.
  const std::vector<PartitionRangeSpec>& owned() const { return owned_; }
  // True if this node owns `partition` (which must be < map().partitions()).
  bool Owns(uint32_t partition) const;

  // OK if this node owns the partition of `customer_id`. Else FAILED_PRECONDITION, e.g.
  // "partition 17 of customer 'c42' is owned by node store-1, not store-0, at shard-map
  // epoch 3; reload the shard map and retry".
  absl::Status CheckCustomer(absl::string_view customer_id) const;
  // OK if this node owns every partition of [begin, end). INVALID_ARGUMENT unless
  // begin < end <= partitions; FAILED_PRECONDITION naming the first foreign partition,
  // its owner and the epoch otherwise.
  absl::Status CheckRange(uint32_t begin, uint32_t end) const;

 private:
  std::string OwnedText() const;

  ShardMap map_;
  std::string node_id_;
  std::optional<size_t> self_;  // index into map_.nodes()
  std::vector<PartitionRangeSpec> owned_;
};

// The node's current OwnershipView, swapped atomically when the shard-map file changes.
// Thread-safe.
class Ownership {
 public:
  // Reads the shard map at `path` for node `node_id`. Errors: those of ShardMap::LoadFile
  // (NOT_FOUND, INVALID_ARGUMENT naming the problem) and INVALID_ARGUMENT if the map does
  // not list `node_id`.
  static absl::StatusOr<std::unique_ptr<Ownership>> Load(std::string path, std::string node_id);

  // Stops the watcher thread, if any.
  ~Ownership();

  Ownership(const Ownership&) = delete;
  Ownership& operator=(const Ownership&) = delete;

  // The current view; stays valid (and unchanged) for as long as the caller holds it.
  std::shared_ptr<const OwnershipView> Current() const;

  // Holds off map swaps for its lifetime, so a write checked against view() is fully
  // applied before a newer map is installed: once ReloadIfChanged() has returned true, no
  // write admitted under the old map is still in flight. Keep it for one request only.
  class WriteScope {
   public:
    explicit WriteScope(const Ownership& ownership);
    ~WriteScope();
    WriteScope(const WriteScope&) = delete;
    WriteScope& operator=(const WriteScope&) = delete;
    const OwnershipView& view() const { return *view_; }

   private:
    const Ownership& ownership_;
    std::shared_ptr<const OwnershipView> view_;
  };

  // Re-reads the file if its modification time, size or inode changed since the last
  // look. Returns true if a newer map was installed, false if nothing changed. Errors
  // (the current map stays in force and the same file content is not reported twice):
  // unreadable or malformed file, a different partition count (fixed at cluster
  // creation), or an epoch not newer than the current one while the content differs.
  // A newer map that no longer lists this node is installed: the node then owns nothing.
  absl::StatusOr<bool> ReloadIfChanged();

  // Starts a thread that calls ReloadIfChanged() every `interval` and logs one line per
  // installed map or rejected file. Call at most once.
  void StartWatching(absl::Duration interval);
  // Stops and joins the watcher thread. Idempotent.
  void StopWatching();

  const std::string& path() const { return path_; }

 private:
  struct FileStamp {
    int64_t mtime_ns = 0;
    int64_t size = -1;
    ino_t inode = 0;
    bool operator==(const FileStamp&) const = default;
  };
  static std::optional<FileStamp> Stat(const std::string& path);

  Ownership(std::string path, std::string node_id, ShardMap map, std::optional<FileStamp> stamp);
  void Install(std::shared_ptr<const OwnershipView> view);
  void WatchLoop(absl::Duration interval);
  bool StopRequested() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(watch_mu_) { return stop_; }

  const std::string path_;
  const std::string node_id_;

  // Writers (WriteScope) hold fence_ shared; Install holds it exclusively.
  mutable absl::Mutex fence_;
  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(fence_);
  std::shared_ptr<const OwnershipView> current_ ABSL_GUARDED_BY(mu_);

  absl::Mutex reload_mu_;  // serializes ReloadIfChanged
  std::optional<FileStamp> stamp_ ABSL_GUARDED_BY(reload_mu_);

  absl::Mutex watch_mu_;
  bool stop_ ABSL_GUARDED_BY(watch_mu_) = false;
  std::thread watcher_;
};

}  // namespace cohort::featurestore
