// Internal to cohortctl: sends batches of events to one store node over one IngestStream,
// keeping up to `inflight` batches unacknowledged, and survives the node going away.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cohort/v1/feature_store.pb.h"
#include "services/common/shard_router.h"

namespace cohort::cohortctl {

// One batch of events for one node.
struct Batch {
  v1::IngestRequest request;  // events and durability; `sequence` is set by the streamer
  int reroutes = 0;           // times the batch was re-split after a shard-map change
  absl::Time first_misrouted = absl::InfiniteFuture();  // when a node first refused it
};

struct StreamerOptions {
  // Most batches sent and not yet acknowledged. Default 8.
  int inflight = 8;
  // Most batches waiting to be sent before Enqueue blocks. Default 16.
  int max_queued = 16;
  // How long the node may stay unreachable (no ack at all) before the streamer gives up and
  // fails every batch it holds. Default 120 s.
  absl::Duration retry_for = absl::Seconds(120);
  // A stream whose oldest unacknowledged batch waits longer than this is considered broken
  // and re-opened. Default 60 s.
  absl::Duration ack_timeout = absl::Seconds(60);
};

// Every batch handed to Enqueue ends in exactly one of these callbacks, called from the
// streamer's threads without its lock held.
struct StreamerCallbacks {
  // The node acknowledged the batch (error_code 0).
  std::function<void(const Batch&, const v1::IngestResponse&)> acked;
  // The node does not own some partition of the batch (stale shard map): re-route it.
  std::function<void(Batch, const absl::Status&)> misrouted;
  // The batch cannot be delivered (permanent batch error, or the node stayed unreachable
  // for retry_for). The status names the node.
  std::function<void(const Batch&, const absl::Status&)> failed;
};

// Owns one thread per open stream (a writer and a reader). Thread-safe.
//
// Delivery: batches are written in order; when the stream breaks (node killed, restarted,
// unreachable), every batch not yet acknowledged is re-sent on a new stream after a backoff
// (100 ms doubling to 2 s). Re-sending is safe because the node de-duplicates by event_id.
// A batch-level error that may pass (UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED,
// DEADLINE_EXCEEDED) is retried the same way.
class NodeStreamer {
 public:
  NodeStreamer(ShardRouter::NodeHandle node, StreamerOptions options, StreamerCallbacks callbacks);
  // Close() and wait for the thread.
  ~NodeStreamer();

  NodeStreamer(const NodeStreamer&) = delete;
  NodeStreamer& operator=(const NodeStreamer&) = delete;

  // Queues a batch. Blocks while max_queued batches wait, unless `force` (used for batches
  // re-routed from a callback, which must not block).
  void Enqueue(Batch batch, bool force = false);
  // No more batches will come: the streamer ends once everything queued is settled.
  void Close();
  const NodeSpec& node() const { return node_.node; }

 private:
  struct Sent {
    uint64_t sequence = 0;
    Batch batch;
    absl::Time sent_at;
  };
  enum class StreamEnd { kDone, kBroken };

  void Run();
  // Sends and acknowledges over one stream until done or broken.
  StreamEnd Stream(absl::Status* why);
  void FailEverything(const absl::Status& status);

  const ShardRouter::NodeHandle node_;
  const StreamerOptions options_;
  const StreamerCallbacks callbacks_;

  absl::Mutex mu_;
  std::deque<Batch> unsent_ ABSL_GUARDED_BY(mu_);
  std::deque<Sent> inflight_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool dead_ ABSL_GUARDED_BY(mu_) = false;  // gave up: new batches fail at once
  absl::Status death_ ABSL_GUARDED_BY(mu_);
  bool reader_done_ ABSL_GUARDED_BY(mu_) = false;
  bool retry_batch_ ABSL_GUARDED_BY(mu_) = false;  // an ack asked for a retry
  absl::Status retry_reason_ ABSL_GUARDED_BY(mu_);
  uint64_t acks_ ABSL_GUARDED_BY(mu_) = 0;  // successful acknowledgements so far

  std::thread thread_;
};

}  // namespace cohort::cohortctl
