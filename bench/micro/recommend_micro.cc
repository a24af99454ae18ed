// Recommendation inference (models/recommend): top-10 items for one customer with a history
// of 20 items, for every model family, on a synthetic catalogue of 1000 items and 5000
// users (popularity-skewed interactions, ~20 per user); plus ALS's fold-in alone.
#include <memory>
#include <random>
#include <vector>

#include "bench/micro/micro_util.h"
#include "benchmark/benchmark.h"
#include "models/recommend/als.h"
#include "models/recommend/ease.h"
#include "models/recommend/interaction_matrix.h"
#include "models/recommend/item_knn.h"
#include "models/recommend/popularity.h"

namespace cohort::models::recommend {
namespace {

constexpr int32_t kUsers = 5000;
constexpr int32_t kItems = 1000;

const InteractionMatrix& Interactions() {
  static const auto* matrix = [] {
    std::mt19937_64 rng(3);
    // Zipf-like item popularity: item i drawn with weight 1 / (i + 10).
    std::vector<double> weights;
    for (int32_t i = 0; i < kItems; ++i) weights.push_back(1.0 / (i + 10));
    std::discrete_distribution<int32_t> item(weights.begin(), weights.end());
    std::vector<InteractionMatrix::Entry> entries;
    for (int32_t u = 0; u < kUsers; ++u) {
      for (int j = 0; j < 20; ++j) entries.push_back({u, item(rng), j % 5 == 0 ? 1.0f : 0.1f});
    }
    return new InteractionMatrix(
        micro::OrDie(InteractionMatrix::FromEntries(kUsers, kItems, entries), "interactions"));
  }();
  return *matrix;
}

std::vector<HistoryItem> History() {
  std::vector<HistoryItem> history;
  for (int32_t i = 0; i < 20; ++i) history.push_back({i * 13 % kItems, 0.5f, i % 4 == 0});
  return history;
}

void RunRecommend(benchmark::State& state, const Recommender& model) {
  const std::vector<HistoryItem> history = History();
  RecommendOptions options;
  options.k = 10;
  for (auto _ : state) benchmark::DoNotOptimize(model.Recommend(history, options));
}

void BM_ItemKnnRecommend(benchmark::State& state) {
  static const auto* model =
      micro::OrDie(ItemKnnModel::Train(Interactions(), ItemKnnOptions()), "item-kNN train")
          .release();
  RunRecommend(state, *model);
}
BENCHMARK(BM_ItemKnnRecommend);

void BM_EaseRecommend(benchmark::State& state) {
  static const auto* model =
      micro::OrDie(EaseModel::Train(Interactions(), EaseOptions()), "EASE train").release();
  RunRecommend(state, *model);
}
BENCHMARK(BM_EaseRecommend);

const AlsModel& Als() {
  static const auto* model = [] {
    AlsOptions options;
    options.iterations = 5;
    return micro::OrDie(AlsModel::Train(Interactions(), options), "ALS train").model.release();
  }();
  return *model;
}

void BM_AlsFoldIn(benchmark::State& state) {
  const AlsModel& model = Als();
  const std::vector<HistoryItem> history = History();
  for (auto _ : state) benchmark::DoNotOptimize(model.FoldIn(history));
  state.counters["factors"] = model.factors();
}
BENCHMARK(BM_AlsFoldIn);

void BM_AlsRecommend(benchmark::State& state) { RunRecommend(state, Als()); }
BENCHMARK(BM_AlsRecommend);

void BM_PopularityRecommend(benchmark::State& state) {
  static const auto* model =
      micro::OrDie(PopularityModel::Train(Interactions(), {}, PopularityOptions()),
                   "popularity train")
          .release();
  RunRecommend(state, *model);
}
BENCHMARK(BM_PopularityRecommend);

}  // namespace
}  // namespace cohort::models::recommend
