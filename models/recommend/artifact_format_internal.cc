#include "models/recommend/artifact_format_internal.h"

#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace cohort::models::recommend::internal {
namespace {

struct KindInfo {
  ArtifactKind kind;
  absl::string_view name;  // for messages
  absl::string_view code;  // in the envelope
};

constexpr KindInfo kKinds[] = {
    {ArtifactKind::kItemKnn, "item_knn", "IKNN"},
    {ArtifactKind::kEase, "ease", "EASE"},
    {ArtifactKind::kAls, "als", "ALSF"},
    {ArtifactKind::kPopularity, "popularity", "POPL"},
    {ArtifactKind::kVocabulary, "vocabulary", "VOCB"},
};

const KindInfo* FindKind(ArtifactKind kind) {
  for (const KindInfo& info : kKinds) {
    if (info.kind == kind) return &info;
  }
  return nullptr;
}

struct Opened {
  ArtifactKind kind;
  absl::string_view payload;  // a view into the artifact bytes
};

// Checks the envelope (any recommender kind); returns its kind and payload.
absl::StatusOr<Opened> OpenArtifact(absl::string_view bytes, absl::string_view what) {
  absl::StatusOr<envelope::Contents> contents = envelope::Open(bytes, kArtifactFormatVersion, what);
  if (!contents.ok()) return contents.status();
  for (const KindInfo& info : kKinds) {
    if (contents->kind == info.code) {
      return Opened{.kind = info.kind, .payload = contents->payload};
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("the artifact holds a \"", absl::CHexEscape(contents->kind),
                   "\" model, not a recommender artifact (IKNN, EASE, ALSF, POPL or VOCB)"));
}

}  // namespace

absl::string_view ArtifactKindName(ArtifactKind kind) {
  const KindInfo* info = FindKind(kind);
  return info == nullptr ? "unknown" : info->name;
}

absl::string_view ArtifactKindCode(ArtifactKind kind) {
  const KindInfo* info = FindKind(kind);
  return info == nullptr ? "????" : info->code;
}

std::string WrapArtifact(ArtifactKind kind, const google::protobuf::MessageLite& payload) {
  return envelope::Wrap(ArtifactKindCode(kind), kArtifactFormatVersion,
                        payload.SerializeAsString());
}

absl::StatusOr<ArtifactKind> ReadArtifactKind(absl::string_view bytes) {
  absl::StatusOr<Opened> opened = OpenArtifact(bytes, "recommender model");
  if (!opened.ok()) return opened.status();
  return opened->kind;
}

absl::Status UnwrapArtifact(absl::string_view bytes, ArtifactKind expected,
                            google::protobuf::MessageLite& payload) {
  absl::StatusOr<Opened> opened =
      OpenArtifact(bytes, absl::StrCat(ArtifactKindName(expected), " model"));
  if (!opened.ok()) return opened.status();
  const ArtifactKind kind = opened->kind;
  const absl::string_view body = opened->payload;
  if (kind != expected) {
    return absl::InvalidArgumentError(absl::StrCat("the artifact holds a ", ArtifactKindName(kind),
                                                   " model, expected ",
                                                   ArtifactKindName(expected)));
  }
  if (body.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !payload.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return CorruptArtifact(kind, "the payload does not parse");
  }
  return absl::OkStatus();
}

absl::Status CorruptArtifact(ArtifactKind kind, absl::string_view detail) {
  return absl::DataLossError(
      absl::StrCat("corrupt ", ArtifactKindName(kind), " artifact: ", detail));
}

}  // namespace cohort::models::recommend::internal
