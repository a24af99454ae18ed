// Recommendation model math (models/recommend): interaction data, item-item CF, EASE,
// popularity, exclusions, the serving policy and the factory, on hand-checkable matrices.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "Eigen/Dense"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "models/recommend/als.h"
#include "models/recommend/ease.h"
#include "models/recommend/factory.h"
#include "models/recommend/interaction_matrix.h"
#include "models/recommend/item_knn.h"
#include "models/recommend/policy.h"
#include "models/recommend/popularity.h"
#include "tests/unit/models_recommend_test_util.h"

namespace cohort::models::recommend {
namespace {

using test_util::Contains;
using test_util::Dense;
using test_util::Items;

// 4 users x 4 items, binary:      i0 i1 i2 i3
//                           u0:  1  1  0  0
//                           u1:  1  1  1  0
//                           u2:  0  1  1  0
//                           u3:  1  0  0  1
InteractionMatrix Small() {
  return Dense({{1, 1, 0, 0}, {1, 1, 1, 0}, {0, 1, 1, 0}, {1, 0, 0, 1}});
}

const absl::Time kAsOf = absl::FromUnixSeconds(1'700'000'000);

TEST(InteractionMatrixTest, BuilderWeighsTypesDecaysAndSkips) {
  InteractionWeights weights;
  weights.by_type = {{"purchase", 1.0}, {"view", 0.2}};
  weights.half_life = absl::Hours(24 * 7);
  absl::StatusOr<InteractionMatrixBuilder> builder =
      InteractionMatrixBuilder::Create(weights, kAsOf);
  ASSERT_TRUE(builder.ok()) << builder.status();
  ASSERT_TRUE(builder->Add("alice", "sku-b", "view", kAsOf).ok());
  ASSERT_TRUE(builder->Add("alice", "sku-a", "purchase", kAsOf - absl::Hours(24 * 7)).ok());
  ASSERT_TRUE(builder->Add("alice", "sku-b", "view", kAsOf - absl::Hours(24 * 14)).ok());
  ASSERT_TRUE(builder->Add("bob", "sku-a", "click", kAsOf).ok());  // unweighted
  ASSERT_TRUE(builder->Add("bob", "sku-c", "purchase", kAsOf + absl::Seconds(1)).ok());  // future
  ASSERT_TRUE(builder->Add("carol", "sku-a", "view", kAsOf).ok());
  EXPECT_EQ(builder->Add("", "sku-a", "view", kAsOf).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(builder->Add("carol", "", "view", kAsOf).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(builder->stats().events_used, 4);
  EXPECT_EQ(builder->stats().skipped_unweighted_type, 1);
  EXPECT_EQ(builder->stats().skipped_after_as_of, 1);

  InteractionData data = builder->Build();
  EXPECT_EQ(data.users, (std::vector<std::string>{"alice", "carol"}));  // bob had no used event
  EXPECT_EQ(data.items.ids(), (std::vector<std::string>{"sku-b", "sku-a"}));
  ASSERT_EQ(data.matrix.num_users(), 2);
  ASSERT_EQ(data.matrix.num_items(), 2);
  // alice: sku-b = 0.2 + 0.2 * 2^-2 = 0.25; sku-a = 1 * 2^-1 = 0.5 (one half-life old).
  EXPECT_FLOAT_EQ(data.matrix.matrix().coeff(0, 0), 0.25f);
  EXPECT_FLOAT_EQ(data.matrix.matrix().coeff(0, 1), 0.5f);
  EXPECT_FLOAT_EQ(data.matrix.matrix().coeff(1, 1), 0.2f);
  std::vector<HistoryItem> alice = data.History(0);
  ASSERT_EQ(alice.size(), 2u);
  EXPECT_FALSE(alice[0].purchased);
  EXPECT_TRUE(alice[1].purchased);
}

TEST(InteractionMatrixTest, ServedHistoryIsWeightedLikeTraining) {
  InteractionWeights weights;
  weights.half_life = absl::Hours(48);
  weights.max_weight = 1.2;
  absl::StatusOr<InteractionMatrixBuilder> builder =
      InteractionMatrixBuilder::Create(weights, kAsOf);
  ASSERT_TRUE(builder.ok());
  std::vector<std::pair<std::string, absl::Time>> events = {
      {"purchase", kAsOf - absl::Hours(48)},
      {"view", kAsOf - absl::Hours(1)},
      {"add_to_cart", kAsOf - absl::Hours(96)},
      {"purchase", kAsOf}};
  std::vector<InteractionEvent> served;
  for (const auto& [type, time] : events) {
    ASSERT_TRUE(builder->Add("u", type == "view" ? "x" : "y", type, time).ok());
    served.push_back({type == "view" ? "x" : "y", type, time});
  }
  served.push_back({"unknown-item", "purchase", kAsOf});
  InteractionData data = builder->Build();
  std::vector<HistoryItem> history = BuildHistory(served, data.items, weights, kAsOf);
  std::vector<HistoryItem> trained = data.History(0);
  ASSERT_EQ(history.size(), trained.size());
  for (size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(history[i].item, trained[i].item);
    EXPECT_FLOAT_EQ(history[i].weight, trained[i].weight);
    EXPECT_EQ(history[i].purchased, trained[i].purchased);
  }
  EXPECT_EQ(data.items.id(0), "y");
  EXPECT_FLOAT_EQ(trained[0].weight, 1.2f);  // 0.5 + 0.125 + 1 capped at 1.2
  EXPECT_TRUE(trained[0].purchased);
}

TEST(InteractionMatrixTest, RejectsBadInput) {
  InteractionWeights weights;
  weights.by_type["view"] = -1;
  EXPECT_EQ(InteractionMatrixBuilder::Create(weights, kAsOf).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<InteractionMatrix::Entry> outside = {{2, 0, 1.0f}};
  const std::vector<InteractionMatrix::Entry> negative = {{0, 0, -1.0f}};
  const std::vector<InteractionMatrix::Entry> not_finite = {{0, 0, NAN}};
  EXPECT_FALSE(InteractionMatrix::FromEntries(2, 2, outside).ok());
  EXPECT_FALSE(InteractionMatrix::FromEntries(2, 2, negative).ok());
  EXPECT_FALSE(InteractionMatrix::FromEntries(2, 2, not_finite).ok());
  EXPECT_FALSE(ItemVocabulary::FromIds({"a", "b", "a"}).ok());
}

TEST(ItemKnnTest, CosineMatchesHandComputedValues) {
  ItemKnnOptions options;
  options.shrinkage = 0;
  absl::StatusOr<std::unique_ptr<ItemKnnModel>> model = ItemKnnModel::Train(Small(), options);
  ASSERT_TRUE(model.ok()) << model.status();
  // |i0| = |i1| = sqrt 3, |i2| = sqrt 2, |i3| = 1.
  EXPECT_FLOAT_EQ((*model)->Similarity(0, 1), 2.0f / 3);
  EXPECT_FLOAT_EQ((*model)->Similarity(0, 2), 1.0f / std::sqrt(6.0f));
  EXPECT_FLOAT_EQ((*model)->Similarity(0, 3), 1.0f / std::sqrt(3.0f));
  EXPECT_FLOAT_EQ((*model)->Similarity(1, 2), 2.0f / std::sqrt(6.0f));
  EXPECT_FLOAT_EQ((*model)->Similarity(2, 1), 2.0f / std::sqrt(6.0f));
  EXPECT_EQ((*model)->Similarity(1, 3), 0.0f);  // never co-interacted
  EXPECT_EQ((*model)->Similarity(2, 2), 0.0f);  // no self-similarity
  EXPECT_EQ((*model)->Neighbours(3).size(), 1u);
}

TEST(ItemKnnTest, ShrinkageScalesByCoCount) {
  ItemKnnOptions options;
  options.shrinkage = 1;  // sim * n / (n + 1)
  absl::StatusOr<std::unique_ptr<ItemKnnModel>> model = ItemKnnModel::Train(Small(), options);
  ASSERT_TRUE(model.ok());
  EXPECT_FLOAT_EQ((*model)->Similarity(0, 1), 2.0f / 3 * 2.0f / 3);                // n = 2
  EXPECT_FLOAT_EQ((*model)->Similarity(0, 2), 1.0f / std::sqrt(6.0f) * 0.5f);      // n = 1
  EXPECT_FLOAT_EQ((*model)->Similarity(0, 3), 1.0f / std::sqrt(3.0f) * 0.5f);      // n = 1
  EXPECT_FLOAT_EQ((*model)->Similarity(1, 2), 2.0f / std::sqrt(6.0f) * 2.0f / 3);  // n = 2
}

TEST(ItemKnnTest, JaccardWeightedCosineAndTopN) {
  ItemKnnOptions jaccard;
  jaccard.similarity = ItemKnnOptions::Similarity::kJaccard;
  jaccard.shrinkage = 0;
  absl::StatusOr<std::unique_ptr<ItemKnnModel>> j = ItemKnnModel::Train(Small(), jaccard);
  ASSERT_TRUE(j.ok());
  EXPECT_FLOAT_EQ((*j)->Similarity(0, 1), 2.0f / 4);  // n / (n_i + n_j - n)
  EXPECT_FLOAT_EQ((*j)->Similarity(0, 2), 1.0f / 4);
  EXPECT_FLOAT_EQ((*j)->Similarity(0, 3), 1.0f / 3);
  EXPECT_FLOAT_EQ((*j)->Similarity(1, 2), 2.0f / 3);

  // Weighted cosine: u0 weighs i0 twice: |i0| = sqrt 6, i0·i1 = 2 + 1.
  ItemKnnOptions cosine;
  cosine.shrinkage = 0;
  InteractionMatrix weighted = Dense({{2, 1, 0, 0}, {1, 1, 1, 0}, {0, 1, 1, 0}, {1, 0, 0, 1}});
  absl::StatusOr<std::unique_ptr<ItemKnnModel>> w = ItemKnnModel::Train(weighted, cosine);
  ASSERT_TRUE(w.ok());
  EXPECT_FLOAT_EQ((*w)->Similarity(0, 1), 3.0f / std::sqrt(18.0f));

  cosine.max_neighbours = 1;  // keeps only the most similar neighbour of each item
  absl::StatusOr<std::unique_ptr<ItemKnnModel>> top1 = ItemKnnModel::Train(Small(), cosine);
  ASSERT_TRUE(top1.ok());
  ASSERT_EQ((*top1)->Neighbours(0).size(), 1u);
  EXPECT_EQ((*top1)->Neighbours(0)[0].item, 1);
  EXPECT_EQ((*top1)->Similarity(0, 3), 0.0f);
}

TEST(ItemKnnTest, ScoresHistoryAndExplains) {
  ItemKnnOptions options;
  options.shrinkage = 0;
  absl::StatusOr<std::unique_ptr<ItemKnnModel>> model = ItemKnnModel::Train(Small(), options);
  ASSERT_TRUE(model.ok());
  RecommendOptions request;
  request.exclude_history = true;
  absl::StatusOr<std::vector<Recommendation>> recs =
      (*model)->Recommend({{.item = 0, .weight = 1}, {.item = 2, .weight = 1}}, request);
  ASSERT_TRUE(recs.ok()) << recs.status();
  ASSERT_EQ(Items(*recs), (std::vector<int32_t>{1, 3}));
  // i1: sim(0,1) + sim(2,1) = 2/3 + 2/sqrt 6, explained by i2 first, then i0.
  EXPECT_FLOAT_EQ((*recs)[0].score, 2.0f / 3 + 2.0f / std::sqrt(6.0f));
  ASSERT_EQ((*recs)[0].because.size(), 2u);
  EXPECT_EQ((*recs)[0].because[0].item, 2);
  EXPECT_FLOAT_EQ((*recs)[0].because[0].contribution, 2.0f / std::sqrt(6.0f));
  EXPECT_EQ((*recs)[0].because[1].item, 0);
  EXPECT_FLOAT_EQ((*recs)[1].score, 1.0f / std::sqrt(3.0f));
  ASSERT_EQ((*recs)[1].because.size(), 1u);  // i2 never co-occurred with i3
  EXPECT_EQ((*recs)[1].because[0].item, 0);
}

// Independent EASE reference: for each column j, the ridge regression of X_j on the other
// columns, min ||X_j - X_{-j} b||² + λ||b||², solved directly (b_j = 0 by construction).
Eigen::MatrixXd EaseByColumn(const Eigen::MatrixXd& x, double lambda) {
  const Eigen::Index n = x.cols();
  Eigen::MatrixXd b = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    Eigen::MatrixXd others(x.rows(), n - 1);
    for (Eigen::Index i = 0, c = 0; i < n; ++i) {
      if (i != j) others.col(c++) = x.col(i);
    }
    Eigen::MatrixXd a = others.transpose() * others;
    a.diagonal().array() += lambda;
    const Eigen::VectorXd coef = a.ldlt().solve(others.transpose() * x.col(j));
    for (Eigen::Index i = 0, c = 0; i < n; ++i) {
      if (i != j) b(i, j) = coef(c++);
    }
  }
  return b;
}

TEST(EaseTest, MatchesPerColumnRidgeAndKkt) {
  const std::vector<std::vector<float>> rows = {{1, 1, 0, 0, 2}, {1, 1, 1, 0, 0}, {0, 1, 1, 0, 1},
                                                {1, 0, 0, 1, 0}, {0, 0, 1, 1, 1}, {3, 1, 0, 0, 1}};
  Eigen::MatrixXd x(rows.size(), 5);
  for (size_t u = 0; u < rows.size(); ++u) {
    for (int i = 0; i < 5; ++i) x(static_cast<Eigen::Index>(u), i) = rows[u][i];
  }
  EaseOptions options;
  options.lambda = 2.0;
  absl::StatusOr<std::unique_ptr<EaseModel>> model = EaseModel::Train(Dense(rows), options);
  ASSERT_TRUE(model.ok()) << model.status();
  const Eigen::MatrixXd b = (*model)->weights().cast<double>();
  const Eigen::MatrixXd reference = EaseByColumn(x, options.lambda);
  EXPECT_LT((b - reference).cwiseAbs().maxCoeff(), 1e-5) << b << "\n\n" << reference;
  EXPECT_EQ(b.diagonal().cwiseAbs().maxCoeff(), 0.0);
  // KKT: the gradient (XᵀX + λI) B - XᵀX vanishes off the diagonal (the diagonal is the
  // constraint's multiplier).
  Eigen::MatrixXd g = x.transpose() * x;
  Eigen::MatrixXd gradient = (g + options.lambda * Eigen::MatrixXd::Identity(5, 5)) * b - g;
  gradient.diagonal().setZero();
  EXPECT_LT(gradient.cwiseAbs().maxCoeff(), 1e-4);

  // Scores are x_u · B; explanations are the largest terms.
  RecommendOptions request;
  request.k = 5;
  request.max_explanations = 5;
  const std::vector<HistoryItem> history = {{.item = 0, .weight = 2}, {.item = 3, .weight = 1}};
  absl::StatusOr<std::vector<Recommendation>> recs = (*model)->Recommend(history, request);
  ASSERT_TRUE(recs.ok()) << recs.status();
  ASSERT_FALSE(recs->empty());
  for (const Recommendation& r : *recs) {
    const double from0 = 2 * b(0, r.item), from3 = b(3, r.item);
    EXPECT_NEAR(r.score, from0 + from3, 1e-5);
    EXPECT_GT(r.score, 0);
    ASSERT_EQ(r.because.size(), static_cast<size_t>((from0 > 0) + (from3 > 0)));
    for (const Contribution& c : r.because) {
      EXPECT_NEAR(c.contribution, c.item == 0 ? from0 : from3, 1e-5);
    }
  }
}

TEST(EaseTest, RefusesCataloguesAboveMaxItems) {
  EaseOptions options;
  options.max_items = 3;
  absl::StatusOr<std::unique_ptr<EaseModel>> model = EaseModel::Train(Small(), options);
  EXPECT_EQ(model.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(model.status().message().find("max_items"), absl::string_view::npos);

  RecommenderConfig config;
  config.ease.max_items = 3;
  EXPECT_EQ(ChooseModelKind(4, config), ModelKind::kAls);
  EXPECT_EQ(ChooseModelKind(3, config), ModelKind::kEase);
  config.algorithm = RecommenderConfig::Algorithm::kItemKnn;
  EXPECT_EQ(ChooseModelKind(4, config), ModelKind::kItemKnn);
  config.algorithm = RecommenderConfig::Algorithm::kAuto;
  config.als.factors = 2;
  absl::StatusOr<std::unique_ptr<Recommender>> chosen = TrainRecommender(Small(), config);
  ASSERT_TRUE(chosen.ok()) << chosen.status();
  EXPECT_EQ((*chosen)->kind(), ModelKind::kAls);
}

TEST(PopularityTest, RanksOverallAndPerSegment) {
  // Weight sums: i0 = 5, i1 = 3, i2 = 2.5, i3 = 1; user counts: i0 3, i1 3, i2 2, i3 1.
  InteractionMatrix m = Dense({{3, 1, 0, 0}, {1, 1, 2, 0}, {0, 1, 0.5f, 0}, {1, 0, 0, 1}});
  PopularityOptions options;
  options.min_segment_users = 2;
  const std::vector<std::string> segments = {"a", "a", "b", ""};
  absl::StatusOr<std::unique_ptr<PopularityModel>> model =
      PopularityModel::Train(m, segments, options);
  ASSERT_TRUE(model.ok()) << model.status();
  RecommendOptions request;
  absl::StatusOr<std::vector<Recommendation>> overall = (*model)->Recommend({}, request);
  ASSERT_TRUE(overall.ok());
  EXPECT_EQ(Items(*overall), (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_FLOAT_EQ((*overall)[0].score, 5);
  EXPECT_TRUE((*overall)[0].because.empty());
  // Segment "a" (users 0, 1): i0 = 4, i2 = 2, i1 = 2 -> ties by lower index.
  EXPECT_TRUE((*model)->HasSegment("a"));
  EXPECT_FALSE((*model)->HasSegment("b"));  // one user < min_segment_users
  absl::StatusOr<std::vector<Recommendation>> a = (*model)->RecommendForSegment("a", {}, request);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(Items(*a), (std::vector<int32_t>{0, 1, 2}));
  absl::StatusOr<std::vector<Recommendation>> b = (*model)->RecommendForSegment("b", {}, request);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Items(*b), Items(*overall));

  options.measure = PopularityOptions::Measure::kUserCount;
  model = PopularityModel::Train(m, {}, options);
  ASSERT_TRUE(model.ok());
  overall = (*model)->Recommend({}, request);
  ASSERT_TRUE(overall.ok());
  EXPECT_EQ(Items(*overall), (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_FLOAT_EQ((*overall)[1].score, 3);
  EXPECT_EQ(PopularityModel::Train(m, {"a"}, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Every model honours exclusions, bought items and exclude_history.
TEST(RecommendTest, ExclusionsAndBoughtItemsAreNeverReturned) {
  InteractionMatrix m = test_util::PlantedBlocks();
  std::vector<std::unique_ptr<Recommender>> models;
  models.push_back(*ItemKnnModel::Train(m, {}));
  models.push_back(*EaseModel::Train(m, {.lambda = 5}));
  models.push_back((*AlsModel::Train(m, {.factors = 4})).model);
  models.push_back(*PopularityModel::Train(m, {}, {}));
  const std::vector<HistoryItem> history = {{.item = 1, .weight = 1, .purchased = true},
                                            {.item = 2, .weight = 1},
                                            {.item = 3, .weight = 0.5f}};
  for (const auto& model : models) {
    SCOPED_TRACE(ModelKindName(model->kind()));
    RecommendOptions request;
    request.k = 20;
    request.exclusions = {4, 5, 999, -3};
    absl::StatusOr<std::vector<Recommendation>> recs = model->Recommend(history, request);
    ASSERT_TRUE(recs.ok()) << recs.status();
    const std::vector<int32_t> items = Items(*recs);
    EXPECT_FALSE(Contains(items, 1));  // bought
    EXPECT_FALSE(Contains(items, 4));
    EXPECT_FALSE(Contains(items, 5));
    ASSERT_FALSE(items.empty());
    if (model->kind() != ModelKind::kPopularity) {
      EXPECT_LT(items[0], 10) << "the best item should come from the history's block";
    }
    for (size_t i = 1; i < recs->size(); ++i) EXPECT_GE((*recs)[i - 1].score, (*recs)[i].score);

    request.exclude_history = true;
    recs = model->Recommend(history, request);
    ASSERT_TRUE(recs.ok());
    EXPECT_FALSE(Contains(Items(*recs), 2));
    EXPECT_FALSE(Contains(Items(*recs), 3));

    request.exclude_purchased = false;
    request.exclude_history = false;
    request.exclusions.clear();
    request.k = 3;
    recs = model->Recommend(history, request);
    ASSERT_TRUE(recs.ok());
    EXPECT_LE(recs->size(), 3u);

    EXPECT_EQ(model->Recommend({{.item = 20}}, request).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(model->Recommend({{.item = 0, .weight = -1}}, request).status().code(),
              absl::StatusCode::kInvalidArgument);
    request.k = 0;
    EXPECT_EQ(model->Recommend(history, request).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(PolicyTest, ConsentHistoryAndBackfill) {
  InteractionMatrix m = test_util::PlantedBlocks();
  std::unique_ptr<ItemKnnModel> knn = *ItemKnnModel::Train(m, {});
  std::vector<std::string> segments(40, "left");
  for (int u = test_util::kLeftUsers; u < 40; ++u) segments[u] = "right";
  std::unique_ptr<PopularityModel> popularity =
      *PopularityModel::Train(m, segments, {.min_segment_users = 10});
  const std::vector<HistoryItem> history = {{.item = 12, .weight = 1, .purchased = true}};
  RecommendOptions request;
  request.k = 15;

  // No consent: overall popularity; the history is not even used to drop the bought item.
  CustomerContext anonymous{
      .personalization_consent = false, .history = history, .segment = "right"};
  absl::StatusOr<CustomerRecommendations> out =
      RecommendForCustomer(knn.get(), *popularity, anonymous, request);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->source, RecommendationSource::kPopularity);
  EXPECT_EQ(Items(out->items), Items(*popularity->Recommend({}, request)));

  // Consent without usable history: the segment's list, minus the bought item.
  CustomerContext cold{.personalization_consent = true, .history = {}, .segment = "right"};
  out = RecommendForCustomer(knn.get(), *popularity, cold, request);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->source, RecommendationSource::kSegmentPopularity);
  ASSERT_EQ(out->items.size(), 10u);  // the right block only
  EXPECT_GE(out->items[0].item, 10);

  // Consent and history: the block's items first, then backfill from popularity to k.
  CustomerContext known{.personalization_consent = true, .history = history, .segment = ""};
  out = RecommendForCustomer(knn.get(), *popularity, known, request);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->source, RecommendationSource::kPersonalized);
  ASSERT_EQ(out->items.size(), 15u);
  EXPECT_EQ(out->backfilled, 6);  // 9 other items of the block, then 6 popular ones
  std::vector<int32_t> items = Items(out->items);
  for (int i = 0; i < 9; ++i) EXPECT_GE(items[i], 10) << i;
  EXPECT_FALSE(Contains(items, 12));
  std::sort(items.begin(), items.end());
  EXPECT_EQ(std::unique(items.begin(), items.end()), items.end());

  // The model has nothing left to say (every neighbour excluded): a cold start after all.
  RecommendOptions all_excluded = request;
  for (int32_t item = 10; item < 20; ++item) all_excluded.exclusions.push_back(item);
  out = RecommendForCustomer(knn.get(), *popularity, known, all_excluded);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->source, RecommendationSource::kPopularity);
  EXPECT_EQ(out->backfilled, 0);
  EXPECT_EQ(out->items.size(), 10u);  // the left block, by popularity

  // No personalized model deployed.
  out = RecommendForCustomer(nullptr, *popularity, known, request);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->source, RecommendationSource::kPopularity);

  std::unique_ptr<PopularityModel> other = *PopularityModel::Train(Small(), {}, {});
  EXPECT_EQ(RecommendForCustomer(knn.get(), *other, known, request).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace cohort::models::recommend
