// The compiled trees (models/propensity/xgboost_forest.h) against XGBoost's own predictions
// through the C API, on the same booster: margins and approximate contributions of rows with
// and without missing values, for models trained with missing values, deep trees and early
// stopping; and the refusal of JSON outside the compiled subset.
#include "models/propensity/xgboost_forest.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "gtest/gtest.h"
#include "models/common/model_envelope.h"
#include "models/propensity/propensity_model.pb.h"
#include "models/propensity/xgboost_model.h"

namespace cohort::models::propensity {
namespace {

struct BoosterFree {
  void operator()(void* h) const { XGBoosterFree(h); }
};
struct DMatrixFree {
  void operator()(void* h) const { XGDMatrixFree(h); }
};

// The booster inside an XgbModel artifact, loaded through the C API.
std::unique_ptr<void, BoosterFree> BoosterOf(const XgbModel& model) {
  const std::string artifact = model.Serialize();
  const absl::StatusOr<absl::string_view> payload =
      envelope::Unwrap(artifact, XgbModel::kArtifactKind, 1, "XGBoost model");
  EXPECT_TRUE(payload.ok()) << payload.status();
  proto::XgbModelProto p;
  EXPECT_TRUE(p.ParseFromArray(payload->data(), static_cast<int>(payload->size())));
  BoosterHandle raw = nullptr;
  EXPECT_EQ(XGBoosterCreate(nullptr, 0, &raw), 0);
  std::unique_ptr<void, BoosterFree> booster(raw);
  EXPECT_EQ(XGBoosterLoadModelFromBuffer(raw, p.booster().data(), p.booster().size()), 0);
  EXPECT_EQ(XGBoosterSetParam(raw, "nthread", "1"), 0);
  return booster;
}

// XGBoost's prediction of `type` (1 margin, 3 approximate contributions) for float rows.
std::vector<float> XgbPredict(void* booster, const std::vector<float>& rows, size_t n, size_t d,
                              int type) {
  DMatrixHandle raw = nullptr;
  EXPECT_EQ(XGDMatrixCreateFromMat(rows.data(), n, d, NAN, &raw), 0);
  std::unique_ptr<void, DMatrixFree> matrix(raw);
  const std::string config = "{\"type\": " + std::to_string(type) +
                             ", \"training\": false, \"iteration_begin\": 0, "
                             "\"iteration_end\": 0, \"strict_shape\": false}";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  EXPECT_EQ(XGBoosterPredictFromDMatrix(booster, raw, config.c_str(), &shape, &dim, &out), 0);
  size_t size = 1;
  for (bst_ulong i = 0; i < dim; ++i) size *= shape[i];
  return std::vector<float>(out, out + size);
}

std::string JsonOf(void* booster) {
  bst_ulong length = 0;
  const char* json = nullptr;
  EXPECT_EQ(XGBoosterSaveModelToBuffer(booster, R"({"format": "json"})", &length, &json), 0);
  return std::string(json, length);
}

// d features; about `missing` of the values NaN; y depends on x0, x1 and whether x2 is set.
void Data(int n, size_t d, double missing, uint64_t seed, Eigen::MatrixXd& x,
          std::vector<double>& y) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unit;
  x.resize(n, static_cast<Eigen::Index>(d));
  y.clear();
  for (int i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) {
      x(i, static_cast<Eigen::Index>(j)) = unit(rng) < missing ? NAN : normal(rng);
    }
    const double x0 = std::isnan(x(i, 0)) ? 0.5 : x(i, 0);
    const double x1 = std::isnan(x(i, 1)) ? -0.5 : x(i, 1);
    const double logit = x0 * x1 + 0.8 * x0 + (std::isnan(x(i, 2)) ? 1.0 : 0.0);
    y.push_back(unit(rng) < 1 / (1 + std::exp(-logit)) ? 1 : 0);
  }
}

