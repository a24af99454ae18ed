#include "models/propensity/xgboost_model.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "models/common/model_envelope.h"
#include "models/propensity/propensity_model.pb.h"
#include "models/propensity/xgboost_forest.h"

namespace cohort::models::propensity {
namespace internal {

struct BoosterDeleter {
  void operator()(void* handle) const { XGBoosterFree(handle); }
};
struct DMatrixDeleter {
  void operator()(void* handle) const { XGDMatrixFree(handle); }
};
using BoosterPtr = std::unique_ptr<void, BoosterDeleter>;
using DMatrixPtr = std::unique_ptr<void, DMatrixDeleter>;

// One prediction handle; XGBoost calls on it are serialized by `mu`.
struct BoosterSlot {
  absl::Mutex mu;
  BoosterPtr booster ABSL_GUARDED_BY(mu);
};

struct BoosterPool {
  std::vector<std::unique_ptr<BoosterSlot>> slots;
};

}  // namespace internal
namespace {

using internal::BoosterPtr;
using internal::DMatrixPtr;

constexpr uint32_t kVersion = 1;
constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

absl::Status XgbCheck(int rc, absl::string_view what,
                      absl::StatusCode code = absl::StatusCode::kInternal) {
  if (rc == 0) return absl::OkStatus();
  return absl::Status(code, absl::StrCat("XGBoost ", what, " failed: ", XGBGetLastError()));
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

// Row-major float copy of `x`; InvalidArgument on an infinite or float-overflowing value.
absl::Status RowMajorFloats(const Eigen::Ref<const Eigen::MatrixXd>& x, std::vector<float>& out) {
  out.resize(static_cast<size_t>(x.rows() * x.cols()));
  size_t k = 0;
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
      const double v = x(i, j);
      const auto f = static_cast<float>(v);
      if (!std::isnan(v) && !std::isfinite(f)) {
        return absl::InvalidArgumentError(absl::StrCat("feature ", j, " of row ", i, " = ", v,
                                                       " is infinite or outside float range"));
      }
      out[k++] = std::isnan(v) ? kMissing : f;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<DMatrixPtr> MakeDMatrix(const std::vector<float>& data, size_t rows, size_t cols,
                                       int threads) {
  DMatrixHandle handle = nullptr;
  COHORT_RETURN_IF_ERROR(
      XgbCheck(XGDMatrixCreateFromMat_omp(data.data(), rows, cols, kMissing, &handle, threads),
               "DMatrix creation"));
  return DMatrixPtr(handle);
}

absl::StatusOr<DMatrixPtr> LabeledDMatrix(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                          absl::Span<const double> y, int threads) {
  if (static_cast<size_t>(x.rows()) != y.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("got ", x.rows(), " rows but ", y.size(), " labels; they must be equal"));
  }
  std::vector<float> labels(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] != 0.0 && y[i] != 1.0) {
      return absl::InvalidArgumentError(
          absl::StrCat("label[", i, "] = ", y[i], "; must be 0 or 1"));
    }
    labels[i] = static_cast<float>(y[i]);
  }
  std::vector<float> data;
  COHORT_RETURN_IF_ERROR(RowMajorFloats(x, data));
  COHORT_ASSIGN_OR_RETURN(DMatrixPtr m, MakeDMatrix(data, static_cast<size_t>(x.rows()),
                                                    static_cast<size_t>(x.cols()), threads));
  COHORT_RETURN_IF_ERROR(XgbCheck(
      XGDMatrixSetFloatInfo(m.get(), "label", labels.data(), labels.size()), "setting labels"));
  return m;
}

absl::Status CheckOptions(const XgbOptions& o) {
  if (o.num_rounds < 1 || o.max_depth < 0 || !(o.eta > 0.0) || !(o.subsample > 0.0) ||
      o.subsample > 1.0 || !(o.colsample_bytree > 0.0) || o.colsample_bytree > 1.0 ||
      o.train_threads < 1 || o.predict_handles < 1 || o.early_stopping_rounds < 0) {
    return absl::InvalidArgumentError(
        "XGBoost options need num_rounds >= 1, max_depth >= 0, eta > 0, subsample and "
        "colsample_bytree in (0, 1], train_threads >= 1, predict_handles >= 1 and "
        "early_stopping_rounds >= 0");
  }
  return absl::OkStatus();
}

// Log loss of the booster's current predictions on `valid` (prediction cache makes this
// cheap: `valid` was registered at booster creation).
absl::StatusOr<double> ValidationLogLoss(BoosterHandle booster, DMatrixHandle valid,
                                         absl::Span<const double> y) {
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  COHORT_RETURN_IF_ERROR(XgbCheck(
      XGBoosterPredictFromDMatrix(booster, valid,
                                  R"({"type": 0, "training": false, "iteration_begin": 0, )"
                                  R"("iteration_end": 0, "strict_shape": false})",
                                  &shape, &dim, &out),
      "validation prediction"));
  double total = 0.0;
  for (size_t i = 0; i < y.size(); ++i) {
    const double p = std::clamp(static_cast<double>(out[i]), 1e-15, 1.0 - 1e-15);
    total -= y[i] == 1.0 ? std::log(p) : std::log1p(-p);
  }
  return total / static_cast<double>(y.size());
}

}  // namespace

