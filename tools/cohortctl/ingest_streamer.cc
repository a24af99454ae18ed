#include "tools/cohortctl/ingest_streamer.h"

#include <grpcpp/client_context.h>

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/grpc_status.h"

namespace cohort::cohortctl {
namespace {

constexpr absl::Duration kFirstBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(2);
// How often a waiting writer checks the ack timeout.
constexpr absl::Duration kAckCheckInterval = absl::Milliseconds(500);

bool Retryable(int code) {
  switch (static_cast<absl::StatusCode>(code)) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDeadlineExceeded:
      return true;
    default:
      return false;
  }
}

}  // namespace

NodeStreamer::NodeStreamer(ShardRouter::NodeHandle node, StreamerOptions options,
                           StreamerCallbacks callbacks)
    : node_(std::move(node)), options_(options), callbacks_(std::move(callbacks)) {
  thread_ = std::thread([this] { Run(); });
}

NodeStreamer::~NodeStreamer() {
  Close();
  thread_.join();
}

void NodeStreamer::Enqueue(Batch batch, bool force) {
  absl::Status death;
  {
    absl::MutexLock lock(&mu_);
    if (!force) {
      auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return dead_ || unsent_.size() < static_cast<size_t>(options_.max_queued);
      };
      mu_.Await(absl::Condition(&room));
    }
    if (!dead_) {
      unsent_.push_back(std::move(batch));
      return;
    }
    death = death_;
  }
  callbacks_.failed(batch, death);
}

void NodeStreamer::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

void NodeStreamer::Run() {
  bool in_outage = false;
  absl::Time outage_start;
  absl::Duration backoff = kFirstBackoff;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto work = [this]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_ || !unsent_.empty(); };
      mu_.Await(absl::Condition(&work));
      if (closed_ && unsent_.empty()) return;
    }
    uint64_t acks_before;
    {
      absl::MutexLock lock(&mu_);
      acks_before = acks_;
    }
    absl::Status why;
    if (Stream(&why) == StreamEnd::kDone) return;

    size_t pending;
    {
      absl::MutexLock lock(&mu_);
      if (acks_ != acks_before) in_outage = false;  // the stream made progress
      pending = unsent_.size();
    }
    if (!in_outage) {
      in_outage = true;
      outage_start = absl::Now();
      backoff = kFirstBackoff;
    }
    const absl::Duration down = absl::Now() - outage_start;
    if (down > options_.retry_for) {
      FailEverything(NodeError(
          node_.node, absl::Status(why.code(), absl::StrCat(why.message(), " (gave up after ",
                                                            absl::FormatDuration(absl::Trunc(
                                                                down, absl::Milliseconds(100))),
                                                            " without an acknowledgement)"))));
      return;
    }
    std::fprintf(stderr,
                 "cohortctl: node %s (%s): %s; retrying in %s (%zu batches waiting, "
                 "unacknowledged ones are re-sent)\n",
                 node_.node.id.c_str(), node_.node.address.c_str(), why.ToString().c_str(),
                 absl::FormatDuration(backoff).c_str(), pending);
    absl::SleepFor(backoff);
    backoff = std::min(kMaxBackoff, backoff * 2);
  }
}

