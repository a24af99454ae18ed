// The feature registry: the named, typed features a store serves, parsed from a text file
// (format in docs/feature-registry.md; the default registry is storage/features.registry).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/types.h"

namespace cohort::storage {

enum class FeatureSource { kAttribute, kWindow, kDerived };

// One declared feature. Fields beyond name/type/source are interpreted per source; see
// docs/feature-registry.md.
struct FeatureDef {
  std::string name;
  FeatureType type = FeatureType::kDouble;
  FeatureSource source = FeatureSource::kWindow;
  // key=value parameters of the declaration, validated by the parser.
  absl::flat_hash_map<std::string, std::string> params;
  std::optional<absl::Duration> max_age;  // older data is served with status STALE
  FeatureScalar default_value;            // served with NOT_FOUND / DEFAULTED
  std::string declaration;                // the registry line, as written
  int line = 0;                           // 1-based line number in the registry file
};

// Which registry features a read returns, as indices into FeatureRegistry::features().
struct FeatureSelection {
  std::vector<size_t> indices;
};

class FeatureRegistry {
 public:
  // Parses registry text. `origin` names the file in error messages. Errors:
  // INVALID_ARGUMENT "<origin>:<line>: <problem>" for the first malformed line (unknown
  // type/source/aggregate, missing or unknown parameter, bad default, duplicate name,
  // derived feature referring to an unknown or later feature...).
  static absl::StatusOr<std::shared_ptr<const FeatureRegistry>> Parse(absl::string_view text,
                                                                        absl::string_view origin);
  // Reads and parses a file; NOT_FOUND if it cannot be read.
  static absl::StatusOr<std::shared_ptr<const FeatureRegistry>> LoadFile(const std::string& path);

  const std::vector<FeatureDef>& features() const { return features_; }
  // Index of the feature named `name`, or nullopt.
  std::optional<size_t> Find(absl::string_view name) const;

 private:
  std::vector<FeatureDef> features_;
  absl::flat_hash_map<std::string, size_t> index_;
};

}  // namespace cohort::storage
