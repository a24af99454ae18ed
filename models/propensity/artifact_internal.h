// Internal to models/propensity: the byte envelope around every serialized propensity
// model (the same layout as models/segmentation/artifact_internal.h; docs/models.md
// "Model bytes"):
//
//   offset  size  field
//   0       4     magic "CHMA" (Cohort model artifact)
//   4       4     kind, 4 ASCII characters (e.g. "LOGR", "XGBT", "CALB")
//   8       4     format version, uint32 little-endian
//   12      8     payload length, uint64 little-endian
//   20      8     XXH64 (seed 0) of the payload, uint64 little-endian
//   28      n     payload: a protobuf message (models/propensity/propensity_model.proto)
//
// The checksum catches truncation and bit flips that protobuf parsing alone would accept.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cohort::models::propensity::internal {

// Returns the envelope holding `payload`. `kind` must be exactly 4 characters.
std::string WrapArtifact(absl::string_view kind, uint32_t version, absl::string_view payload);

// Checks the envelope and returns a view of the payload inside `bytes` (valid while `bytes`
// is). Errors: InvalidArgument when the bytes are not a Cohort model artifact or hold
// another kind of model; FailedPrecondition when the version is newer than `max_version`;
// DataLoss on truncation or checksum mismatch. `what` names the model in messages.
absl::StatusOr<absl::string_view> UnwrapArtifact(absl::string_view bytes, absl::string_view kind,
                                                 uint32_t max_version, absl::string_view what);

// The 4-character kind of the artifact in `bytes` (a view into it). Errors: InvalidArgument
// when the bytes do not start with the magic; DataLoss when shorter than the header.
absl::StatusOr<absl::string_view> ArtifactKind(absl::string_view bytes);

}  // namespace cohort::models::propensity::internal