NodeStreamer::StreamEnd NodeStreamer::Stream(absl::Status* why) {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<v1::IngestRequest, v1::IngestResponse>> stream =
      node_.stub->IngestStream(&context);
  {
    absl::MutexLock lock(&mu_);
    reader_done_ = false;
    retry_batch_ = false;
  }

  std::thread reader([this, &stream] {
    v1::IngestResponse ack;
    while (stream->Read(&ack)) {
      Sent sent;
      {
        absl::MutexLock lock(&mu_);
        if (inflight_.empty() || inflight_.front().sequence != ack.sequence()) {
          retry_batch_ = true;
          retry_reason_ = absl::InternalError(
              absl::StrCat("acknowledgement for unknown batch ", ack.sequence()));
          continue;  // the writer cancels the stream
        }
        sent = std::move(inflight_.front());
        inflight_.pop_front();
        ++acks_;
      }
      const int code = ack.error_code();
      absl::Status status(static_cast<absl::StatusCode>(code), ack.error_message());
      if (code == 0) {
        callbacks_.acked(sent.batch, ack);
      } else if (code == static_cast<int>(absl::StatusCode::kFailedPrecondition)) {
        callbacks_.misrouted(std::move(sent.batch), NodeError(node_.node, status));
      } else if (Retryable(code)) {
        absl::MutexLock lock(&mu_);
        --acks_;  // not progress
        unsent_.push_front(std::move(sent.batch));
        retry_batch_ = true;
        retry_reason_ = status;
      } else {
        callbacks_.failed(sent.batch, NodeError(node_.node, status));
      }
    }
    absl::MutexLock lock(&mu_);
    reader_done_ = true;
  });

  bool writes_done = false;
  bool done = false;
  bool reader_ended = false;  // the server ended the stream: Finish() tells why
  for (;;) {
    v1::IngestRequest request;
    bool finish_writes = false;
    {
      absl::MutexLock lock(&mu_);
      auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return closed_ && unsent_.empty() && inflight_.empty();
      };
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return reader_done_ || retry_batch_ || (!writes_done && settled()) ||
               (!writes_done && !unsent_.empty() &&
                inflight_.size() < static_cast<size_t>(options_.inflight));
      };
      bool timed_out = false;
      while (!mu_.AwaitWithTimeout(absl::Condition(&ready), kAckCheckInterval)) {
        if (!inflight_.empty() && absl::Now() - inflight_.front().sent_at > options_.ack_timeout) {
          timed_out = true;
          break;
        }
      }
      if (timed_out) {
        *why = absl::DeadlineExceededError(
            absl::StrCat("no acknowledgement within ", absl::FormatDuration(options_.ack_timeout)));
        break;
      }
      if (retry_batch_) {
        *why = retry_reason_;
        break;
      }
      if (reader_done_) {
        reader_ended = true;
        done = writes_done && settled();
        *why = absl::UnavailableError("the stream ended");
        break;
      }
      if (settled()) {
        writes_done = finish_writes = true;
      } else {
        Batch batch = std::move(unsent_.front());
        unsent_.pop_front();
        const uint64_t sequence = next_sequence_++;
        batch.request.set_sequence(sequence);
        request = batch.request;
        inflight_.push_back(Sent{sequence, std::move(batch), absl::Now()});
      }
    }
    if (finish_writes) {
      stream->WritesDone();  // the reader then sees the end of the stream
      continue;
    }
    if (!stream->Write(request)) {
      *why = absl::UnavailableError("the stream broke");
      break;
    }
  }
  if (!done && !reader_ended) context.TryCancel();
  reader.join();
  grpc::Status status = stream->Finish();
  if (done) return StreamEnd::kDone;
  if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
    *why = FromGrpcStatus(status);
  }
  // Everything not acknowledged goes back to the front of the queue, in order.
  absl::MutexLock lock(&mu_);
  while (!inflight_.empty()) {
    unsent_.push_front(std::move(inflight_.back().batch));
    inflight_.pop_back();
  }
  return StreamEnd::kBroken;
}

void NodeStreamer::FailEverything(const absl::Status& status) {
  std::vector<Batch> failed;
  {
    absl::MutexLock lock(&mu_);
    dead_ = true;
    death_ = status;
    for (Sent& sent : inflight_) failed.push_back(std::move(sent.batch));
    for (Batch& batch : unsent_) failed.push_back(std::move(batch));
    inflight_.clear();
    unsent_.clear();
  }
  for (const Batch& batch : failed) callbacks_.failed(batch, status);
}

}  // namespace cohort::cohortctl
