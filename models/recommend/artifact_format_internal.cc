#include "models/recommend/artifact_format_internal.h"

#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/hash.h"

namespace cohort::models::recommend::internal {
namespace {

constexpr char kMagic[4] = {'C', 'R', 'C', 'M'};

void PutLittleEndian(uint64_t value, int bytes, std::string& out) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t GetLittleEndian(absl::string_view bytes, size_t offset, int size) {
  uint64_t value = 0;
  for (int i = 0; i < size; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return value;
}

bool KnownKind(uint32_t kind) {
  switch (static_cast<ArtifactKind>(kind)) {
    case ArtifactKind::kItemKnn:
    case ArtifactKind::kEase:
    case ArtifactKind::kAls:
    case ArtifactKind::kPopularity:
    case ArtifactKind::kVocabulary:
      return true;
  }
  return false;
}

// Checks the envelope; returns the payload.
absl::StatusOr<absl::string_view> OpenEnvelope(absl::string_view bytes, ArtifactKind& kind) {
  if (bytes.size() < sizeof(kMagic) || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::InvalidArgumentError(
        "not a Cohort recommender artifact (missing the \"CRCM\" magic)");
  }
  if (bytes.size() < kArtifactHeaderSize) {
    return absl::DataLossError(absl::StrCat("truncated recommender artifact: ", bytes.size(),
                                            " bytes, the header alone is ", kArtifactHeaderSize));
  }
  const uint32_t version = static_cast<uint32_t>(GetLittleEndian(bytes, 4, 4));
  if (version != kArtifactFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("recommender artifact format version ", version, " is not supported (this ",
                     "build reads version ", kArtifactFormatVersion, ")"));
  }
  const uint32_t raw_kind = static_cast<uint32_t>(GetLittleEndian(bytes, 8, 4));
  if (!KnownKind(raw_kind)) {
    return absl::DataLossError(absl::StrCat("recommender artifact of unknown kind ", raw_kind));
  }
  kind = static_cast<ArtifactKind>(raw_kind);
  const uint64_t size = GetLittleEndian(bytes, 12, 8);
  const absl::string_view payload = bytes.substr(kArtifactHeaderSize);
  if (size != payload.size()) {
    return absl::DataLossError(absl::StrCat("corrupt ", ArtifactKindName(kind),
                                            " artifact: header announces ", size,
                                            " payload bytes, found ", payload.size()));
  }
  if (GetLittleEndian(bytes, 20, 8) != XxHash64(payload)) {
    return absl::DataLossError(
        absl::StrCat("corrupt ", ArtifactKindName(kind), " artifact: checksum mismatch"));
  }
  return payload;
}

}  // namespace

absl::string_view ArtifactKindName(ArtifactKind kind) {
  switch (kind) {
    case ArtifactKind::kItemKnn:
      return "item_knn";
    case ArtifactKind::kEase:
      return "ease";
    case ArtifactKind::kAls:
      return "als";
    case ArtifactKind::kPopularity:
      return "popularity";
    case ArtifactKind::kVocabulary:
      return "vocabulary";
  }
  return "unknown";
}

std::string WrapArtifact(ArtifactKind kind, const google::protobuf::MessageLite& payload) {
  const std::string body = payload.SerializeAsString();
  std::string out(kMagic, sizeof(kMagic));
  out.reserve(kArtifactHeaderSize + body.size());
  PutLittleEndian(kArtifactFormatVersion, 4, out);
  PutLittleEndian(static_cast<uint32_t>(kind), 4, out);
  PutLittleEndian(body.size(), 8, out);
  PutLittleEndian(XxHash64(body), 8, out);
  out += body;
  return out;
}

absl::StatusOr<ArtifactKind> ReadArtifactKind(absl::string_view bytes) {
  ArtifactKind kind;
  absl::StatusOr<absl::string_view> payload = OpenEnvelope(bytes, kind);
  if (!payload.ok()) return payload.status();
  return kind;
}

absl::Status UnwrapArtifact(absl::string_view bytes, ArtifactKind expected,
                            google::protobuf::MessageLite& payload) {
  ArtifactKind kind;
  absl::StatusOr<absl::string_view> body = OpenEnvelope(bytes, kind);
  if (!body.ok()) return body.status();
  if (kind != expected) {
    return absl::InvalidArgumentError(absl::StrCat("the artifact holds a ", ArtifactKindName(kind),
                                                   " model, expected ",
                                                   ArtifactKindName(expected)));
  }
  if (body->size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !payload.ParseFromArray(body->data(), static_cast<int>(body->size()))) {
    return CorruptArtifact(kind, "the payload does not parse");
  }
  return absl::OkStatus();
}

absl::Status CorruptArtifact(ArtifactKind kind, absl::string_view detail) {
  return absl::DataLossError(
      absl::StrCat("corrupt ", ArtifactKindName(kind), " artifact: ", detail));
}

}  // namespace cohort::models::recommend::internal
