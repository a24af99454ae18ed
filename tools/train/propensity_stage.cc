// Propensity stage: purchase_30d and churn_90d. Labels from events in [cutoff, cutoff +
// horizon); features as of the cutoff; a hash split into train / calibration / test;
// logistic regression and XGBoost, Platt-calibrated; the better test AUC is served.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "models/artifacts/artifact_store.h"
#include "models/metrics/classification.h"
#include "models/propensity/calibration.h"
#include "models/propensity/logistic_regression.h"
#include "models/propensity/xgboost_model.h"
#include "tools/train/stages.h"

namespace cohort::train {
namespace {

namespace prop = models::propensity;
namespace metrics = models::metrics;

struct Split {
  Eigen::MatrixXd x;
  std::vector<double> y;
};

Split MakeSplit(const std::vector<const std::vector<double>*>& rows,
                const std::vector<double>& labels) {
  Split s;
  if (rows.empty()) return s;
  s.x.resize(static_cast<Eigen::Index>(rows.size()),
             static_cast<Eigen::Index>(rows.front()->size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = 0; j < rows[i]->size(); ++j) {
      s.x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = (*rows[i])[j];
    }
  }
  s.y = labels;
  return s;
}

bool TwoClasses(const std::vector<double>& y) {
  bool pos = false, neg = false;
  for (double v : y) (v > 0.5 ? pos : neg) = true;
  return pos && neg;
}

struct Evaluation {
  double auc = 0, log_loss = 0, brier = 0, ece = 0;
  std::vector<metrics::CalibrationBin> table;
};

absl::StatusOr<Evaluation> Evaluate(const prop::PropensityModel& model, const Split& test) {
  COHORT_ASSIGN_OR_RETURN(std::vector<double> p, model.PredictBatch(test.x));
  Evaluation e;
  COHORT_ASSIGN_OR_RETURN(e.auc, metrics::RocAuc(p, test.y));
  COHORT_ASSIGN_OR_RETURN(e.log_loss, metrics::LogLoss(p, test.y));
  COHORT_ASSIGN_OR_RETURN(e.brier, metrics::BrierScore(p, test.y));
  COHORT_ASSIGN_OR_RETURN(e.ece, metrics::ExpectedCalibrationError(p, test.y));
  COHORT_ASSIGN_OR_RETURN(e.table, metrics::CalibrationTable(p, test.y));
  return e;
}

void ReportEvaluation(const Evaluation& e, google::protobuf::Struct& s) {
  SetNumber(s, "auc", e.auc);
  SetNumber(s, "log_loss", e.log_loss);
  SetNumber(s, "brier", e.brier);
  SetNumber(s, "ece", e.ece);
  google::protobuf::ListValue& t = *SetList(s, "calibration_table");
  for (const metrics::CalibrationBin& b : e.table) {
    google::protobuf::Struct& row = *AppendStruct(t);
    SetNumber(row, "lower", b.lower);
    SetNumber(row, "upper", b.upper);
    SetNumber(row, "count", static_cast<double>(b.count));
    SetNumber(row, "mean_predicted", b.mean_predicted);
    SetNumber(row, "observed_rate", b.observed_rate);
  }
}

absl::Status TrainTarget(const TrainOptions& options, const Dataset& data,
                         const FeatureTable& features, const std::string& target, int horizon_days,
                         const Progress& progress, google::protobuf::Struct& report) {
  const std::string model_name = absl::StrCat("propensity_", target, "_", horizon_days, "d");
  const bool churn = target == "churn";
  // Per customer: purchases before the cutoff, and in the label window.
  const absl::Time window_end = data.cutoff + absl::Hours(24 * horizon_days);
  std::vector<uint8_t> before(data.customers.size(), 0), during(data.customers.size(), 0);
  for (const EventRow& e : data.events) {
    if (e.kind != EventKind::kPurchase) continue;
    if (e.time < data.cutoff) before[static_cast<size_t>(e.customer)] = 1;
    if (e.time >= data.cutoff && e.time < window_end) during[static_cast<size_t>(e.customer)] = 1;
  }
  std::vector<size_t> cols;
  for (const std::string& name : PropensityFeatures()) {
    for (size_t i = 0; i < features.names.size(); ++i) {
      if (features.names[i] == name) cols.push_back(i);
    }
  }
  std::vector<std::vector<double>> rows;
  std::vector<double> labels;
  std::vector<int> part;  // 0 train, 1 calibration, 2 test
  for (size_t r = 0; r < features.rows.size(); ++r) {
    auto it = data.customer_index.find(features.customer_ids[r]);
    if (it == data.customer_index.end()) continue;
    const size_t c = static_cast<size_t>(it->second);
    if (churn && !before[c]) continue;
    std::vector<double> row;
    for (size_t col : cols) row.push_back(features.rows[r][col]);
    rows.push_back(std::move(row));
    labels.push_back(churn ? (during[c] ? 0.0 : 1.0) : (during[c] ? 1.0 : 0.0));
    const double h = SplitHash(features.customer_ids[r], options.seed);
    part.push_back(h < 0.6 ? 0 : (h < 0.8 ? 1 : 2));
  }
  std::vector<const std::vector<double>*> pr[3];
  std::vector<double> pl[3];
  for (size_t i = 0; i < rows.size(); ++i) {
    pr[part[i]].push_back(&rows[i]);
    pl[part[i]].push_back(labels[i]);
  }
  Split train = MakeSplit(pr[0], pl[0]);
  Split calib = MakeSplit(pr[1], pl[1]);
  Split test = MakeSplit(pr[2], pl[2]);
  if (!TwoClasses(train.y) || !TwoClasses(calib.y) || !TwoClasses(test.y)) {
    return absl::FailedPreconditionError(absl::StrCat(
        model_name, ": every split needs both classes (train ", train.y.size(), ", calibration ",
        calib.y.size(), ", test ", test.y.size(), " customers); more data is needed"));
  }
  progress.Phase(model_name,
                 absl::StrCat(rows.size(), " customers (train ", train.y.size(), ", calibration ",
                              calib.y.size(), ", test ", test.y.size(), ")"));
  // Logistic regression needs finite inputs: impute the training means (the model then
  // stores those means and imputes a missing value with them at serving time).
  Eigen::MatrixXd train_imputed = train.x;
  for (Eigen::Index j = 0; j < train.x.cols(); ++j) {
    double sum = 0;
    int64_t n = 0;
    for (Eigen::Index i = 0; i < train.x.rows(); ++i) {
      if (std::isfinite(train.x(i, j))) {
        sum += train.x(i, j);
        ++n;
      }
    }
    const double mean = n > 0 ? sum / static_cast<double>(n) : 0.0;
    for (Eigen::Index i = 0; i < train.x.rows(); ++i) {
      if (!std::isfinite(train_imputed(i, j))) train_imputed(i, j) = mean;
    }
  }
  COHORT_ASSIGN_OR_RETURN(
      std::unique_ptr<prop::LogisticRegression> lr,
      prop::LogisticRegression::Fit(train_imputed, train.y, PropensityFeatures()));
  prop::XgbOptions xo;
  xo.num_rounds = 150;
  xo.max_depth = 3;
  xo.eta = 0.05;
  xo.min_child_weight = 5;
  xo.seed = options.seed;
  xo.verbosity = 0;
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<prop::XgbModel> xgb,
                          prop::XgbModel::Train(train.x, train.y, PropensityFeatures(), xo));
  COHORT_ASSIGN_OR_RETURN(
      std::unique_ptr<prop::CalibratedModel> lr_cal,
      prop::CalibratedModel::Fit(std::move(lr), prop::CalibrationMethod::kPlatt, calib.x, calib.y));
  COHORT_ASSIGN_OR_RETURN(std::unique_ptr<prop::CalibratedModel> xgb_cal,
                          prop::CalibratedModel::Fit(
                              std::move(xgb), prop::CalibrationMethod::kPlatt, calib.x, calib.y));
  COHORT_ASSIGN_OR_RETURN(Evaluation lr_eval, Evaluate(*lr_cal, test));
  COHORT_ASSIGN_OR_RETURN(Evaluation xgb_eval, Evaluate(*xgb_cal, test));
  const bool use_xgb = xgb_eval.auc > lr_eval.auc;
  const Evaluation& best = use_xgb ? xgb_eval : lr_eval;
  const prop::CalibratedModel& served = use_xgb ? *xgb_cal : *lr_cal;

