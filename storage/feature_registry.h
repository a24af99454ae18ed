// The feature registry: the named, typed features a store serves, parsed from a text file
// (format in docs/feature-registry.md; the default registry is storage/features.registry).
// Every declaration is compiled at parse time into a FeatureProgram plus shared aggregate
// groups, so evaluation (storage/feature_eval.h) does no string parsing or parameter lookups.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/types.h"

namespace cohort::storage {

enum class FeatureSource { kAttribute, kWindow, kDerived };

// Which events an aggregate counts; an unset field matches every value.
struct EventFilter {
  std::optional<std::string> type;
  std::optional<std::string> channel;
  std::optional<std::string> category;
  // The same values as indices into EvalPlan::types/channels/categories; -1 when unset.
  int type_id = -1;
  int channel_id = -1;
  int category_id = -1;
};

// Totals over the events matching one filter in one window, shared by every feature that
// reads them (purchases_30d and spend_30d read the same group). Built by the parser.
struct AggregateGroup {
  size_t filter = 0;  // index into EvalPlan::filters
  int32_t days = 0;   // window length in days; 0 means lifetime
  // What the group must track beyond count/quantity/amount, for the features reading it.
  bool categories = false;   // per-category counts (distinct, share, top category)
  bool channels = false;     // distinct channels
  bool active_days = false;  // distinct days (windows only)
  bool last_event = false;   // time of the latest matching visible event (lifetime only)
};

// The compiled form of a declaration: what to compute, with every reference resolved.
struct FeatureProgram {
  enum class Op {
    kAttribute,
    kCount,
    kSumAmount,
    kSumQuantity,
    kActiveDays,
    kDistinctCategories,
    kDistinctChannels,
    kCategoryShare,
    kTopCategory,
    kTopCategoryShare,
    kRatio,
    kAbandonRate,
    kDaysSinceLast,
    kTenureDays,
  };
  Op op = Op::kCount;
  std::string attribute;  // kAttribute: the attribute name
  std::string category;   // kCategoryShare: the category whose share is computed
  size_t group = 0;       // window ops and kDaysSinceLast: index into EvalPlan::groups
  size_t num = 0;         // kRatio, kAbandonRate: feature indices, both < this feature's
  size_t den = 0;
};

// Everything evaluation needs beyond the features, precomputed by the parser so that a cell
// is matched against all filters with a few string comparisons and integer tests.
struct EvalPlan {
  std::vector<EventFilter> filters;    // distinct filters of all aggregate groups
  std::vector<AggregateGroup> groups;  // distinct (filter, days) pairs
  // Distinct filter values: a cell's type/channel/category is looked up here once.
  std::vector<std::string> types, channels, categories;
  // Per filter: its window groups by ascending days, and its lifetime group (or -1).
  std::vector<std::vector<size_t>> windows;
  std::vector<int> lifetime;
};

// One declared feature. Fields beyond name/type/source are interpreted per source; see
// docs/feature-registry.md.
struct FeatureDef {
  std::string name;
  FeatureType type = FeatureType::kDouble;
  FeatureSource source = FeatureSource::kWindow;
  // key=value parameters of the declaration, validated by the parser (default and max_age
  // included, as written).
  absl::flat_hash_map<std::string, std::string> params;
  std::optional<absl::Duration> max_age;  // older data is served with status STALE
  FeatureScalar default_value;            // served with NOT_FOUND / DEFAULTED
  std::string declaration;                // the registry line, as written (without comment)
  int line = 0;                           // 1-based line number in the registry file
  FeatureProgram program;                 // compiled form, used by EvaluateFeatures
};

// Which registry features a read returns, as indices into FeatureRegistry::features().
struct FeatureSelection {
  std::vector<size_t> indices;
};

// Immutable once parsed; all const methods are thread-safe.
class FeatureRegistry {
 public:
  // Parses registry text. `origin` names the file in error messages. Errors:
  // INVALID_ARGUMENT "<origin>:<line>: <problem>" for the first malformed line (unknown
  // type/source/aggregate, missing or unknown parameter, bad default, duplicate name,
  // derived feature referring to an unknown or later feature...).
  static absl::StatusOr<std::shared_ptr<const FeatureRegistry>> Parse(absl::string_view text,
                                                                      absl::string_view origin);
  // Reads and parses a file; NOT_FOUND if it cannot be read, else as Parse with the path as
  // origin.
  static absl::StatusOr<std::shared_ptr<const FeatureRegistry>> LoadFile(const std::string& path);

  // Features in declaration order.
  const std::vector<FeatureDef>& features() const { return features_; }
  // Index of the feature named `name`, or nullopt.
  std::optional<size_t> Find(absl::string_view name) const;

  // The compiled evaluation plan that FeatureProgram::group refers to. For
  // storage/feature_eval.cc.
  const EvalPlan& plan() const { return plan_; }

 private:
  std::vector<FeatureDef> features_;
  absl::flat_hash_map<std::string, size_t> index_;
  EvalPlan plan_;
};

}  // namespace cohort::storage
