// cohortctl import: streams an events CSV to the store nodes, one IngestStream per node
// with up to --inflight unacknowledged batches each (tools/cohortctl/ingest_streamer.h),
// then upserts an attributes CSV through the router.
//
// Every event read ends as applied, duplicate or rejected (by the node, or here for a
// malformed CSV row), or, if its node stayed unreachable beyond --retry_for, as undelivered,
// which makes the command fail. A batch a node refuses because the shard map changed is
// re-split by the reloaded map and re-sent; while the map file still routes it wrongly
// (it may be updated after the nodes' copies), it is retried with backoff for --retry_for.
// Re-running an import changes nothing (event ids dedupe, attributes are last-writer-wins by event
// time).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/hash.h"
#include "common/status_macros.h"
#include "services/common/shard_router.h"
#include "tools/cohortctl/attributes_import.h"
#include "tools/cohortctl/commands.h"
#include "tools/cohortctl/ingest_streamer.h"
#include "tools/common/events_csv.h"

namespace cohort::cohortctl {
namespace {

constexpr size_t kReasonsShown = 5;

class EventImporter {
 public:
  EventImporter(ShardRouter& router, const ImportOptions& options)
      : router_(router), options_(options) {
    rerouter_ = std::thread([this] { RerouteLoop(); });
  }
  ~EventImporter() {
    {
      absl::MutexLock lock(&mu_);
      stop_rerouter_ = true;
    }
    rerouter_.join();
  }

  // Reads and sends every event; returns once each is settled. Errors: the file cannot be
  // read (events sent until then are still settled first).
  absl::Status Run(tools::EventsCsvReader& reader);

  // For the progress line (any thread).
  uint64_t settled() const { return settled_.load(); }
  uint64_t bytes_read() const { return bytes_read_.load(); }
  uint64_t file_size() const { return file_size_.load(); }

  struct Totals {
    uint64_t read = 0, applied = 0, duplicates = 0, rejected = 0, undelivered = 0;
    uint64_t undelivered_batches = 0;
    std::vector<std::string> reasons;  // the first few rejection reasons
    absl::Status first_failure;
  };
  Totals totals() {
    absl::MutexLock lock(&mu_);
    return totals_;
  }

