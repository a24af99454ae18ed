#include "models/recommend/vocabulary.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "models/recommend/artifact_format_internal.h"
#include "models/recommend/recommend_artifacts.pb.h"

namespace cohort::models::recommend {

absl::StatusOr<ItemVocabulary> ItemVocabulary::FromIds(std::vector<std::string> ids) {
  ItemVocabulary vocabulary;
  vocabulary.index_.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("item id at index ", i, " is empty"));
    }
    if (!vocabulary.index_.emplace(ids[i], static_cast<int32_t>(i)).second) {
      return absl::InvalidArgumentError(absl::StrCat("item id \"", ids[i], "\" appears twice"));
    }
  }
  vocabulary.ids_ = std::move(ids);
  return vocabulary;
}

int32_t ItemVocabulary::Add(absl::string_view id) {
  auto [it, inserted] = index_.emplace(id, static_cast<int32_t>(ids_.size()));
  if (inserted) ids_.emplace_back(id);
  return it->second;
}

std::optional<int32_t> ItemVocabulary::Find(absl::string_view id) const {
  auto it = index_.find(id);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::string ItemVocabulary::Serialize() const {
  artifact::Vocabulary proto;
  proto.mutable_ids()->Reserve(static_cast<int>(ids_.size()));
  for (const std::string& id : ids_) proto.add_ids(id);
  return internal::WrapArtifact(internal::ArtifactKind::kVocabulary, proto);
}

absl::StatusOr<ItemVocabulary> ItemVocabulary::Deserialize(absl::string_view bytes) {
  artifact::Vocabulary proto;
  absl::Status status = internal::UnwrapArtifact(bytes, internal::ArtifactKind::kVocabulary, proto);
  if (!status.ok()) return status;
  std::vector<std::string> ids(proto.ids().begin(), proto.ids().end());
  absl::StatusOr<ItemVocabulary> vocabulary = FromIds(std::move(ids));
  if (!vocabulary.ok()) {
    return internal::CorruptArtifact(internal::ArtifactKind::kVocabulary,
                                     vocabulary.status().message());
  }
  return vocabulary;
}

}  // namespace cohort::models::recommend
