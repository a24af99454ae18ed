// Implicit ALS (models/recommend/als.h): the objective, monotone training, fold-in of
// training and unseen users, planted-block recovery, determinism and explanations.
#include <cmath>
#include <memory>
#include <vector>

#include "Eigen/Dense"
#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "models/recommend/als.h"
#include "tests/unit/models_recommend_test_util.h"

namespace cohort::models::recommend {
namespace {

using test_util::Dense;
using test_util::Items;

AlsOptions Options() {
  AlsOptions options;
  options.factors = 4;
  options.regularization = 0.1;
  options.alpha = 5;
  options.iterations = 12;
  return options;
}

TEST(AlsTest, LossMatchesTheObjectiveByBruteForce) {
  InteractionMatrix m = Dense({{1, 2, 0}, {0, 1, 3}});
  AlsModel::Matrix x(2, 2), y(3, 2);
  x << 0.1f, -0.2f, 0.3f, 0.4f;
  y << 0.5f, 0.1f, -0.3f, 0.2f, 0.25f, -0.1f;
  const double alpha = 2, lambda = 0.5;
  double expected = lambda * (x.cast<double>().squaredNorm() + y.cast<double>().squaredNorm());
  for (int u = 0; u < 2; ++u) {
    for (int i = 0; i < 3; ++i) {
      const double r = m.matrix().coeff(u, i);
      const double p = r > 0 ? 1 : 0, c = 1 + alpha * r;
      const double s = x.row(u).cast<double>().dot(y.row(i).cast<double>());
      expected += c * (p - s) * (p - s);
    }
  }
  EXPECT_NEAR(AlsLoss(m, x, y, alpha, lambda), expected, 1e-9);
}

TEST(AlsTest, LossNeverIncreases) {
  absl::StatusOr<AlsTrainingResult> result = AlsModel::Train(test_util::PlantedBlocks(), Options());
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->loss.size(), 12u);
  for (size_t i = 1; i < result->loss.size(); ++i) {
    EXPECT_LE(result->loss[i], result->loss[i - 1] * (1 + 1e-9)) << "iteration " << i;
  }
  EXPECT_LT(result->loss.back(), 0.9 * result->loss.front());
}

TEST(AlsTest, FoldInOfATrainingUserReproducesTheTrainedFactor) {
  InteractionMatrix m = test_util::PlantedBlocks();
  absl::StatusOr<AlsTrainingResult> result = AlsModel::Train(m, Options());
  ASSERT_TRUE(result.ok());
  for (int32_t u = 0; u < m.num_users(); ++u) {
    absl::StatusOr<Eigen::VectorXf> folded = result->model->FoldIn(m.History(u));
    ASSERT_TRUE(folded.ok()) << folded.status();
    const Eigen::VectorXf trained = result->user_factors.row(u).transpose();
    EXPECT_LT((*folded - trained).cwiseAbs().maxCoeff(), 1e-5) << "user " << u;
    EXPECT_GT(trained.norm(), 0.1f);
  }
  absl::StatusOr<Eigen::VectorXf> empty = result->model->FoldIn({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size(), 4);
  EXPECT_EQ(empty->norm(), 0.0f);
  EXPECT_EQ(result->model->FoldIn({{.item = 99}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AlsTest, RecommendationsRecoverThePlantedBlocks) {
  InteractionMatrix m = test_util::PlantedBlocks();
  // Two planted blocks, two factors. (With spare factors ALS also fits the rotating pattern
  // inside the blocks and needs many more iterations to cancel cross-block noise.)
  AlsOptions options = Options();
  options.factors = 2;
  options.iterations = 20;
  absl::StatusOr<AlsTrainingResult> result = AlsModel::Train(m, options);
  ASSERT_TRUE(result.ok());
  const AlsModel& model = *result->model;
  RecommendOptions request;
  request.k = 3;
  request.exclude_history = true;
  for (int32_t u = 0; u < m.num_users(); ++u) {
    absl::StatusOr<std::vector<Recommendation>> recs = model.Recommend(m.History(u), request);
    ASSERT_TRUE(recs.ok()) << recs.status();
    ASSERT_EQ(recs->size(), 3u) << "user " << u;  // exactly the 3 skipped items of the block
    for (const Recommendation& r : *recs) {
      EXPECT_EQ(test_util::BlockOfItem(r.item), test_util::BlockOfUser(u)) << "user " << u;
    }
  }
  // Users unseen at training, folded in from their history.
  request.k = 5;
  absl::StatusOr<std::vector<Recommendation>> left =
      model.Recommend({{.item = 0, .weight = 1}, {.item = 1, .weight = 2}}, request);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 5u);
  for (int32_t item : Items(*left)) EXPECT_TRUE(item >= 2 && item < 10) << item;
  absl::StatusOr<std::vector<Recommendation>> right =
      model.Recommend({{.item = 15, .weight = 1, .purchased = true}}, request);
  ASSERT_TRUE(right.ok());
  ASSERT_EQ(right->size(), 5u);
  for (int32_t item : Items(*right)) EXPECT_TRUE(item >= 10 && item != 15) << item;
  // No usable history: nothing personalized to say.
  absl::StatusOr<std::vector<Recommendation>> none =
      model.Recommend({{.item = 3, .weight = 0, .purchased = true}}, request);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(AlsTest, ExplanationsDecomposeTheScore) {
  absl::StatusOr<AlsTrainingResult> result = AlsModel::Train(test_util::PlantedBlocks(), Options());
  ASSERT_TRUE(result.ok());
  RecommendOptions request;
  request.k = 3;
  request.max_explanations = 100;
  absl::StatusOr<std::vector<Recommendation>> single =
      result->model->Recommend({{.item = 4, .weight = 1}}, request);
  ASSERT_TRUE(single.ok());
  ASSERT_FALSE(single->empty());
  for (const Recommendation& r : *single) {
    ASSERT_EQ(r.because.size(), 1u);
    EXPECT_EQ(r.because[0].item, 4);
    EXPECT_NEAR(r.because[0].contribution, r.score, 1e-4);
  }
  // With several items the positive terms add up to at least the score (= the sum of all).
  absl::StatusOr<std::vector<Recommendation>> several = result->model->Recommend(
      {{.item = 4, .weight = 1}, {.item = 5, .weight = 2}, {.item = 12, .weight = 0.5f}}, request);
  ASSERT_TRUE(several.ok());
  for (const Recommendation& r : *several) {
    double sum = 0;
    for (const Contribution& c : r.because) sum += c.contribution;
    EXPECT_GE(sum, r.score - 1e-4);
    ASSERT_FALSE(r.because.empty());
    EXPECT_NE(r.because[0].item, 12);  // the other block explains least
  }
}

TEST(AlsTest, TrainingIsDeterministic) {
  InteractionMatrix m = test_util::PlantedBlocks();
  AlsOptions options = Options();
  absl::StatusOr<AlsTrainingResult> a = AlsModel::Train(m, options);
  absl::StatusOr<AlsTrainingResult> b = AlsModel::Train(m, options);
  options.num_threads = 3;
  absl::StatusOr<AlsTrainingResult> threaded = AlsModel::Train(m, options);
  options.seed = 7;
  absl::StatusOr<AlsTrainingResult> reseeded = AlsModel::Train(m, options);
  ASSERT_TRUE(a.ok() && b.ok() && threaded.ok() && reseeded.ok());
  EXPECT_EQ(a->model->item_factors(), b->model->item_factors());
  EXPECT_EQ(a->model->item_factors(), threaded->model->item_factors());
  EXPECT_EQ(a->user_factors, threaded->user_factors);
  EXPECT_NE(a->model->item_factors(), reseeded->model->item_factors());
}

TEST(AlsTest, RejectsBadOptions) {
  InteractionMatrix m = test_util::PlantedBlocks();
  for (AlsOptions bad :
       {AlsOptions{.factors = 0}, AlsOptions{.regularization = 0}, AlsOptions{.alpha = -1},
        AlsOptions{.iterations = 0}, AlsOptions{.num_threads = 0}}) {
    EXPECT_EQ(AlsModel::Train(m, bad).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace cohort::models::recommend
