#include "tools/cohortctl/attributes_import.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tools/common/events_csv.h"

namespace cohort::cohortctl {
namespace {

constexpr size_t kReasonsShown = 5;

bool Retryable(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded ||
         code == absl::StatusCode::kResourceExhausted || code == absl::StatusCode::kAborted;
}

int Rows(const std::vector<v1::CustomerAttributes>& customers) {
  int rows = 0;
  for (const v1::CustomerAttributes& c : customers) rows += c.attributes_size();
  return rows;
}

class AttributeUploader {
 public:
  AttributeUploader(ShardRouter& router, const ImportOptions& options)
      : router_(router), options_(options) {}

  // Sends one batch; counts what was written, rejected or undeliverable.
  void Send(const std::vector<v1::CustomerAttributes>& customers) {
    absl::Status status = SendWithRetry(customers);
    if (status.ok()) return;
    if (status.code() == absl::StatusCode::kInvalidArgument && customers.size() > 1) {
      for (const v1::CustomerAttributes& one : customers) Send({one});  // isolate the bad ones
      return;
    }
    const int rows = Rows(customers);
    if (status.code() == absl::StatusCode::kInvalidArgument) {
      rejected_ += rows;
      AddReason(absl::StrCat("customer ", customers[0].customer_id(), ": ", status.message()));
    } else {
      undelivered_ += rows;
      if (first_failure_.ok()) first_failure_ = status;
    }
  }

  void AddReason(std::string reason) {
    if (reasons_.size() < kReasonsShown) reasons_.push_back(std::move(reason));
  }
  void CountBadRow(const absl::Status& status) {
    ++rejected_;
    AddReason(std::string(status.message()));
  }

  uint64_t written_ = 0, rejected_ = 0, undelivered_ = 0;
  std::vector<std::string> reasons_;
  absl::Status first_failure_;

 private:
  absl::Status SendWithRetry(const std::vector<v1::CustomerAttributes>& customers) {
    const absl::Time give_up = absl::Now() + options_.retry_for;
    absl::Duration backoff = absl::Milliseconds(100);
    for (;;) {
      absl::StatusOr<v1::UpsertAttributesResponse> response =
          router_.UpsertAttributes(customers, options_.durability);
      if (response.ok()) {
        written_ += response->attributes_written();
        return absl::OkStatus();
      }
      if (!Retryable(response.status().code()) || absl::Now() + backoff > give_up) {
        return response.status();
      }
      std::fprintf(stderr, "cohortctl: %s; retrying\n", response.status().ToString().c_str());
      absl::SleepFor(backoff);
      backoff = std::min(absl::Seconds(2), backoff * 2);
    }
  }

  ShardRouter& router_;
  const ImportOptions& options_;
};

}  // namespace

absl::Status ImportAttributes(ShardRouter& router, tools::AttributesCsvReader& reader,
                              const ImportOptions& options) {
  const absl::Time start = absl::Now();
  AttributeUploader uploader(router, options);
  std::vector<v1::CustomerAttributes> batch;
  int rows_in_batch = 0;
  uint64_t rows = 0;
  absl::Status read_error;
  for (;;) {
    v1::CustomerAttributes row;
    absl::StatusOr<bool> more = reader.Next(&row);
    if (!more.ok()) {
      if (more.status().code() != absl::StatusCode::kInvalidArgument) {
        read_error = more.status();
        break;
      }
      ++rows;
      uploader.CountBadRow(more.status());
      continue;
    }
    if (!*more) break;
    ++rows;
    // Consecutive rows of one customer travel together.
    if (!batch.empty() && batch.back().customer_id() == row.customer_id()) {
      *batch.back().add_attributes() = std::move(*row.mutable_attributes(0));
    } else {
      if (rows_in_batch >= options.batch) {
        uploader.Send(batch);
        batch.clear();
        rows_in_batch = 0;
      }
      batch.push_back(std::move(row));
    }
    ++rows_in_batch;
  }
  if (!batch.empty()) uploader.Send(batch);

  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf("imported %llu attribute rows: %llu written, %llu rejected in %.1f s\n",
              static_cast<unsigned long long>(rows),
              static_cast<unsigned long long>(uploader.written_),
              static_cast<unsigned long long>(uploader.rejected_), seconds);
  for (const std::string& reason : uploader.reasons_) {
    std::printf("  rejected: %s\n", reason.c_str());
  }
  std::fflush(stdout);
  if (!read_error.ok()) return read_error;
  if (uploader.undelivered_ > 0) {
    return absl::Status(uploader.first_failure_.code(),
                        absl::StrCat(uploader.undelivered_,
                                     " attribute rows could not be delivered; re-run the import "
                                     "once the nodes are up. First error: ",
                                     uploader.first_failure_.message()));
  }
  return absl::OkStatus();
}

}  // namespace cohort::cohortctl
