// The byte envelope of every models/recommend artifact (internal to models/recommend).
//
// Layout, integers little-endian:
//   [0, 4)    magic "CRCM" (Cohort ReCommender Model)
//   [4, 8)    uint32 format version, currently 1
//   [8, 12)   uint32 kind: ArtifactKind
//   [12, 20)  uint64 payload size in bytes
//   [20, 28)  uint64 XXH64 (seed 0) of the payload
//   [28, ...) payload: the kind's message from recommend_artifacts.proto
// A reader refuses anything else: bytes that are not an artifact (INVALID_ARGUMENT), a newer
// format version (FAILED_PRECONDITION), the wrong kind (INVALID_ARGUMENT), a truncated or
// corrupted envelope or payload (DATA_LOSS).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"

namespace cohort::models::recommend::internal {

inline constexpr uint32_t kArtifactFormatVersion = 1;
inline constexpr size_t kArtifactHeaderSize = 28;

// ModelKind values, plus the vocabulary.
enum class ArtifactKind : uint32_t {
  kItemKnn = 1,
  kEase = 2,
  kAls = 3,
  kPopularity = 4,
  kVocabulary = 100,
};

absl::string_view ArtifactKindName(ArtifactKind kind);

// Serializes `payload` and wraps it in the envelope.
std::string WrapArtifact(ArtifactKind kind, const google::protobuf::MessageLite& payload);

// The kind stored in the envelope of `bytes`, after checking magic, version, size and
// checksum. Errors: as described above.
absl::StatusOr<ArtifactKind> ReadArtifactKind(absl::string_view bytes);

// Checks the envelope, that it holds `expected`, and parses the payload into `payload`.
// Errors: as described above.
absl::Status UnwrapArtifact(absl::string_view bytes, ArtifactKind expected,
                            google::protobuf::MessageLite& payload);

// DATA_LOSS "corrupt <kind> artifact: <detail>", for semantic checks after parsing.
absl::Status CorruptArtifact(ArtifactKind kind, absl::string_view detail);

}  // namespace cohort::models::recommend::internal