 private:
  NodeStreamer& StreamerFor(const NodeSpec& node);
  void Send(const NodeSpec& node, Batch batch, bool force);
  void Acked(const Batch& batch, const v1::IngestResponse& ack);
  void Misrouted(Batch batch, const absl::Status& why);
  // Re-splits misrouted batches by the reloaded map, each after its backoff.
  void RerouteLoop();
  void Reroute(Batch batch, const absl::Status& why);
  void Failed(const Batch& batch, const absl::Status& why);
  void Settle(uint64_t events) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddReason(std::string reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ShardRouter& router_;
  const ImportOptions& options_;
  std::atomic<uint64_t> settled_{0};
  std::atomic<uint64_t> bytes_read_{0};
  std::atomic<uint64_t> file_size_{0};

  absl::Mutex mu_;
  // Keyed by "id@address", so an address change gets a fresh stream. Never erased while
  // running, so references stay valid.
  absl::flat_hash_map<std::string, std::unique_ptr<NodeStreamer>> streamers_ ABSL_GUARDED_BY(mu_);
  uint64_t outstanding_ ABSL_GUARDED_BY(mu_) = 0;  // batches not yet settled
  Totals totals_ ABSL_GUARDED_BY(mu_);
  struct Misroute {
    Batch batch;
    absl::Status why;
    absl::Time not_before;
  };
  std::vector<Misroute> misrouted_ ABSL_GUARDED_BY(mu_);
  bool stop_rerouter_ ABSL_GUARDED_BY(mu_) = false;
  std::thread rerouter_;
};

NodeStreamer& EventImporter::StreamerFor(const NodeSpec& node) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<NodeStreamer>& streamer = streamers_[absl::StrCat(node.id, "@", node.address)];
  if (streamer == nullptr) {
    StreamerOptions options;
    options.inflight = options_.inflight;
    options.max_queued = 2 * options_.inflight;
    options.retry_for = options_.retry_for;
    options.ack_timeout = options_.ack_timeout;
    StreamerCallbacks callbacks;
    callbacks.acked = [this](const Batch& b, const v1::IngestResponse& ack) { Acked(b, ack); };
    callbacks.misrouted = [this](Batch b, const absl::Status& why) {
      Misrouted(std::move(b), why);
    };
    callbacks.failed = [this](const Batch& b, const absl::Status& why) { Failed(b, why); };
    streamer =
        std::make_unique<NodeStreamer>(router_.HandleFor(node), options, std::move(callbacks));
  }
  return *streamer;
}

void EventImporter::Send(const NodeSpec& node, Batch batch, bool force) {
  {
    absl::MutexLock lock(&mu_);
    ++outstanding_;
  }
  StreamerFor(node).Enqueue(std::move(batch), force);
}

void EventImporter::Settle(uint64_t events) {
  settled_ += events;
  --outstanding_;
}

void EventImporter::AddReason(std::string reason) {
  if (totals_.reasons.size() < kReasonsShown) totals_.reasons.push_back(std::move(reason));
}

void EventImporter::Acked(const Batch& batch, const v1::IngestResponse& ack) {
  absl::MutexLock lock(&mu_);
  totals_.applied += ack.applied();
  totals_.duplicates += ack.duplicates();
  totals_.rejected += ack.rejected();
  for (int i = 0; i < ack.results_size() && totals_.reasons.size() < kReasonsShown; ++i) {
    if (ack.results(i).outcome() != v1::EventResult::OUTCOME_REJECTED) continue;
    const v1::Event& event = batch.request.events(i);
    AddReason(absl::StrCat("event ", event.event_id(), " of customer ", event.customer_id(), ": ",
                           ack.results(i).reason()));
  }
  Settle(batch.request.events_size());
}

void EventImporter::Failed(const Batch& batch, const absl::Status& why) {
  absl::MutexLock lock(&mu_);
  totals_.undelivered += batch.request.events_size();
  ++totals_.undelivered_batches;
  if (totals_.first_failure.ok()) totals_.first_failure = why;
  Settle(batch.request.events_size());
}

void EventImporter::Misrouted(Batch batch, const absl::Status& why) {
  const absl::Time now = absl::Now();
  if (batch.first_misrouted == absl::InfiniteFuture()) batch.first_misrouted = now;
  // The first retry goes at once (the map file has usually changed already), then 100 ms
  // doubling to 2 s while the file still routes the batch wrongly.
  absl::Duration backoff = absl::ZeroDuration();
  if (batch.reroutes > 0) {
    backoff = std::min(absl::Seconds(2),
                       absl::Milliseconds(100) * (1 << std::min(batch.reroutes - 1, 5)));
  }
  absl::MutexLock lock(&mu_);
  misrouted_.push_back(Misroute{std::move(batch), why, now + backoff});
}

void EventImporter::RerouteLoop() {
  for (;;) {
    std::vector<Misroute> due;
    {
      absl::MutexLock lock(&mu_);
      auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_rerouter_ || !misrouted_.empty();
      };
      mu_.Await(absl::Condition(&work));
      if (stop_rerouter_) return;
      absl::Time next = absl::InfiniteFuture();
      for (const Misroute& m : misrouted_) next = std::min(next, m.not_before);
      mu_.AwaitWithDeadline(absl::Condition(&stop_rerouter_), next);
      if (stop_rerouter_) return;
      const absl::Time now = absl::Now();
      auto split = std::partition(misrouted_.begin(), misrouted_.end(),
                                  [now](const Misroute& m) { return m.not_before > now; });
      std::move(split, misrouted_.end(), std::back_inserter(due));
      misrouted_.erase(split, misrouted_.end());
    }
    for (Misroute& m : due) Reroute(std::move(m.batch), m.why);
  }
}

void EventImporter::Reroute(Batch batch, const absl::Status& why) {
  const absl::Duration waited = absl::Now() - batch.first_misrouted;
  if (waited > options_.retry_for) {
    Failed(batch, absl::Status(why.code(), absl::StrCat(why.message(), " (still misrouted after ",
                                                        batch.reroutes, " shard-map reloads in ",
                                                        absl::FormatDuration(absl::Trunc(
                                                            waited, absl::Milliseconds(100))),
                                                        ")")));
    return;
  }
  absl::Status reloaded = router_.Reload();
  if (!reloaded.ok()) {  // e.g. the file is being rewritten: try again later
    ++batch.reroutes;
    Misrouted(std::move(batch),
              absl::Status(why.code(),
                           absl::StrCat(why.message(),
                                        "; reloading the shard map failed: ", reloaded.message())));
    return;
  }
  std::shared_ptr<const ShardMap> map = router_.map();
  std::vector<Batch> parts(map->nodes().size());
  for (v1::Event& event : *batch.request.mutable_events()) {
    size_t owner = map->OwnerOf(PartitionOf(event.customer_id(), map->partitions()));
    *parts[owner].request.add_events() = std::move(event);
  }
  for (size_t n = 0; n < parts.size(); ++n) {
    if (parts[n].request.events().empty()) continue;
    parts[n].request.set_durability(batch.request.durability());
    parts[n].reroutes = batch.reroutes + 1;
    parts[n].first_misrouted = batch.first_misrouted;
    Send(map->nodes()[n], std::move(parts[n]), /*force=*/true);
  }
  absl::MutexLock lock(&mu_);
  --outstanding_;  // replaced by the parts, counted before
}

absl::Status EventImporter::Run(tools::EventsCsvReader& reader) {
  file_size_ = reader.csv().file_size();
  struct Pending {
    NodeSpec node;
    Batch batch;
  };
  absl::flat_hash_map<std::string, Pending> pending;
  auto flush = [&](Pending& p) {
    if (p.batch.request.events().empty()) return;
    p.batch.request.set_durability(options_.durability);
    Send(p.node, std::move(p.batch), /*force=*/false);
    p.batch = Batch();
  };
  absl::Status read_error;
  std::shared_ptr<const ShardMap> map = router_.map();
  for (uint64_t n = 0;; ++n) {
    v1::Event event;
    absl::StatusOr<bool> more = reader.Next(&event);
    bytes_read_ = reader.csv().bytes_read();
    if (!more.ok()) {
      if (more.status().code() != absl::StatusCode::kInvalidArgument) {
        read_error = more.status();
        break;
      }
      absl::MutexLock lock(&mu_);  // a malformed row: rejected here, the import goes on
      ++totals_.read;
      ++totals_.rejected;
      ++settled_;
      AddReason(std::string(more.status().message()));
      continue;
    }
    if (!*more) break;
    {
      absl::MutexLock lock(&mu_);
      ++totals_.read;
    }
    if (n % 256 == 0) map = router_.map();  // pick up reloads done by the streams
    const NodeSpec& node =
        map->nodes()[map->OwnerOf(PartitionOf(event.customer_id(), map->partitions()))];
    Pending& p = pending[absl::StrCat(node.id, "@", node.address)];
    if (p.batch.request.events().empty()) p.node = node;
    *p.batch.request.add_events() = std::move(event);
    if (p.batch.request.events_size() >= options_.batch) flush(p);
  }
  for (auto& [key, p] : pending) flush(p);

  absl::flat_hash_map<std::string, std::unique_ptr<NodeStreamer>> streamers;
  {
    absl::MutexLock lock(&mu_);
    auto all_settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return outstanding_ == 0; };
    mu_.Await(absl::Condition(&all_settled));
    streamers = std::move(streamers_);
    streamers_.clear();
  }
  streamers.clear();  // closes every stream and joins its thread
  return read_error;
}