XgbModel::XgbModel() = default;
XgbModel::~XgbModel() = default;

absl::StatusOr<std::unique_ptr<XgbModel>> XgbModel::Train(
    const Eigen::Ref<const Eigen::MatrixXd>& x, absl::Span<const double> y,
    std::vector<std::string> feature_names, const XgbOptions& options,
    const Eigen::MatrixXd* valid_x, absl::Span<const double> valid_y) {
  COHORT_RETURN_IF_ERROR(CheckOptions(options));
  const Eigen::Index d = x.cols();
  if (x.rows() < 1 || d < 1) {
    return absl::InvalidArgumentError("XGBoost needs at least 1 row and 1 feature");
  }
  if (feature_names.empty()) {
    for (Eigen::Index j = 0; j < d; ++j) feature_names.push_back(absl::StrCat("f", j));
  }
  if (static_cast<Eigen::Index>(feature_names.size()) != d) {
    return absl::InvalidArgumentError(
        absl::StrCat("got ", feature_names.size(), " feature names for ", d, " features"));
  }
  if (valid_x != nullptr && (valid_x->cols() != d || valid_x->rows() < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("validation data must have rows and ", d, " features"));
  }
  if (options.early_stopping_rounds > 0 && valid_x == nullptr) {
    return absl::InvalidArgumentError("early_stopping_rounds needs validation data");
  }
  COHORT_ASSIGN_OR_RETURN(DMatrixPtr train, LabeledDMatrix(x, y, options.train_threads));
  DMatrixPtr valid;
  if (valid_x != nullptr) {
    COHORT_ASSIGN_OR_RETURN(valid, LabeledDMatrix(*valid_x, valid_y, options.train_threads));
  }
  DMatrixHandle cached[2] = {train.get(), valid.get()};
  BoosterHandle raw = nullptr;
  COHORT_RETURN_IF_ERROR(
      XgbCheck(XGBoosterCreate(cached, valid ? 2 : 1, &raw), "booster creation"));
  BoosterPtr booster(raw);
  std::vector<std::pair<std::string, std::string>> params = {
      {"objective", "binary:logistic"},
      {"eval_metric", "logloss"},
      {"max_depth", absl::StrCat(options.max_depth)},
      {"eta", Num(options.eta)},
      {"subsample", Num(options.subsample)},
      {"colsample_bytree", Num(options.colsample_bytree)},
      {"min_child_weight", Num(options.min_child_weight)},
      {"lambda", Num(options.lambda)},
      {"alpha", Num(options.alpha)},
      {"tree_method", options.tree_method},
      {"seed", absl::StrCat(options.seed)},
      {"nthread", absl::StrCat(options.train_threads)},
      {"verbosity", absl::StrCat(options.verbosity)}};
  params.insert(params.end(), options.extra_params.begin(), options.extra_params.end());
  for (const auto& [name, value] : params) {
    COHORT_RETURN_IF_ERROR(XgbCheck(XGBoosterSetParam(booster.get(), name.c_str(), value.c_str()),
                                    absl::StrCat("parameter ", name, "=", value)));
  }
  int32_t rounds = 0, best_rounds = 0;
  double best_loss = std::numeric_limits<double>::infinity();
  for (int32_t i = 0; i < options.num_rounds; ++i) {
    COHORT_RETURN_IF_ERROR(
        XgbCheck(XGBoosterUpdateOneIter(booster.get(), i, train.get()), "boosting round"));
    rounds = i + 1;
    if (options.early_stopping_rounds == 0) continue;
    COHORT_ASSIGN_OR_RETURN(const double loss,
                            ValidationLogLoss(booster.get(), valid.get(), valid_y));
    if (loss < best_loss) {
      best_loss = loss;
      best_rounds = rounds;
    } else if (rounds - best_rounds >= options.early_stopping_rounds) {
      break;
    }
  }
  if (options.early_stopping_rounds > 0 && best_rounds < rounds) {
    BoosterHandle sliced = nullptr;
    COHORT_RETURN_IF_ERROR(
        XgbCheck(XGBoosterSlice(booster.get(), 0, best_rounds, 1, &sliced), "slicing"));
    booster.reset(sliced);
    rounds = best_rounds;
  }
  bst_ulong length = 0;
  const char* data = nullptr;
  COHORT_RETURN_IF_ERROR(
      XgbCheck(XGBoosterSaveModelToBuffer(booster.get(), R"({"format": "ubj"})", &length, &data),
               "saving the model"));
  // Serve from the saved bytes, exactly as a scorer that loads the artifact would.
  return Load(std::string(data, length), std::move(feature_names), rounds, options.predict_handles);
}

