// Recommender artifacts (Serialize / Deserialize): identical scores after a round trip, and
// every kind of damage refused with a clear status.
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "models/recommend/artifact_format_internal.h"
#include "models/recommend/factory.h"
#include "models/recommend/popularity.h"
#include "models/recommend/recommend_artifacts.pb.h"
#include "models/recommend/vocabulary.h"
#include "tests/unit/models_recommend_test_util.h"

namespace cohort::models::recommend {
namespace {

std::vector<std::unique_ptr<Recommender>> TrainAll() {
  InteractionMatrix m = test_util::PlantedBlocks();
  std::vector<std::string> segments(static_cast<size_t>(m.num_users()), "");
  for (int u = 0; u < 10; ++u) segments[u] = "vip";
  std::vector<std::unique_ptr<Recommender>> models;
  models.push_back(*ItemKnnModel::Train(m, {.shrinkage = 2, .max_neighbours = 5}));
  models.push_back(*EaseModel::Train(m, {.lambda = 3}));
  models.push_back((*AlsModel::Train(m, {.factors = 3, .iterations = 5})).model);
  models.push_back(*PopularityModel::Train(m, segments, {.min_segment_users = 5}));
  return models;
}

const std::vector<HistoryItem> kHistory = {{.item = 1, .weight = 1, .purchased = true},
                                           {.item = 2, .weight = 2},
                                           {.item = 14, .weight = 0.5f}};

void ExpectSameRecommendations(const Recommender& a, const Recommender& b) {
  RecommendOptions options;
  options.k = 20;
  options.max_explanations = 5;
  absl::StatusOr<std::vector<Recommendation>> ra = a.Recommend(kHistory, options);
  absl::StatusOr<std::vector<Recommendation>> rb = b.Recommend(kHistory, options);
  ASSERT_TRUE(ra.ok() && rb.ok());
  ASSERT_FALSE(ra->empty());
  ASSERT_EQ(ra->size(), rb->size());
  for (size_t i = 0; i < ra->size(); ++i) {
    EXPECT_EQ((*ra)[i].item, (*rb)[i].item);
    EXPECT_EQ((*ra)[i].score, (*rb)[i].score);  // bit-identical
    ASSERT_EQ((*ra)[i].because.size(), (*rb)[i].because.size());
    for (size_t j = 0; j < (*ra)[i].because.size(); ++j) {
      EXPECT_EQ((*ra)[i].because[j].item, (*rb)[i].because[j].item);
      EXPECT_EQ((*ra)[i].because[j].contribution, (*rb)[i].because[j].contribution);
    }
  }
}

TEST(ArtifactTest, RoundTripsGiveIdenticalScores) {
  for (const auto& model : TrainAll()) {
    SCOPED_TRACE(ModelKindName(model->kind()));
    const std::string bytes = model->Serialize();
    absl::StatusOr<ModelKind> kind = ReadModelKind(bytes);
    ASSERT_TRUE(kind.ok()) << kind.status();
    EXPECT_EQ(*kind, model->kind());
    absl::StatusOr<std::unique_ptr<Recommender>> loaded = DeserializeRecommender(bytes);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ((*loaded)->kind(), model->kind());
    EXPECT_EQ((*loaded)->num_items(), model->num_items());
    ExpectSameRecommendations(*model, **loaded);
    EXPECT_EQ((*loaded)->Serialize(), bytes);  // deterministic bytes
  }
}

TEST(ArtifactTest, TypedDeserializeKeepsModelSpecifics) {
  InteractionMatrix m = test_util::PlantedBlocks();
  std::unique_ptr<PopularityModel> popularity =
      *PopularityModel::Train(m, std::vector<std::string>(40, "all"), {});
  absl::StatusOr<std::unique_ptr<PopularityModel>> loaded =
      PopularityModel::Deserialize(popularity->Serialize());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->segments(), std::vector<std::string>{"all"});
  std::unique_ptr<ItemKnnModel> knn = *ItemKnnModel::Train(m, {});
  absl::StatusOr<std::unique_ptr<ItemKnnModel>> knn2 = ItemKnnModel::Deserialize(knn->Serialize());
  ASSERT_TRUE(knn2.ok());
  EXPECT_EQ((*knn2)->Similarity(3, 4), knn->Similarity(3, 4));
  EXPECT_EQ((*knn2)->options().max_neighbours, knn->options().max_neighbours);

