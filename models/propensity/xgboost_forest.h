// A booster's trees compiled into flat arrays and evaluated natively: the margin and
// XGBoost's approximate (Saabas) contributions of one row, with XGBoost's semantics (float
// arithmetic, `x < split` goes left, NaN follows the default direction), without a DMatrix
// and a locked booster handle per call. Through the C API one Explain cost ~50 us (two
// predictions, each building a DMatrix); here it is a walk of each tree.
//
// Only what Cohort trains is compiled: gbtree, binary:logistic, one target, one tree per
// round, numerical splits. Anything else is refused (FailedPrecondition) and XgbModel keeps
// using the C API. xgboost_forest_test checks the results against XGBoost's own.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace cohort::models::propensity::internal {

class CompiledForest {
 public:
  // From XGBoost's JSON model (XGBoosterSaveModelToBuffer, {"format": "json"}) of a booster
  // reading `num_features` features. FailedPrecondition for models outside the compiled
  // subset; DataLoss for JSON that does not describe consistent trees.
  static absl::StatusOr<CompiledForest> FromJson(absl::string_view json, size_t num_features);

  size_t num_features() const { return num_features_; }
  size_t num_trees() const { return roots_.size(); }

  // The margin (log-odds) of one row of num_features() values; NaN is missing.
  float Margin(absl::Span<const float> row) const;

  // Approximate contributions: out[j] for feature j and out[num_features()] the bias (base
  // margin plus each tree's root mean); they sum to Margin(row) up to float rounding.
  // `out` is resized to num_features() + 1.
  void Contributions(absl::Span<const float> row, std::vector<float>& out) const;

 private:
  struct Node {
    int32_t left = -1;  // node index (global) of the children; -1 for a leaf
    int32_t right = -1;
    uint32_t feature = 0;
    bool default_left = false;
    float split = 0;  // threshold, or the leaf value of a leaf
    float mean = 0;   // cover-weighted mean of the leaf values below (Saabas)
  };

  // The leaf-or-child step from `node` for `row`.
  int32_t Next(const Node& node, absl::Span<const float> row) const;

  size_t num_features_ = 0;
  float base_margin_ = 0;
  std::vector<Node> nodes_;
  std::vector<int32_t> roots_;
};

}  // namespace cohort::models::propensity::internal
