// The byte envelope around every serialized Cohort model (segmentation, propensity and
// recommend; docs/models.md "Model bytes"). Layout, integers little-endian:
//
//   offset  size  field
//   0       4     magic "CHMA" (Cohort model artifact)
//   4       4     kind, 4 ASCII characters naming the model type (e.g. "RFMQ", "LOGR", "EASE");
//                 every model type in Cohort has its own distinct code
//   8       4     format version of that kind, uint32 (>= 1)
//   12      8     payload length, uint64
//   20      8     XXH64 (seed 0) of the payload, uint64
//   28      n     payload: the kind's protobuf message
//
// The checksum catches truncation and bit flips that protobuf parsing alone would accept.
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cohort::models::envelope {

// Size of the fixed header in front of the payload.
inline constexpr size_t kHeaderSize = 28;

// A checked envelope. `kind` and `payload` are views into the bytes given to Open.
struct Contents {
  absl::string_view kind;
  uint32_t version = 0;
  absl::string_view payload;
};

// Returns the envelope holding `payload` under `kind` (exactly 4 characters) and `version`.
std::string Wrap(absl::string_view kind, uint32_t version, absl::string_view payload);

// Checks the whole envelope (magic, version in 1..`max_version`, length, checksum) whatever
// its kind, and returns its contents (views valid while `bytes` is). `what` names the
// expected model in messages (e.g. "RFM model"). Errors: InvalidArgument when the bytes are
// not a Cohort model artifact; FailedPrecondition when the version is 0 or newer than
// `max_version`; DataLoss on truncation, a length mismatch or a checksum mismatch.
absl::StatusOr<Contents> Open(absl::string_view bytes, uint32_t max_version,
                              absl::string_view what);

// Checks the envelope and that it holds `kind`, and returns a view of the payload inside
// `bytes` (valid while `bytes` is). Errors: as Open, plus InvalidArgument when the envelope
// holds another kind of model (checked before the version).
absl::StatusOr<absl::string_view> Unwrap(absl::string_view bytes, absl::string_view kind,
                                         uint32_t max_version, absl::string_view what);

// The 4-character kind of the artifact in `bytes` (a view into it), checking only the magic
// and the header length, so that a loader can dispatch to the right reader. Errors:
// InvalidArgument when the bytes do not start with the magic; DataLoss when shorter than
// the header.
absl::StatusOr<absl::string_view> PeekKind(absl::string_view bytes);

}  // namespace cohort::models::envelope
