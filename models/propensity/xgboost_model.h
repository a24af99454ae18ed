// Gradient-boosted trees for binary propensity through the XGBoost C API (1.7).
//
// XGBoost specifics handled here:
// - Objective binary:logistic; margins are raw log-odds, Predict() = sigmoid(margin).
// - Training uses `train_threads`; every prediction handle runs with nthread = 1, so a
//   scorer's own thread pool stays in control of parallelism.
// - Booster handles are not safe for concurrent prediction on every XGBoost version (and
//   return buffers are only valid until the handle's next call), so each model owns a small
//   pool of handles loaded from the same bytes, each behind its own mutex: a call takes a free
//   handle or waits for one. Const methods are therefore thread-safe.
// - Process-global XGBoost state (XGBSetGlobalConfig, XGBRegisterLogCallback) is never
//   touched; verbosity is a per-booster parameter.
// - Contributions are XGBoost's approximate contributions (predict type 3, Saabas): one per
//   feature plus a bias term, summing to the margin (up to float rounding); 2.5x cheaper
//   than exact TreeSHAP (docs/models.md).
// - Serving does not go through the C API: at load the booster's trees are compiled into
//   flat arrays (xgboost_forest.h) that give XGBoost's margins and approximate
//   contributions for one row without a DMatrix per call (~25x cheaper, bench/micro).
//   Models outside the compiled subset keep using the C API.
// - Missing values: NaN features are "missing" and follow each split's default direction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "models/propensity/propensity_model.h"

namespace cohort::models::propensity {

namespace internal {
struct BoosterPool;
class CompiledForest;
}  // namespace internal

struct XgbOptions {
  int32_t num_rounds = 200;       // boosting rounds (>= 1)
  int32_t max_depth = 4;          // tree depth
  double eta = 0.1;               // learning rate
  double subsample = 1.0;         // row subsampling per tree, (0, 1]
  double colsample_bytree = 1.0;  // column subsampling per tree, (0, 1]
  double min_child_weight = 1.0;  // minimum hessian per leaf
  double lambda = 1.0;            // L2 on leaf weights
  double alpha = 0.0;             // L1 on leaf weights
  std::string tree_method = "hist";
  uint64_t seed = 0;          // XGBoost "seed"; same data + seed => same model
  int32_t train_threads = 1;  // nthread while training (>= 1)
  int32_t verbosity = 1;      // XGBoost verbosity (0 silent .. 3 debug), this booster only
  // With validation data: stop when validation log loss has not improved for this many
  // rounds and keep the best round's trees (0 = train all num_rounds).
  int32_t early_stopping_rounds = 0;
  // Passed verbatim to XGBoosterSetParam after the fields above (e.g. scale_pos_weight).
  std::vector<std::pair<std::string, std::string>> extra_params = {};
  // Number of prediction handles (>= 1): how many threads can predict at the same time
  // through the C API. A compiled model (XgbModel::compiled()) keeps one and predicts
  // without it, from any number of threads.
  int32_t predict_handles = 2;
};

class XgbModel final : public PropensityModel {
 public:
  static constexpr absl::string_view kArtifactKind = "XGBT";

  // Trains on the rows of `x` (n x d; NaN = missing) with labels `y` in {0, 1}. Optional
  // validation data (`valid_x` non-null, `valid_y` matching) enables early stopping.
  // `feature_names`: d names, or empty for "f0", "f1", ....
  // Errors: InvalidArgument on bad sizes, labels, infinite values or options; Internal
  // with XGBoost's message when XGBoost fails (e.g. an unknown extra parameter).
  static absl::StatusOr<std::unique_ptr<XgbModel>> Train(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                                         absl::Span<const double> y,
                                                         std::vector<std::string> feature_names,
                                                         const XgbOptions& options = {},
                                                         const Eigen::MatrixXd* valid_x = nullptr,
                                                         absl::Span<const double> valid_y = {});

  ~XgbModel() override;
  XgbModel(const XgbModel&) = delete;
  XgbModel& operator=(const XgbModel&) = delete;

  absl::string_view kind() const override { return "xgboost"; }
  const std::vector<std::string>& feature_names() const override { return feature_names_; }
  absl::StatusOr<double> PredictMargin(absl::Span<const double> features) const override;
  absl::StatusOr<std::vector<double>> PredictMarginBatch(
      const Eigen::Ref<const Eigen::MatrixXd>& rows) const override;
  absl::StatusOr<Explanation> Explain(absl::Span<const double> features,
                                      size_t top_k = 0) const override;

  int32_t rounds() const { return rounds_; }  // boosting rounds kept
  // Whether predictions run on the compiled trees (xgboost_forest.h) rather than through
  // the C API: true for every model Cohort trains.
  bool compiled() const { return forest_ != nullptr; }

  // Envelope kind "XGBT" around the booster saved as UBJ (XGBoosterSaveModelToBuffer).
  // Deserialize errors: InvalidArgument (not an XGBoost artifact), FailedPrecondition (newer
  // version), DataLoss (corrupt bytes, or XGBoost refused the booster, or the booster's
  // feature count or objective disagrees with the stored metadata).
  std::string Serialize() const override;
  static absl::StatusOr<std::unique_ptr<XgbModel>> Deserialize(absl::string_view bytes,
                                                               int32_t predict_handles = 2);

 private:
  XgbModel();
  // Loads `booster_bytes` into `handles` prediction handles (nthread = 1).
  static absl::StatusOr<std::unique_ptr<XgbModel>> Load(std::string booster_bytes,
                                                        std::vector<std::string> feature_names,
                                                        int32_t rounds, int32_t handles);
  // Runs XGBoost prediction of `type` (1 = margin, 2 = contributions) on an n x d row-major
  // float matrix; returns the flattened output.
  absl::StatusOr<std::vector<float>> Run(const std::vector<float>& data, size_t rows,
                                         int type) const;
  absl::Status ToFloats(absl::Span<const double> features, std::vector<float>& out) const;

  std::vector<std::string> feature_names_;
  std::string booster_bytes_;  // UBJ, as serialized
  int32_t rounds_ = 0;
  std::unique_ptr<internal::BoosterPool> pool_;
  std::unique_ptr<const internal::CompiledForest> forest_;  // null: use the C API
};

}  // namespace cohort::models::propensity