absl::StatusOr<std::unique_ptr<XgbModel>> XgbModel::Load(std::string booster_bytes,
                                                         std::vector<std::string> feature_names,
                                                         int32_t rounds, int32_t handles) {
  if (handles < 1) return absl::InvalidArgumentError("predict_handles must be >= 1");
  auto model = std::unique_ptr<XgbModel>(new XgbModel());
  model->pool_ = std::make_unique<internal::BoosterPool>();
  // The first handle is checked and compiled; further handles are only needed when the C
  // API serves predictions (a model outside the compiled subset).
  for (int32_t h = 0; h < handles && (h == 0 || model->forest_ == nullptr); ++h) {
    BoosterHandle raw = nullptr;
    COHORT_RETURN_IF_ERROR(XgbCheck(XGBoosterCreate(nullptr, 0, &raw), "booster creation"));
    BoosterPtr booster(raw);
    COHORT_RETURN_IF_ERROR(XgbCheck(
        XGBoosterLoadModelFromBuffer(booster.get(), booster_bytes.data(), booster_bytes.size()),
        "loading the booster", absl::StatusCode::kDataLoss));
    COHORT_RETURN_IF_ERROR(
        XgbCheck(XGBoosterSetParam(booster.get(), "nthread", "1"), "setting nthread"));
    if (h == 0) {
      bst_ulong num_features = 0;
      COHORT_RETURN_IF_ERROR(
          XgbCheck(XGBoosterGetNumFeature(booster.get(), &num_features), "reading num_feature"));
      if (num_features != feature_names.size()) {
        return absl::DataLossError(absl::StrCat("XGBoost booster reads ", num_features,
                                                " features but the artifact names ",
                                                feature_names.size()));
      }
      bst_ulong config_length = 0;
      const char* config = nullptr;
      COHORT_RETURN_IF_ERROR(XgbCheck(
          XGBoosterSaveJsonConfig(booster.get(), &config_length, &config), "reading the config"));
      if (!absl::StrContains(absl::string_view(config, config_length), "binary:logistic")) {
        return absl::DataLossError("XGBoost booster is not a binary:logistic model");
      }
      bst_ulong json_length = 0;
      const char* json = nullptr;
      COHORT_RETURN_IF_ERROR(XgbCheck(
          XGBoosterSaveModelToBuffer(booster.get(), R"({"format": "json"})", &json_length, &json),
          "saving the model as JSON"));
      absl::StatusOr<internal::CompiledForest> forest = internal::CompiledForest::FromJson(
          absl::string_view(json, json_length), feature_names.size());
      // Outside the compiled subset (FailedPrecondition) the C API serves; anything else
      // means the booster and its JSON disagree.
      if (forest.ok()) {
        model->forest_ = std::make_unique<internal::CompiledForest>(*std::move(forest));
      } else if (forest.status().code() != absl::StatusCode::kFailedPrecondition) {
        return forest.status();
      }
    }
    auto slot = std::make_unique<internal::BoosterSlot>();
    {
      absl::MutexLock lock(&slot->mu);
      slot->booster = std::move(booster);
    }
    model->pool_->slots.push_back(std::move(slot));
  }
  model->feature_names_ = std::move(feature_names);
  model->booster_bytes_ = std::move(booster_bytes);
  model->rounds_ = rounds;
  return model;
}

absl::StatusOr<std::vector<float>> XgbModel::Run(const std::vector<float>& data, size_t rows,
                                                 int type) const {
  COHORT_ASSIGN_OR_RETURN(DMatrixPtr matrix, MakeDMatrix(data, rows, feature_names_.size(), 1));
  const std::string config = absl::StrCat(
      R"({"type": )", type,
      R"(, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})");
  // Take a free handle, starting from one picked by thread id; wait on that one if all busy.
  const auto& slots = pool_->slots;
  const size_t start = std::hash<std::thread::id>{}(std::this_thread::get_id()) % slots.size();
  internal::BoosterSlot* slot = nullptr;
  for (size_t i = 0; i < slots.size() && slot == nullptr; ++i) {
    internal::BoosterSlot* candidate = slots[(start + i) % slots.size()].get();
    if (candidate->mu.TryLock()) slot = candidate;
  }
  if (slot == nullptr) {
    slot = slots[start].get();
    slot->mu.Lock();
  }
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  const int rc = XGBoosterPredictFromDMatrix(slot->booster.get(), matrix.get(), config.c_str(),
                                             &shape, &dim, &out);
  std::vector<float> result;
  if (rc == 0) {
    size_t size = 1;
    for (bst_ulong i = 0; i < dim; ++i) size *= shape[i];
    result.assign(out, out + size);  // copy before the handle's next call
  }
  absl::Status status = XgbCheck(rc, "prediction");
  slot->mu.Unlock();
  COHORT_RETURN_IF_ERROR(status);
  return result;
}

