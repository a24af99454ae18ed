// Segmentation inference (models/segmentation): nearest behavioural cluster of one
// customer (8 features, k = 6) and its RFM score.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "Eigen/Core"
#include "bench/micro/micro_util.h"
#include "benchmark/benchmark.h"
#include "models/segmentation/cluster_model.h"
#include "models/segmentation/rfm.h"

namespace cohort::models::segmentation {
namespace {

constexpr int kFeatures = 8;

// 3000 customers around 6 centres, counts-like (non-negative) features.
const ClusterModel& Clusters() {
  static const auto* model = [] {
    std::mt19937_64 rng(11);
    std::normal_distribution<double> normal;
    Eigen::MatrixXd x(3000, kFeatures);
    for (int i = 0; i < x.rows(); ++i) {
      const int centre = i % 6;
      for (int f = 0; f < kFeatures; ++f) {
        x(i, f) = std::abs(10.0 * ((centre + f) % 4) + 3.0 * normal(rng));
      }
    }
    ClusterOptions options;
    options.min_k = 6;
    options.max_k = 6;
    options.transforms.assign(kFeatures, FeatureTransform::kLog1p);
    return new ClusterModel(micro::OrDie(ClusterModel::Fit(x, {}, options), "k-means fit"));
  }();
  return *model;
}

void BM_ClusterAssign(benchmark::State& state) {
  const ClusterModel& model = Clusters();
  const std::vector<double> row = {3, 12, 0, 25, 7, 1, 40, 2};
  for (auto _ : state) benchmark::DoNotOptimize(model.Assign(row));
  state.counters["k"] = model.k();
}
BENCHMARK(BM_ClusterAssign);

void BM_RfmScore(benchmark::State& state) {
  std::vector<RfmValues> population;
  for (int i = 0; i < 1000; ++i) {
    population.push_back({static_cast<double>(i % 365), static_cast<double>(1 + i % 17),
                          static_cast<double>((i * 37) % 2000)});
  }
  const RfmModel model = micro::OrDie(RfmModel::Fit(population), "RFM fit");
  const RfmValues customer{12, 4, 310.5};
  for (auto _ : state) benchmark::DoNotOptimize(model.Score(customer));
}
BENCHMARK(BM_RfmScore);

}  // namespace
}  // namespace cohort::models::segmentation