// Prints "events done, bytes read of total, events/s" on stderr until stopped.
class ProgressLine {
 public:
  ProgressLine(const EventImporter& importer, bool enabled) : importer_(importer) {
    if (!enabled) return;
    tty_ = ::isatty(STDERR_FILENO) == 1;
    thread_ = std::thread([this] { Loop(); });
  }
  ~ProgressLine() {
    if (!thread_.joinable()) return;
    stop_.Notify();
    thread_.join();
    if (tty_) std::fputs("\n", stderr);
  }

 private:
  void Loop() {
    const absl::Time start = absl::Now();
    const absl::Duration every = tty_ ? absl::Milliseconds(200) : absl::Seconds(10);
    while (!stop_.WaitForNotificationWithTimeout(every)) {
      const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
      const uint64_t done = importer_.settled();
      const uint64_t read = importer_.bytes_read();
      const uint64_t total = std::max<uint64_t>(importer_.file_size(), 1);
      const int width = 30;
      const int filled = static_cast<int>(width * std::min(1.0, double(read) / double(total)));
      std::string bar = std::string(filled, '#') + std::string(width - filled, '.');
      std::fprintf(stderr, "%s[%s] %llu events, %.1f/%.1f MB read, %.0f events/s%s",
                   tty_ ? "\r" : "", bar.c_str(), static_cast<unsigned long long>(done), read / 1e6,
                   total / 1e6, seconds > 0 ? done / seconds : 0.0, tty_ ? "   " : "\n");
      std::fflush(stderr);
    }
  }

