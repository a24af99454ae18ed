// Propensity inference (models/propensity): logistic regression and XGBoost on one
// customer's 20 features — the margin alone and with the top-3 contributions the scorer
// returns (Explain).
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "absl/strings/str_cat.h"
#include "bench/micro/micro_util.h"
#include "benchmark/benchmark.h"
#include "models/propensity/logistic_regression.h"
#include "models/propensity/xgboost_model.h"

namespace cohort::models::propensity {
namespace {

constexpr int kRows = 2000;
constexpr int kFeatures = 20;

// Rows of standard normal features and labels drawn from a logistic model on a few of them.
struct Data {
  Eigen::MatrixXd x{kRows, kFeatures};
  std::vector<double> y;
  std::vector<std::string> names;
};

const Data& Synthetic() {
  static const Data* data = [] {
    auto* d = new Data;
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal;
    std::uniform_real_distribution<double> uniform;
    for (int f = 0; f < kFeatures; ++f) d->names.push_back(absl::StrCat("f", f));
    for (int i = 0; i < kRows; ++i) {
      for (int f = 0; f < kFeatures; ++f) d->x(i, f) = normal(rng);
      const double margin = 0.8 * d->x(i, 0) - 1.2 * d->x(i, 3) + 0.5 * d->x(i, 7) - 0.5;
      d->y.push_back(uniform(rng) < 1 / (1 + std::exp(-margin)) ? 1.0 : 0.0);
    }
    return d;
  }();
  return *data;
}

const PropensityModel& Logistic() {
  static const auto* model =
      micro::OrDie(LogisticRegression::Fit(Synthetic().x, Synthetic().y, Synthetic().names),
                   "logistic regression fit")
          .release();
  return *model;
}

const PropensityModel& Xgb() {
  static const auto* model = [] {
    XgbOptions options;
    options.num_rounds = 100;
    options.verbosity = 0;
    return micro::OrDie(XgbModel::Train(Synthetic().x, Synthetic().y, Synthetic().names, options),
                        "xgboost train")
        .release();
  }();
  return *model;
}

std::vector<double> Row(int i) {
  const Eigen::VectorXd row = Synthetic().x.row(i);
  return {row.data(), row.data() + row.size()};
}

void BM_LogisticMargin(benchmark::State& state) {
  const PropensityModel& model = Logistic();
  const std::vector<double> row = Row(1);
  for (auto _ : state) benchmark::DoNotOptimize(model.PredictMargin(row));
}
BENCHMARK(BM_LogisticMargin);

void BM_LogisticExplainTop3(benchmark::State& state) {
  const PropensityModel& model = Logistic();
  const std::vector<double> row = Row(1);
  for (auto _ : state) benchmark::DoNotOptimize(model.Explain(row, 3));
}
BENCHMARK(BM_LogisticExplainTop3);

void BM_XgboostMargin(benchmark::State& state) {
  const PropensityModel& model = Xgb();
  const std::vector<double> row = Row(1);
  for (auto _ : state) benchmark::DoNotOptimize(model.PredictMargin(row));
  state.counters["trees"] = 100;
}
BENCHMARK(BM_XgboostMargin);

void BM_XgboostExplainTop3(benchmark::State& state) {
  const PropensityModel& model = Xgb();
  const std::vector<double> row = Row(1);
  for (auto _ : state) benchmark::DoNotOptimize(model.Explain(row, 3));
  state.counters["trees"] = 100;
}
BENCHMARK(BM_XgboostExplainTop3);

}  // namespace
}  // namespace cohort::models::propensity