  absl::StatusOr<ItemVocabulary> vocabulary = ItemVocabulary::FromIds({"sku-1", "sku-2", "é"});
  ASSERT_TRUE(vocabulary.ok());
  absl::StatusOr<ItemVocabulary> vocabulary2 = ItemVocabulary::Deserialize(vocabulary->Serialize());
  ASSERT_TRUE(vocabulary2.ok()) << vocabulary2.status();
  EXPECT_EQ(vocabulary2->ids(), vocabulary->ids());
  EXPECT_EQ(vocabulary2->Find("é"), 2);
  EXPECT_EQ(vocabulary2->Find("nope"), std::nullopt);
}

TEST(ArtifactTest, EveryFlippedByteAndTruncationIsRefused) {
  for (const auto& model : TrainAll()) {
    SCOPED_TRACE(ModelKindName(model->kind()));
    const std::string bytes = model->Serialize();
    for (size_t i = 0; i < bytes.size(); ++i) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
      EXPECT_FALSE(DeserializeRecommender(damaged).ok()) << "byte " << i;
    }
    for (size_t size = 0; size < bytes.size(); size += 1 + size / 8) {
      EXPECT_FALSE(DeserializeRecommender(bytes.substr(0, size)).ok()) << "size " << size;
    }
    EXPECT_EQ(DeserializeRecommender(bytes + "x").status().code(), absl::StatusCode::kDataLoss);
  }
}

TEST(ArtifactTest, RefusalsCarryTheRightCode) {
  InteractionMatrix m = test_util::PlantedBlocks();
  const std::string ease = (*EaseModel::Train(m, {}))->Serialize();
  const std::string als = (*AlsModel::Train(m, {.factors = 2})).model->Serialize();
  EXPECT_EQ(DeserializeRecommender("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DeserializeRecommender("{\"not\": \"a model\"}").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DeserializeRecommender(ease.substr(0, 10)).status().code(),
            absl::StatusCode::kDataLoss);
  std::string payload_flip = ease;
  payload_flip[internal::kArtifactHeaderSize + 3] ^= 1;
  absl::Status status = EaseModel::Deserialize(payload_flip).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("checksum"), absl::string_view::npos) << status;
  std::string newer = ease;
  newer[8] = 2;  // format version 2 (models/common/model_envelope.h layout)
  status = DeserializeRecommender(newer).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("version 2"), absl::string_view::npos) << status;
  // The wrong model type.
  status = AlsModel::Deserialize(ease).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("ease"), absl::string_view::npos) << status;
  EXPECT_EQ(ItemVocabulary::Deserialize(als).status().code(), absl::StatusCode::kInvalidArgument);
  const std::string vocabulary = (*ItemVocabulary::FromIds({"a"})).Serialize();
  EXPECT_EQ(DeserializeRecommender(vocabulary).status().code(), absl::StatusCode::kInvalidArgument);
  // An EASE payload relabelled as ALS (the checksum still matches the payload).
  std::string relabelled = ease;
  relabelled.replace(4, 4, std::string(internal::ArtifactKindCode(internal::ArtifactKind::kAls)));
  EXPECT_EQ(DeserializeRecommender(relabelled).status().code(), absl::StatusCode::kDataLoss);
}

TEST(ArtifactTest, ConsistentEnvelopeWithInconsistentContentIsRefused) {
  artifact::Ease ease;
  ease.set_num_items(3);
  ease.set_lambda(1);
  for (int i = 0; i < 4; ++i) ease.add_weights(0);
  EXPECT_EQ(EaseModel::Deserialize(internal::WrapArtifact(internal::ArtifactKind::kEase, ease))
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  artifact::ItemKnn knn;
  knn.set_num_items(2);
  knn.set_max_neighbours(5);
  knn.set_min_co_users(1);
  for (int64_t offset : {0, 1, 2}) knn.add_offsets(offset);
  knn.add_neighbours(1);
  knn.add_similarities(0.5f);
  knn.add_neighbours(7);  // out of range
  knn.add_similarities(0.5f);
  absl::Status status =
      ItemKnnModel::Deserialize(internal::WrapArtifact(internal::ArtifactKind::kItemKnn, knn))
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find("corrupt item_knn artifact"), absl::string_view::npos);
  artifact::Als als;
  als.set_num_items(1);
  als.set_factors(2);
  als.set_regularization(0.1);
  als.add_item_factors(1);
  als.add_item_factors(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(AlsModel::Deserialize(internal::WrapArtifact(internal::ArtifactKind::kAls, als))
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace cohort::models::recommend
