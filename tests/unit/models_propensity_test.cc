// Propensity models (models/propensity/): logistic regression, XGBoost, calibration, the
// common interface and model bytes.
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "Eigen/Cholesky"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "models/common/model_envelope.h"
#include "models/metrics/classification.h"
#include "models/propensity/calibration.h"
#include "models/propensity/logistic_regression.h"
#include "models/propensity/propensity_model.h"
#include "models/propensity/propensity_model.pb.h"
#include "models/propensity/xgboost_model.h"

namespace cohort::models::propensity {
namespace {

using ::testing::HasSubstr;

std::vector<double> Row(const Eigen::MatrixXd& x, Eigen::Index i) {
  std::vector<double> row(static_cast<size_t>(x.cols()));
  for (Eigen::Index j = 0; j < x.cols(); ++j) row[static_cast<size_t>(j)] = x(i, j);
  return row;
}

double Uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// ---------------------------------------------------------------- logistic regression

TEST(LogisticRegressionTest, MatchesClosedFormOptimum) {
  // One binary feature, no penalty: the MLE reproduces the per-group rates exactly.
  // x = 0: 1 of 4 positive -> intercept = logit(1/4) = -ln 3;
  // x = 1: 3 of 4 positive -> intercept + slope = logit(3/4) = ln 3.
  Eigen::MatrixXd x(8, 1);
  x << 0, 0, 0, 0, 1, 1, 1, 1;
  const std::vector<double> y = {1, 0, 0, 0, 1, 1, 1, 0};
  absl::StatusOr<std::unique_ptr<LogisticRegression>> model =
      LogisticRegression::Fit(x, y, {"bought_before"}, {.l2 = 0.0});
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_TRUE((*model)->fit_info().converged);
  EXPECT_NEAR((*model)->RawIntercept(), -std::log(3.0), 1e-9);
  EXPECT_NEAR((*model)->RawWeights()[0], 2 * std::log(3.0), 1e-9);
  EXPECT_NEAR(*(*model)->Predict({0.0}), 0.25, 1e-9);
  EXPECT_NEAR(*(*model)->Predict({1.0}), 0.75, 1e-9);
}

// Two correlated features plus noise labels, for the penalized tests.
void TinyDataset(Eigen::MatrixXd& x, std::vector<double>& y) {
  std::mt19937_64 rng(5);
  x.resize(60, 2);
  y.clear();
  for (Eigen::Index i = 0; i < 60; ++i) {
    x(i, 0) = 10 * Uniform(rng);
    x(i, 1) = 100 * Uniform(rng) + 5 * x(i, 0);
    const double p = 1 / (1 + std::exp(-(0.6 * x(i, 0) - 0.02 * x(i, 1))));
    y.push_back(Uniform(rng) < p ? 1 : 0);
  }
}

TEST(LogisticRegressionTest, GradientVanishesAtThePenalizedSolution) {
  Eigen::MatrixXd x;
  std::vector<double> y;
  TinyDataset(x, y);
  const double l2 = 2.5;
  absl::StatusOr<std::unique_ptr<LogisticRegression>> model =
      LogisticRegression::Fit(x, y, {"a", "b"}, {.l2 = l2});
  ASSERT_TRUE(model.ok()) << model.status();
  const LogisticRegression& m = **model;
  EXPECT_TRUE(m.fit_info().converged);
  // Recompute the gradient of sum logloss + l2/2 |w|^2 independently of the fitter.
  Eigen::Vector3d gradient = Eigen::Vector3d::Zero();
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const Eigen::Vector2d z = (x.row(i).transpose() - m.means()).cwiseQuotient(m.stds());
    const double p = Sigmoid(m.intercept() + m.weights().dot(z));
    const double r = p - y[static_cast<size_t>(i)];
    gradient += Eigen::Vector3d(r, r * z[0], r * z[1]);
  }
  gradient.tail(2) += l2 * m.weights();
  EXPECT_LT(gradient.cwiseAbs().maxCoeff(), 1e-8);
  // Standardization is population mean / std.
  EXPECT_NEAR(m.means()[0], x.col(0).mean(), 1e-12);
  EXPECT_NEAR(m.stds()[0], std::sqrt((x.col(0).array() - x.col(0).mean()).square().mean()), 1e-12);
}

TEST(LogisticRegressionTest, UnpenalizedMatchesDirectNewtonSolveOnRawFeatures) {
  Eigen::MatrixXd x;
  std::vector<double> y;
  TinyDataset(x, y);
  // Plain Newton on [1, x] in raw units.
  Eigen::MatrixXd a(x.rows(), 3);
  a << Eigen::VectorXd::Ones(x.rows()), x;
  const Eigen::VectorXd yv = Eigen::Map<const Eigen::VectorXd>(y.data(), x.rows());
  Eigen::Vector3d beta = Eigen::Vector3d::Zero();
  for (int it = 0; it < 50; ++it) {
    const Eigen::VectorXd p = (a * beta).unaryExpr([](double t) { return 1 / (1 + std::exp(-t)); });
    const Eigen::VectorXd w = p.array() * (1 - p.array());
    beta -= (a.transpose() * w.asDiagonal() * a).ldlt().solve(a.transpose() * (p - yv));
  }
  absl::StatusOr<std::unique_ptr<LogisticRegression>> model =
      LogisticRegression::Fit(x, y, {}, {.l2 = 0.0});
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_NEAR((*model)->RawIntercept(), beta[0], 1e-7);
  EXPECT_NEAR((*model)->RawWeights()[0], beta[1], 1e-8);
  EXPECT_NEAR((*model)->RawWeights()[1], beta[2], 1e-9);
  EXPECT_EQ((*model)->feature_names(), (std::vector<std::string>{"f0", "f1"}));
}

TEST(LogisticRegressionTest, ContributionsAreWeightTimesStandardizedValue) {
  Eigen::MatrixXd x;
  std::vector<double> y;
  TinyDataset(x, y);
  absl::StatusOr<std::unique_ptr<LogisticRegression>> model =
      LogisticRegression::Fit(x, y, {"a", "b"});
  ASSERT_TRUE(model.ok());
  const LogisticRegression& m = **model;
  const std::vector<double> row = {7.0, 20.0};
  absl::StatusOr<Explanation> e = m.Explain(row);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->contributions.size(), 2u);
  EXPECT_GE(std::abs(e->contributions[0].contribution), std::abs(e->contributions[1].contribution));
  double sum = e->bias;
  for (const FeatureContribution& c : e->contributions) {
    const double z =
        (row[c.feature] - m.means()[Eigen::Index(c.feature)]) / m.stds()[Eigen::Index(c.feature)];
    EXPECT_NEAR(c.contribution, m.weights()[Eigen::Index(c.feature)] * z, 1e-12);
    sum += c.contribution;
  }
  EXPECT_NEAR(sum, e->margin, 1e-12);
  EXPECT_NEAR(e->probability, *m.Predict(row), 1e-15);
  EXPECT_EQ(m.Explain(row, 1)->contributions.size(), 1u);
  // A missing value is imputed with the mean: contribution 0.
  absl::StatusOr<Explanation> missing = m.Explain({NAN, 20.0});
  ASSERT_TRUE(missing.ok());
  for (const FeatureContribution& c : missing->contributions) {
    if (c.feature == 0) {
      EXPECT_EQ(c.contribution, 0.0);
    }
  }
  EXPECT_EQ(m.Predict({1.0}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.Predict({1.0, INFINITY}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LogisticRegressionTest, RefusesBadTrainingData) {
  Eigen::MatrixXd x(3, 1);
  x << 1, 2, 3;
  EXPECT_EQ(LogisticRegression::Fit(x, {0, 1}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LogisticRegression::Fit(x, {0, 1, 2}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LogisticRegression::Fit(x, {1, 1, 1}, {}, {.l2 = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(LogisticRegression::Fit(x, {1, 1, 1}, {}, {.l2 = 1}).ok());
}

// ---------------------------------------------------------------- XGBoost

// y = 1 when x0 and x1 have the same sign (an XOR-like rule no linear model can learn);
// x2 is noise.
void XorData(int n, uint64_t seed, Eigen::MatrixXd& x, std::vector<double>& y) {
  std::mt19937_64 rng(seed);
  x.resize(n, 3);
  y.clear();
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < 3; ++j) x(i, j) = 2 * Uniform(rng) - 1;
    y.push_back(x(i, 0) * x(i, 1) > 0 ? 1 : 0);
  }
}

class XgbModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    XorData(2000, 1, train_x_, train_y_);
    XorData(1000, 2, test_x_, test_y_);
    absl::StatusOr<std::unique_ptr<XgbModel>> model = XgbModel::Train(
        train_x_, train_y_, {"x0", "x1", "noise"}, {.num_rounds = 60, .verbosity = 0});
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = std::move(model).value().release();
  }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }

  static Eigen::MatrixXd train_x_, test_x_;
  static std::vector<double> train_y_, test_y_;
  static XgbModel* model_;  // owned by the suite
};
Eigen::MatrixXd XgbModelTest::train_x_, XgbModelTest::test_x_;
std::vector<double> XgbModelTest::train_y_, XgbModelTest::test_y_;
XgbModel* XgbModelTest::model_ = nullptr;

TEST_F(XgbModelTest, LearnsANonlinearRule) {
  absl::StatusOr<std::vector<double>> p = model_->PredictBatch(test_x_);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_GT(*metrics::RocAuc(*p, test_y_), 0.95);
  // A linear model cannot: its AUC stays near chance.
  absl::StatusOr<std::unique_ptr<LogisticRegression>> linear =
      LogisticRegression::Fit(train_x_, train_y_, {});
  EXPECT_LT(*metrics::RocAuc(*(*linear)->PredictBatch(test_x_), test_y_), 0.65);
  EXPECT_EQ(model_->rounds(), 60);
  EXPECT_EQ(model_->kind(), "xgboost");
}

TEST_F(XgbModelTest, SingleAndBatchPredictionsAgree) {
  absl::StatusOr<std::vector<double>> batch = model_->PredictMarginBatch(test_x_.topRows(50));
  ASSERT_TRUE(batch.ok());
  for (Eigen::Index i = 0; i < 50; ++i) {
    EXPECT_EQ(*model_->PredictMargin(Row(test_x_, i)), (*batch)[size_t(i)]);
    EXPECT_DOUBLE_EQ(*model_->Predict(Row(test_x_, i)), Sigmoid((*batch)[size_t(i)]));
  }
}

TEST_F(XgbModelTest, ContributionsSumToTheMargin) {
  for (Eigen::Index i = 0; i < 20; ++i) {
    absl::StatusOr<Explanation> e = model_->Explain(Row(test_x_, i));
    ASSERT_TRUE(e.ok()) << e.status();
    ASSERT_EQ(e->contributions.size(), 3u);
    double sum = e->bias;
    for (size_t c = 0; c < e->contributions.size(); ++c) {
      sum += e->contributions[c].contribution;
      if (c > 0) {
        EXPECT_GE(std::abs(e->contributions[c - 1].contribution),
                  std::abs(e->contributions[c].contribution));
      }
    }
    EXPECT_NEAR(sum, e->margin, 1e-4);
    EXPECT_EQ(e->margin, *model_->PredictMargin(Row(test_x_, i)));
    // The noise feature never dominates.
    EXPECT_NE(e->contributions[0].feature, 2u);
  }
  EXPECT_EQ(model_->Explain(Row(test_x_, 0), 2)->contributions.size(), 2u);
}

TEST_F(XgbModelTest, MissingAndBadInput) {
  EXPECT_TRUE(model_->Predict({NAN, 0.5, 0.1}).ok());  // NaN = missing
  EXPECT_EQ(model_->Predict({0.5, 0.1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(model_->Predict({INFINITY, 0.5, 0.1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(model_->Predict({1e300, 0.5, 0.1}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(XgbModelTest, ConcurrentPredictionsMatchSerialOnes) {
  std::vector<double> expected;
  for (Eigen::Index i = 0; i < 200; ++i) expected.push_back(*model_->Predict(Row(test_x_, i)));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(6, 0);
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 3; ++rep) {
        for (Eigen::Index i = 0; i < 200; ++i) {
          absl::StatusOr<double> p = model_->Predict(Row(test_x_, i));
          if (!p.ok() || *p != expected[size_t(i)]) ++mismatches[size_t(t)];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(6, 0));
}

TEST_F(XgbModelTest, SerializationRoundTripGivesIdenticalPredictions) {
  const std::string bytes = model_->Serialize();
  absl::StatusOr<std::unique_ptr<PropensityModel>> loaded = DeserializePropensityModel(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->kind(), "xgboost");
  EXPECT_EQ((*loaded)->feature_names(), model_->feature_names());
  EXPECT_EQ(*(*loaded)->PredictBatch(test_x_), *model_->PredictBatch(test_x_));
  absl::StatusOr<std::unique_ptr<XgbModel>> one_handle = XgbModel::Deserialize(bytes, 1);
  ASSERT_TRUE(one_handle.ok());
  EXPECT_EQ(*(*one_handle)->PredictBatch(test_x_), *model_->PredictBatch(test_x_));
}

TEST_F(XgbModelTest, EarlyStoppingKeepsTheBestRounds) {
  absl::StatusOr<std::unique_ptr<XgbModel>> model =
      XgbModel::Train(train_x_, train_y_, {},
                      {.num_rounds = 400, .eta = 0.5, .verbosity = 0, .early_stopping_rounds = 5},
                      &test_x_, test_y_);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_LT((*model)->rounds(), 400);
  EXPECT_GE((*model)->rounds(), 1);
  EXPECT_GT(*metrics::RocAuc(*(*model)->PredictBatch(test_x_), test_y_), 0.95);
  EXPECT_EQ(XgbModel::Train(train_x_, train_y_, {}, {.early_stopping_rounds = 5}).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status unknown =
      XgbModel::Train(train_x_, train_y_, {},
                      {.num_rounds = 1, .verbosity = 0, .extra_params = {{"max_depth", "-3"}}})
          .status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInternal) << unknown;
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("XGBoost"));
}

TEST_F(XgbModelTest, CorruptBoosterBytesAreRefused) {
  // A well-formed envelope around a booster XGBoost cannot parse.
  proto::XgbModelProto p;
  p.add_feature_names("x0");
  p.set_booster("{\"learner\": this is not json");
  p.set_booster_format("json");
  absl::Status status =
      XgbModel::Deserialize(envelope::Wrap("XGBT", 1, p.SerializeAsString())).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  // The right booster with the wrong feature count.
  proto::XgbModelProto good;
  const std::string bytes = model_->Serialize();
  ASSERT_TRUE(good.ParseFromString(bytes.substr(28)));
  good.add_feature_names("extra");
  status = XgbModel::Deserialize(envelope::Wrap("XGBT", 1, good.SerializeAsString())).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("features"));
}

// ---------------------------------------------------------------- calibration

TEST(CalibratorTest, IsotonicMatchesHandComputedFit) {
  // Labels 0,1,0,1 at margins 1..4: PAV pools the violating middle pair to 0.5.
  absl::StatusOr<Calibrator> c = Calibrator::FitIsotonic({4, 2, 3, 1}, {1, 1, 0, 0});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->knot_margins(), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(c->knot_probabilities(), (std::vector<double>{0, 0.5, 0.5, 1}));
  EXPECT_DOUBLE_EQ(c->Apply(0), 0.0);
  EXPECT_DOUBLE_EQ(c->Apply(1.5), 0.25);
  EXPECT_DOUBLE_EQ(c->Apply(2.5), 0.5);
  EXPECT_DOUBLE_EQ(c->Apply(9), 1.0);
  // Equal margins are pooled before PAV.
  absl::StatusOr<Calibrator> tied = Calibrator::FitIsotonic({1, 1, 1, 2}, {0, 1, 1, 1});
  EXPECT_EQ(tied->knot_probabilities(), (std::vector<double>{2.0 / 3, 1}));
  EXPECT_EQ(Calibrator::FitIsotonic({1, 2}, {1, 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A deliberately miscalibrated scorer: the truth is p = sigmoid(z), the scorer says
// sigmoid(3 z + 1) (overconfident and biased up).
void Miscalibrated(int n, uint64_t seed, std::vector<double>& margins, std::vector<double>& y) {
  std::mt19937_64 rng(seed);
  margins.clear();
  y.clear();
  for (int i = 0; i < n; ++i) {
    const double z = 6 * Uniform(rng) - 3;
    y.push_back(Uniform(rng) < Sigmoid(z) ? 1 : 0);
    margins.push_back(3 * z + 1);
  }
}

TEST(CalibratorTest, PlattAndIsotonicReduceCalibrationError) {
  std::vector<double> fit_m, fit_y, test_m, test_y;
  Miscalibrated(20000, 3, fit_m, fit_y);
  Miscalibrated(20000, 4, test_m, test_y);
  std::vector<double> raw;
  for (double m : test_m) raw.push_back(Sigmoid(m));
  const double raw_ece = *metrics::ExpectedCalibrationError(raw, test_y);
  EXPECT_GT(raw_ece, 0.08);
  for (CalibrationMethod method : {CalibrationMethod::kPlatt, CalibrationMethod::kIsotonic}) {
    absl::StatusOr<Calibrator> c = Calibrator::Fit(method, fit_m, fit_y);
    ASSERT_TRUE(c.ok()) << c.status();
    std::vector<double> calibrated;
    for (double m : test_m) calibrated.push_back(c->Apply(m));
    const double ece = *metrics::ExpectedCalibrationError(calibrated, test_y);
    EXPECT_LT(ece, 0.02) << int(method);
    EXPECT_LT(*metrics::LogLoss(calibrated, test_y), *metrics::LogLoss(raw, test_y));
  }
  // Platt recovers the inverse map: sigmoid(a (3z + 1) + b) = sigmoid(z) => a = 1/3, b = -1/3.
  absl::StatusOr<Calibrator> platt = Calibrator::FitPlatt(fit_m, fit_y);
  EXPECT_NEAR(platt->platt_a(), 1.0 / 3, 0.03);
  EXPECT_NEAR(platt->platt_b(), -1.0 / 3, 0.06);
}

TEST(CalibratedModelTest, WrapsABaseModelAndRoundTrips) {
  Eigen::MatrixXd x;
  std::vector<double> y;
  TinyDataset(x, y);
  for (CalibrationMethod method : {CalibrationMethod::kPlatt, CalibrationMethod::kIsotonic}) {
    absl::StatusOr<std::unique_ptr<LogisticRegression>> base = LogisticRegression::Fit(
        x.topRows(30), std::vector<double>(y.begin(), y.begin() + 30), {"a", "b"});
    ASSERT_TRUE(base.ok());
    absl::StatusOr<std::unique_ptr<CalibratedModel>> model =
        CalibratedModel::Fit(std::move(base).value(), method, x.bottomRows(30),
                             std::vector<double>(y.begin() + 30, y.end()));
    ASSERT_TRUE(model.ok()) << model.status();
    const CalibratedModel& m = **model;
    EXPECT_EQ(m.kind(), "calibrated");
    EXPECT_EQ(m.feature_names(), (std::vector<std::string>{"a", "b"}));
    const std::vector<double> row = Row(x, 3);
    absl::StatusOr<Explanation> e = m.Explain(row);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->probability, *m.Predict(row));
    EXPECT_EQ(e->probability, m.calibrator().Apply(*m.base().PredictMargin(row)));
    EXPECT_EQ(e->margin, *m.PredictMargin(row));

    absl::StatusOr<std::unique_ptr<PropensityModel>> loaded =
        DeserializePropensityModel(m.Serialize());
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ((*loaded)->kind(), "calibrated");
    EXPECT_EQ(*(*loaded)->PredictBatch(x), *m.PredictBatch(x));
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      EXPECT_EQ(*(*loaded)->Predict(Row(x, i)), *m.Predict(Row(x, i)));
    }
  }
}

// ---------------------------------------------------------------- model bytes

TEST(PropensityBytesTest, LogisticRegressionRoundTripAndCorruption) {
  Eigen::MatrixXd x;
  std::vector<double> y;
  TinyDataset(x, y);
  absl::StatusOr<std::unique_ptr<LogisticRegression>> model =
      LogisticRegression::Fit(x, y, {"a", "b"});
  ASSERT_TRUE(model.ok());
  const std::string bytes = (*model)->Serialize();
  absl::StatusOr<std::unique_ptr<PropensityModel>> loaded = DeserializePropensityModel(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->kind(), "logistic_regression");
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    EXPECT_EQ(*(*loaded)->Predict(Row(x, i)), *(*model)->Predict(Row(x, i)));
  }

  std::string flipped = bytes;
  flipped[40] ^= 0x08;
  absl::Status status = DeserializePropensityModel(flipped).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("checksum"));
  EXPECT_EQ(DeserializePropensityModel(bytes.substr(0, 30)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DeserializePropensityModel("CH").status().code(), absl::StatusCode::kInvalidArgument);
  std::string newer = bytes;
  newer[8] = 2;
  EXPECT_EQ(DeserializePropensityModel(newer).status().code(),
            absl::StatusCode::kFailedPrecondition);
  std::string other_kind = bytes;
  other_kind.replace(4, 4, "RFMQ");  // a segmentation artifact
  status = DeserializePropensityModel(other_kind).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("not a propensity model"));
  EXPECT_EQ(XgbModel::Deserialize(bytes).status().code(), absl::StatusCode::kInvalidArgument);
  // A valid envelope whose payload disagrees with itself.
  proto::LogisticRegressionProto p;
  p.add_feature_names("a");
  status =
      LogisticRegression::Deserialize(envelope::Wrap("LOGR", 1, p.SerializeAsString())).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace cohort::models::propensity