void ExpectMatchesXgboost(const XgbOptions& options, double missing) {
  const size_t d = 6;
  Eigen::MatrixXd x, valid_x, test_x;
  std::vector<double> y, valid_y, test_y;
  Data(3000, d, missing, 1, x, y);
  Data(500, d, missing, 2, valid_x, valid_y);
  Data(400, d, missing, 3, test_x, test_y);
  const absl::StatusOr<std::unique_ptr<XgbModel>> model =
      XgbModel::Train(x, y, {}, options, options.early_stopping_rounds > 0 ? &valid_x : nullptr,
                      options.early_stopping_rounds > 0 ? absl::MakeConstSpan(valid_y)
                                                        : absl::Span<const double>());
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_TRUE((*model)->compiled());
  const auto booster = BoosterOf(**model);
  const absl::StatusOr<internal::CompiledForest> forest =
      internal::CompiledForest::FromJson(JsonOf(booster.get()), d);
  ASSERT_TRUE(forest.ok()) << forest.status();
  EXPECT_EQ(forest->num_trees(), static_cast<size_t>((*model)->rounds()));

  const auto n = static_cast<size_t>(test_x.rows());
  std::vector<float> rows(n * d);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) {
      rows[i * d + j] =
          static_cast<float>(test_x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)));
    }
  }
  const std::vector<float> margins = XgbPredict(booster.get(), rows, n, d, 1);
  const std::vector<float> contribs = XgbPredict(booster.get(), rows, n, d, 3);
  ASSERT_EQ(margins.size(), n);
  ASSERT_EQ(contribs.size(), n * (d + 1));
  std::vector<float> got;
  for (size_t i = 0; i < n; ++i) {
    const absl::Span<const float> row = absl::MakeConstSpan(rows).subspan(i * d, d);
    // The same float additions in the same order: the same bits.
    EXPECT_EQ(forest->Margin(row), margins[i]) << "row " << i;
    forest->Contributions(row, got);
    for (size_t j = 0; j <= d; ++j) {
      EXPECT_EQ(got[j], contribs[i * (d + 1) + j]) << "row " << i << " column " << j;
    }
    // And the model serves them.
    std::vector<double> features(d);
    for (size_t j = 0; j < d; ++j) features[j] = row[j];
    EXPECT_EQ(*(*model)->PredictMargin(features), static_cast<double>(margins[i]));
    const absl::StatusOr<Explanation> e = (*model)->Explain(features);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->bias, static_cast<double>(contribs[i * (d + 1) + d]));
    for (const auto& c : e->contributions) {
      EXPECT_EQ(c.contribution, static_cast<double>(contribs[i * (d + 1) + c.feature]));
    }
  }
}

TEST(CompiledForestTest, MatchesXgboostOnShallowTrees) {
  ExpectMatchesXgboost({.num_rounds = 50, .max_depth = 3, .verbosity = 0}, 0.0);
}

TEST(CompiledForestTest, MatchesXgboostWithMissingValuesAndDeepTrees) {
  ExpectMatchesXgboost({.num_rounds = 80, .max_depth = 8, .eta = 0.3, .verbosity = 0}, 0.2);
}

TEST(CompiledForestTest, MatchesXgboostAfterEarlyStoppingAndSubsampling) {
  ExpectMatchesXgboost({.num_rounds = 300,
                        .max_depth = 5,
                        .eta = 0.3,
                        .subsample = 0.7,
                        .colsample_bytree = 0.6,
                        .seed = 5,
                        .verbosity = 0,
                        .early_stopping_rounds = 10},
                       0.1);
}

TEST(CompiledForestTest, RefusesModelsOutsideTheCompiledSubset) {
  const std::string tree =
      R"({"left_children":[-1],"right_children":[-1],"split_indices":[0],)"
      R"("split_conditions":[0.5],"default_left":[0],"split_type":[0],"sum_hessian":[1]})";
  auto json = [&](const std::string& objective, const std::string& booster,
                  const std::string& base_score) {
    return R"({"learner":{"objective":{"name":")" + objective +
           R"("},"gradient_booster":{"name":")" + booster +
           R"(","model":{"gbtree_model_param":{"num_parallel_tree":"1"},"trees":[)" + tree +
           R"(]}},"learner_model_param":{"base_score":")" + base_score + R"("}}})";
  };
  const auto ok = internal::CompiledForest::FromJson(json("binary:logistic", "gbtree", "5E-1"), 1);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->Margin(std::vector<float>{0.0f}), 0.5f);  // logit(0.5) = 0, plus the leaf
  EXPECT_EQ(internal::CompiledForest::FromJson(json("reg:squarederror", "gbtree", "5E-1"), 1)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(internal::CompiledForest::FromJson(json("binary:logistic", "dart", "5E-1"), 1)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      internal::CompiledForest::FromJson(json("binary:logistic", "gbtree", "1"), 1).status().code(),
      absl::StatusCode::kDataLoss);
  EXPECT_EQ(internal::CompiledForest::FromJson("{not json", 1).status().code(),
            absl::StatusCode::kDataLoss);
  // A split on a feature the model does not have.
  const std::string bad_split =
      R"({"learner":{"objective":{"name":"binary:logistic"},"gradient_booster":{"name":"gbtree",)"
      R"("model":{"gbtree_model_param":{"num_parallel_tree":"1"},"trees":[{"left_children":[1,-1,-1],)"
      R"("right_children":[2,-1,-1],"split_indices":[7,0,0],"split_conditions":[0,1,2],)"
      R"("default_left":[1,0,0],"split_type":[0,0,0],"sum_hessian":[2,1,1]}]}},)"
      R"("learner_model_param":{"base_score":"5E-1"}}})";
  EXPECT_EQ(internal::CompiledForest::FromJson(bad_split, 3).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace cohort::models::propensity
