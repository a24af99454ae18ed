// Byte sinks the generator writes its CSV outputs to.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cohort::datagen {

// A destination for bytes. Implementations are not thread-safe.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Appends `data`. Errors: whatever the destination reports (e.g. INTERNAL on a full disk),
  // with a message naming the destination.
  virtual absl::Status Write(absl::string_view data) = 0;
  // Flushes and releases the destination; no Write may follow. Errors as for Write.
  virtual absl::Status Close() = 0;
};

// Appends to a caller-owned string (which must outlive the sink). Never fails.
class StringSink final : public ByteSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  absl::Status Write(absl::string_view data) override;
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  std::string* out_;
};

// Opens `path` for writing (created or truncated); "-" is standard output (flushed, not
// closed, by Close). Errors: INVALID_ARGUMENT for an empty path; the errno-derived code
// (e.g. NOT_FOUND, PERMISSION_DENIED) naming the path if it cannot be opened.
absl::StatusOr<std::unique_ptr<ByteSink>> OpenFileSink(const std::string& path);

}  // namespace cohort::datagen