  const EventImporter& importer_;
  bool tty_ = false;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace

absl::Status RunImport(const ClusterOptions& cluster, const ImportOptions& options) {
  if (options.events_path.empty() && options.attributes_path.empty()) {
    return absl::InvalidArgumentError("import needs --events and/or --attributes");
  }
  if (options.batch < 1 || options.batch > 10000) {
    return absl::InvalidArgumentError("--batch must be in 1..10000");
  }
  if (options.inflight < 1) return absl::InvalidArgumentError("--inflight must be >= 1");
  ShardRouterOptions router_options;
  router_options.deadline = cluster.deadline;
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<ShardRouter> router,
                          ShardRouter::Create(cluster.shard_map, router_options));

  // Both files are opened (and their headers checked) before anything is sent.
  std::unique_ptr<tools::EventsCsvReader> events;
  if (!options.events_path.empty()) {
    COHORT_ASSIGN_OR_RETURN(events, tools::EventsCsvReader::Open(options.events_path));
  }
  std::unique_ptr<tools::AttributesCsvReader> attributes;
  if (!options.attributes_path.empty()) {
    COHORT_ASSIGN_OR_RETURN(attributes, tools::AttributesCsvReader::Open(options.attributes_path));
  }

  absl::Status failure;
  if (events != nullptr) {
    EventImporter importer(*router, options);
    const absl::Time start = absl::Now();
    absl::Status read;
    {
      ProgressLine progress(importer, options.progress);
      read = importer.Run(*events);
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    EventImporter::Totals t = importer.totals();
    const uint64_t imported = t.applied + t.duplicates + t.rejected;
    std::printf(
        "imported %llu events: %llu applied, %llu duplicate, %llu rejected in %.1f s "
        "(%.0f events/s)\n",
        static_cast<unsigned long long>(imported), static_cast<unsigned long long>(t.applied),
        static_cast<unsigned long long>(t.duplicates), static_cast<unsigned long long>(t.rejected),
        seconds, seconds > 0 ? imported / seconds : 0.0);
    for (const std::string& reason : t.reasons) std::printf("  rejected: %s\n", reason.c_str());
    if (t.rejected > t.reasons.size()) {
      std::printf("  ... and %llu more rejections\n",
                  static_cast<unsigned long long>(t.rejected - t.reasons.size()));
    }
    std::fflush(stdout);
    if (!read.ok()) return read;
    if (t.undelivered > 0) {
      failure = absl::Status(
          t.first_failure.code(),
          absl::StrCat(t.undelivered, " events in ", t.undelivered_batches,
                       " batches could not be delivered; re-run the import once the nodes are "
                       "up (it is idempotent). First error: ",
                       t.first_failure.message()));
    }
  }
  if (attributes != nullptr) {
    absl::Status status = ImportAttributes(*router, *attributes, options);
    if (failure.ok()) failure = status;
  }
  if (!failure.ok()) return failure;
  if (!options.compact) {
    std::printf(
        "hint: reads merge the imported writes until a compaction. The nodes run one by "
        "themselves once writes stop after a large load (cohort-store --auto_compact_*); "
        "`cohortctl compact` (or import --compact) runs one now\n");
    return absl::OkStatus();
  }
  std::printf("compacting every node\n");
  std::fflush(stdout);
  return RunCompact(cluster, options.compact_deadline);
}

}  // namespace cohort::cohortctl