  double positives = 0;
  for (double y : labels) positives += y;
  google::protobuf::Struct& s = *SetStruct(report, model_name);
  SetString(s, "target", target);
  SetNumber(s, "horizon_days", horizon_days);
  SetNumber(s, "customers", static_cast<double>(rows.size()));
  SetNumber(s, "train_customers", static_cast<double>(train.y.size()));
  SetNumber(s, "calibration_customers", static_cast<double>(calib.y.size()));
  SetNumber(s, "test_customers", static_cast<double>(test.y.size()));
  SetNumber(s, "positive_rate", positives / static_cast<double>(labels.size()));
  SetString(s, "served_algorithm", use_xgb ? "xgboost" : "logistic");
  SetString(s, "calibration", "platt");
  ReportEvaluation(lr_eval, *SetStruct(s, "logistic"));
  ReportEvaluation(xgb_eval, *SetStruct(s, "xgboost"));

  models::artifacts::ModelManifest manifest = BaseManifest(model_name, "propensity", data);
  manifest.set_eval_end(FormatRfc3339(window_end));
  for (const std::string& name : PropensityFeatures()) manifest.add_features(name);
  auto& params = *manifest.mutable_params();
  params["target"] = target;
  params["horizon_days"] = absl::StrCat(horizon_days);
  params["algorithm"] = use_xgb ? "xgboost" : "logistic";
  params["calibration"] = "platt";
  auto& m = *manifest.mutable_metrics();
  m["auc"] = best.auc;
  m["log_loss"] = best.log_loss;
  m["brier"] = best.brier;
  m["ece"] = best.ece;
  m["test_customers"] = static_cast<double>(test.y.size());
  m["positive_rate"] = positives / static_cast<double>(labels.size());
  COHORT_ASSIGN_OR_RETURN(models::artifacts::ModelManifest written,
                          models::artifacts::WriteVersion(options.models_dir, std::move(manifest),
                                                          {{"model.bin", served.Serialize()}}));
  SetNumber(s, "version", static_cast<double>(written.version()));
  progress.Phase(model_name,
                 absl::StrCat("auc logistic=", lr_eval.auc, " xgboost=", xgb_eval.auc, "; served ",
                              use_xgb ? "xgboost" : "logistic", " -> version ", written.version()));
  return absl::OkStatus();
}

}  // namespace

absl::Status RunPropensity(const TrainOptions& options, const Dataset& data,
                           const FeatureTable& features, const Progress& progress,
                           google::protobuf::Struct& report) {
  COHORT_RETURN_IF_ERROR(TrainTarget(options, data, features, "purchase", 30, progress, report));
  return TrainTarget(options, data, features, "churn", 90, progress, report);
}

}  // namespace cohort::train
