// ItemVocabulary: the bijection between item ids (opaque strings) and the dense indices the
// models work with. The trainer saves it next to the models it trains; the scorer uses it to
// map served histories to indices and results back to ids.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cohort::models::recommend {

// Immutable use (Find, id, size, Serialize) is thread-safe; Add is not.
class ItemVocabulary {
 public:
  ItemVocabulary() = default;

  // A vocabulary of `ids` in order (index i -> ids[i]).
  // Errors: INVALID_ARGUMENT for an empty or repeated id.
  static absl::StatusOr<ItemVocabulary> FromIds(std::vector<std::string> ids);

  // The index of `id`, adding it at the end if new. `id` must not be empty.
  int32_t Add(absl::string_view id);

  // The index of `id`, or nullopt if unknown.
  std::optional<int32_t> Find(absl::string_view id) const;

  // The id of `index`, which must be in [0, size()).
  const std::string& id(int32_t index) const { return ids_[static_cast<size_t>(index)]; }
  const std::vector<std::string>& ids() const { return ids_; }
  int32_t size() const { return static_cast<int32_t>(ids_.size()); }

  // Bytes for Deserialize (the artifact envelope of artifact_format_internal.h).
  std::string Serialize() const;
  // Errors: DATA_LOSS, INVALID_ARGUMENT or FAILED_PRECONDITION for bytes that are not an
  // intact vocabulary artifact of this format version.
  static absl::StatusOr<ItemVocabulary> Deserialize(absl::string_view bytes);

 private:
  std::vector<std::string> ids_;
  absl::flat_hash_map<std::string, int32_t> index_;
};

}  // namespace cohort::models::recommend
