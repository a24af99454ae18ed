// Recommender artifacts (internal to models/recommend): the shared model envelope of
// models/common/model_envelope.h (magic "CHMA", 4-character kind, format version, payload
// size, XXH64) around the kind's message from recommend_artifacts.proto.
//
// Kinds: "IKNN" item_knn, "EASE" ease, "ALSF" als, "POPL" popularity, "VOCB" vocabulary
// (distinct from every other model family's kinds). Format version: currently 1.
// A reader refuses anything else: bytes that are not an artifact (INVALID_ARGUMENT), a newer
// format version (FAILED_PRECONDITION), the wrong kind (INVALID_ARGUMENT), a truncated or
// corrupted envelope or payload (DATA_LOSS).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"
#include "models/common/model_envelope.h"

namespace cohort::models::recommend::internal {

inline constexpr uint32_t kArtifactFormatVersion = 1;
inline constexpr size_t kArtifactHeaderSize = envelope::kHeaderSize;

// ModelKind values, plus the vocabulary.
enum class ArtifactKind : uint32_t {
  kItemKnn = 1,
  kEase = 2,
  kAls = 3,
  kPopularity = 4,
  kVocabulary = 100,
};

// Lower-case name for messages, e.g. "item_knn".
absl::string_view ArtifactKindName(ArtifactKind kind);

// The 4-character envelope kind, e.g. "IKNN".
absl::string_view ArtifactKindCode(ArtifactKind kind);

// Serializes `payload` and wraps it in the envelope.
std::string WrapArtifact(ArtifactKind kind, const google::protobuf::MessageLite& payload);

// The kind stored in the envelope of `bytes`, after checking magic, version, size and
// checksum. Errors: as described above; INVALID_ARGUMENT for another family's model.
absl::StatusOr<ArtifactKind> ReadArtifactKind(absl::string_view bytes);

// Checks the envelope, that it holds `expected`, and parses the payload into `payload`.
// Errors: as described above.
absl::Status UnwrapArtifact(absl::string_view bytes, ArtifactKind expected,
                            google::protobuf::MessageLite& payload);

// DATA_LOSS "corrupt <kind> artifact: <detail>", for semantic checks after parsing.
absl::Status CorruptArtifact(ArtifactKind kind, absl::string_view detail);

}  // namespace cohort::models::recommend::internal