absl::Status XgbModel::ToFloats(absl::Span<const double> features, std::vector<float>& out) const {
  if (features.size() != feature_names_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("XGBoost model expects ", feature_names_.size(),
                                                   " features; got ", features.size()));
  }
  return RowMajorFloats(Eigen::Map<const Eigen::Matrix<double, 1, Eigen::Dynamic>>(
                            features.data(), static_cast<Eigen::Index>(features.size())),
                        out);
}

absl::StatusOr<double> XgbModel::PredictMargin(absl::Span<const double> features) const {
  std::vector<float> data;
  COHORT_RETURN_IF_ERROR(ToFloats(features, data));
  if (forest_ != nullptr) return static_cast<double>(forest_->Margin(data));
  COHORT_ASSIGN_OR_RETURN(const std::vector<float> out, Run(data, 1, /*type=margin*/ 1));
  return static_cast<double>(out.at(0));
}

absl::StatusOr<std::vector<double>> XgbModel::PredictMarginBatch(
    const Eigen::Ref<const Eigen::MatrixXd>& rows) const {
  if (static_cast<size_t>(rows.cols()) != feature_names_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("XGBoost model expects ", feature_names_.size(),
                                                   " features; got ", rows.cols()));
  }
  if (rows.rows() == 0) return std::vector<double>();
  std::vector<float> data;
  COHORT_RETURN_IF_ERROR(RowMajorFloats(rows, data));
  if (forest_ != nullptr) {
    const size_t d = feature_names_.size();
    std::vector<double> margins(static_cast<size_t>(rows.rows()));
    for (size_t i = 0; i < margins.size(); ++i) {
      margins[i] = forest_->Margin(absl::MakeConstSpan(data).subspan(i * d, d));
    }
    return margins;
  }
  COHORT_ASSIGN_OR_RETURN(const std::vector<float> out,
                          Run(data, static_cast<size_t>(rows.rows()), /*type=margin*/ 1));
  return std::vector<double>(out.begin(), out.end());
}

absl::StatusOr<Explanation> XgbModel::Explain(absl::Span<const double> features,
                                              size_t top_k) const {
  std::vector<float> data;
  COHORT_RETURN_IF_ERROR(ToFloats(features, data));
  std::vector<float> margin;
  std::vector<float> contribs;
  if (forest_ != nullptr) {
    margin = {forest_->Margin(data)};
    forest_->Contributions(data, contribs);
  } else {
    COHORT_ASSIGN_OR_RETURN(margin, Run(data, 1, /*type=margin*/ 1));
    COHORT_ASSIGN_OR_RETURN(contribs, Run(data, 1, /*type=approx contribs*/ 3));
  }
  const size_t d = feature_names_.size();
  if (contribs.size() != d + 1) {
    return absl::InternalError(
        absl::StrCat("XGBoost returned ", contribs.size(), " contributions for ", d, " features"));
  }
  Explanation e;
  e.margin = margin.at(0);
  e.probability = Sigmoid(e.margin);
  e.bias = contribs[d];
  e.contributions.reserve(d);
  for (size_t j = 0; j < d; ++j) e.contributions.push_back({j, contribs[j]});
  SortContributions(e.contributions, top_k);
  return e;
}

std::string XgbModel::Serialize() const {
  proto::XgbModelProto p;
  for (const std::string& name : feature_names_) p.add_feature_names(name);
  p.set_booster(booster_bytes_);
  p.set_booster_format("ubj");
  p.set_rounds(rounds_);
  return envelope::Wrap(kArtifactKind, kVersion, p.SerializeAsString());
}

absl::StatusOr<std::unique_ptr<XgbModel>> XgbModel::Deserialize(absl::string_view bytes,
                                                                int32_t predict_handles) {
  COHORT_ASSIGN_OR_RETURN(const absl::string_view payload,
                          envelope::Unwrap(bytes, kArtifactKind, kVersion, "XGBoost model"));
  proto::XgbModelProto p;
  if (!p.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
      p.feature_names_size() < 1 || p.booster().empty() ||
      (p.booster_format() != "ubj" && p.booster_format() != "json")) {
    return absl::DataLossError("XGBoost model payload is malformed");
  }
  return Load(p.booster(), {p.feature_names().begin(), p.feature_names().end()}, p.rounds(),
              predict_handles);
}

}  // namespace cohort::models::propensity
