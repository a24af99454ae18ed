// Recommendation stage: interactions before the cutoff; for every customer with purchases
// on both sides of it, rank the items not bought before and score against the new items
// bought in [cutoff, eval_end). item-kNN, EASE/ALS (by catalogue size) and popularity
// (overall and per behavioural cluster); the best personalized model by NDCG@10 is served.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "models/artifacts/artifact_store.h"
#include "models/metrics/ranking.h"
#include "models/recommend/factory.h"
#include "models/recommend/interaction_matrix.h"
#include "models/recommend/popularity.h"
#include "tools/train/stages.h"

namespace cohort::train {
namespace {

namespace rec = models::recommend;
namespace metrics = models::metrics;

constexpr int32_t kK = 10;

struct TestUser {
  int32_t user = 0;  // matrix row
  std::vector<int32_t> relevant;
};

// Ranks for every test user with `rank` and evaluates at k = 10.
template <typename RankFn>
absl::StatusOr<metrics::RankingMetrics> EvaluateWith(const rec::InteractionData& interactions,
                                                     const std::vector<TestUser>& users,
                                                     RankFn rank) {
  std::vector<metrics::UserRanking> rankings;
  rankings.reserve(users.size());
  rec::RecommendOptions ro;
  ro.k = kK;
  ro.max_explanations = 0;
  for (const TestUser& u : users) {
    const std::vector<rec::HistoryItem> history = interactions.History(u.user);
    COHORT_ASSIGN_OR_RETURN(std::vector<rec::Recommendation> recs, rank(u.user, history, ro));
    metrics::UserRanking r;
    for (const rec::Recommendation& x : recs) r.ranked.push_back(x.item);
    r.relevant = u.relevant;
    rankings.push_back(std::move(r));
  }
  return metrics::EvaluateRanking(rankings, kK, interactions.items.size());
}

void ReportRanking(const metrics::RankingMetrics& m, google::protobuf::Struct& s) {
  SetNumber(s, "precision_at_10", m.precision);
  SetNumber(s, "recall_at_10", m.recall);
  SetNumber(s, "ndcg_at_10", m.ndcg);
  SetNumber(s, "map_at_10", m.map);
  SetNumber(s, "hit_rate_at_10", m.hit_rate);
  SetNumber(s, "coverage", m.coverage);
  SetNumber(s, "users_evaluated", static_cast<double>(m.users_evaluated));
}

}  // namespace

absl::Status RunRecommend(const TrainOptions& options, const Dataset& data,
                          const SegmentationOutput& segments, const Progress& progress,
                          google::protobuf::Struct& report) {
  const rec::InteractionWeights weights;  // defaults: purchase 1, add_to_cart 0.5, view 0.1
  COHORT_ASSIGN_OR_RETURN(rec::InteractionMatrixBuilder builder,
                          rec::InteractionMatrixBuilder::Create(weights, data.cutoff));
  for (const EventRow& e : data.events) {
    if (e.item < 0 || e.time >= data.cutoff) continue;
    COHORT_RETURN_IF_ERROR(builder.Add(data.customers[static_cast<size_t>(e.customer)],
                                       data.items[static_cast<size_t>(e.item)], e.type, e.time));
  }
  rec::InteractionData interactions = builder.Build();
  const int32_t num_items = interactions.items.size();
  if (num_items < 2 || interactions.matrix.num_users() < 2) {
    return absl::FailedPreconditionError("too few interactions before the cutoff to recommend");
  }

  // Ground truth: items bought in [cutoff, eval_end) that the user had not bought before.
  std::map<std::string, absl::flat_hash_set<int32_t>> bought_after;
  int64_t unknown_items = 0;
  for (const EventRow& e : data.events) {
    if (e.kind != EventKind::kPurchase || e.item < 0) continue;
    if (e.time < data.cutoff || e.time >= data.eval_end) continue;
    std::optional<int32_t> idx = interactions.items.Find(data.items[static_cast<size_t>(e.item)]);
    if (!idx.has_value()) {
      ++unknown_items;
      continue;
    }
    bought_after[data.customers[static_cast<size_t>(e.customer)]].insert(*idx);
  }
  std::vector<TestUser> test_users;
  std::vector<std::string> user_segments(interactions.users.size());
  for (size_t u = 0; u < interactions.users.size(); ++u) {
    auto seg = segments.cluster_of.find(interactions.users[u]);
    if (seg != segments.cluster_of.end()) user_segments[u] = absl::StrCat(seg->second);
    if (interactions.purchased[u].empty()) continue;
    auto it = bought_after.find(interactions.users[u]);
    if (it == bought_after.end()) continue;
    TestUser t;
    t.user = static_cast<int32_t>(u);
    const absl::flat_hash_set<int32_t> before(interactions.purchased[u].begin(),
                                              interactions.purchased[u].end());
    for (int32_t item : it->second) {
      if (!before.contains(item)) t.relevant.push_back(item);
    }
    std::sort(t.relevant.begin(), t.relevant.end());
    test_users.push_back(std::move(t));
  }
  progress.Phase("recommend", absl::StrCat(interactions.matrix.num_users(), " users x ", num_items,
                                           " items, ", interactions.matrix.num_entries(),
                                           " entries; ", test_users.size(), " test users"));

  rec::PopularityOptions popularity_options;
  COHORT_ASSIGN_OR_RETURN(
      std::unique_ptr<rec::PopularityModel> popularity,
      rec::PopularityModel::Train(interactions.matrix, user_segments, popularity_options));
  google::protobuf::Struct& s = *SetStruct(report, "recommend");
  SetNumber(s, "users", interactions.matrix.num_users());
  SetNumber(s, "items", num_items);
  SetNumber(s, "interactions", static_cast<double>(interactions.matrix.num_entries()));
  SetNumber(s, "test_users", static_cast<double>(test_users.size()));
  SetNumber(s, "heldout_purchases_of_unknown_items", static_cast<double>(unknown_items));
  google::protobuf::Struct& models = *SetStruct(s, "models");

  COHORT_ASSIGN_OR_RETURN(
      metrics::RankingMetrics pop_metrics,
      EvaluateWith(interactions, test_users,
                   [&](int32_t, const std::vector<rec::HistoryItem>& h,
                       const rec::RecommendOptions& ro) { return popularity->Recommend(h, ro); }));
  ReportRanking(pop_metrics, *SetStruct(models, "popularity"));
  COHORT_ASSIGN_OR_RETURN(
      metrics::RankingMetrics seg_metrics,
      EvaluateWith(
          interactions, test_users,
          [&](int32_t u, const std::vector<rec::HistoryItem>& h, const rec::RecommendOptions& ro) {
            return popularity->RecommendForSegment(user_segments[static_cast<size_t>(u)], h, ro);
          }));
  ReportRanking(seg_metrics, *SetStruct(models, "popularity_by_segment"));
  SetNumber(s, "users_total", static_cast<double>(pop_metrics.users_total));

  std::vector<rec::RecommenderConfig> configs(2);
  configs[0].algorithm = rec::RecommenderConfig::Algorithm::kItemKnn;
  configs[1].algorithm = rec::RecommenderConfig::Algorithm::kAuto;  // EASE, or ALS if large
  configs[1].als.seed = options.seed;
  configs[1].als.factors = options.als_factors;
  configs[1].als.regularization = options.als_regularization;
  configs[1].als.alpha = options.als_alpha;
  configs[1].als.iterations = options.als_iterations;
  std::unique_ptr<rec::Recommender> best;
  double best_ndcg = -1;
  std::string best_name;
  metrics::RankingMetrics best_metrics;
  for (const rec::RecommenderConfig& config : configs) {
    const std::string name(rec::ModelKindName(rec::ChooseModelKind(num_items, config)));
    progress.Phase("recommend", absl::StrCat("training ", name));
    COHORT_ASSIGN_OR_RETURN(std::unique_ptr<rec::Recommender> model,
                            rec::TrainRecommender(interactions.matrix, config));
    COHORT_ASSIGN_OR_RETURN(
        metrics::RankingMetrics m,
        EvaluateWith(interactions, test_users,
                     [&](int32_t, const std::vector<rec::HistoryItem>& h,
                         const rec::RecommendOptions& ro) { return model->Recommend(h, ro); }));
    ReportRanking(m, *SetStruct(models, name));
    progress.Phase("recommend",
                   absl::StrCat(name, " ndcg@10=", m.ndcg, " (popularity ", pop_metrics.ndcg, ")"));
    if (m.ndcg > best_ndcg) {
      best_ndcg = m.ndcg;
      best_name = name;
      best_metrics = m;
      best = std::move(model);
    }
  }
  SetString(s, "served_algorithm", best_name);

  models::artifacts::ModelManifest manifest = BaseManifest("recommend", "recommend", data);
  auto& params = *manifest.mutable_params();
  params["algorithm"] = best_name;
  params["w_purchase"] = "1";
  params["w_add_to_cart"] = "0.5";
  params["w_view"] = "0.1";
  params["half_life_days"] = "inf";
  params["popularity_segments"] = "segmentation_cluster";
  auto& m = *manifest.mutable_metrics();
  m["ndcg_at_10"] = best_metrics.ndcg;
  m["precision_at_10"] = best_metrics.precision;
  m["recall_at_10"] = best_metrics.recall;
  m["map_at_10"] = best_metrics.map;
  m["coverage"] = best_metrics.coverage;
  m["popularity_ndcg_at_10"] = pop_metrics.ndcg;
  m["test_users"] = static_cast<double>(best_metrics.users_evaluated);
  COHORT_ASSIGN_OR_RETURN(
      models::artifacts::ModelManifest written,
      models::artifacts::WriteVersion(options.models_dir, std::move(manifest),
                                      {{"model.bin", best->Serialize()},
                                       {"popularity.bin", popularity->Serialize()},
                                       {"vocabulary.bin", interactions.items.Serialize()}}));
  SetNumber(s, "version", static_cast<double>(written.version()));
  progress.Phase("recommend",
                 absl::StrCat("served ", best_name, " -> version ", written.version()));
  return absl::OkStatus();
}

}  // namespace cohort::train
