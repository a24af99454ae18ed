#include "models/recommend/factory.h"

#include <utility>

#include "models/recommend/artifact_format_internal.h"
#include "models/recommend/popularity.h"

namespace cohort::models::recommend {

ModelKind ChooseModelKind(int32_t num_items, const RecommenderConfig& config) {
  switch (config.algorithm) {
    case RecommenderConfig::Algorithm::kItemKnn:
      return ModelKind::kItemKnn;
    case RecommenderConfig::Algorithm::kEase:
      return ModelKind::kEase;
    case RecommenderConfig::Algorithm::kAls:
      return ModelKind::kAls;
    case RecommenderConfig::Algorithm::kAuto:
      break;
  }
  return num_items <= config.ease.max_items ? ModelKind::kEase : ModelKind::kAls;
}

absl::StatusOr<std::unique_ptr<Recommender>> TrainRecommender(const InteractionMatrix& interactions,
                                                              const RecommenderConfig& config) {
  switch (ChooseModelKind(interactions.num_items(), config)) {
    case ModelKind::kItemKnn:
      return ItemKnnModel::Train(interactions, config.item_knn);
    case ModelKind::kEase:
      return EaseModel::Train(interactions, config.ease);
    case ModelKind::kAls:
    default: {
      absl::StatusOr<AlsTrainingResult> result = AlsModel::Train(interactions, config.als);
      if (!result.ok()) return result.status();
      return std::unique_ptr<Recommender>(std::move(result->model));
    }
  }
}

absl::StatusOr<ModelKind> ReadModelKind(absl::string_view bytes) {
  absl::StatusOr<internal::ArtifactKind> kind = internal::ReadArtifactKind(bytes);
  if (!kind.ok()) return kind.status();
  switch (*kind) {
    case internal::ArtifactKind::kItemKnn:
      return ModelKind::kItemKnn;
    case internal::ArtifactKind::kEase:
      return ModelKind::kEase;
    case internal::ArtifactKind::kAls:
      return ModelKind::kAls;
    case internal::ArtifactKind::kPopularity:
      return ModelKind::kPopularity;
    case internal::ArtifactKind::kVocabulary:
      break;
  }
  return absl::InvalidArgumentError(
      "the artifact holds an item vocabulary, not a recommender model (load it with "
      "ItemVocabulary::Deserialize)");
}

absl::StatusOr<std::unique_ptr<Recommender>> DeserializeRecommender(absl::string_view bytes) {
  absl::StatusOr<ModelKind> kind = ReadModelKind(bytes);
  if (!kind.ok()) return kind.status();
  switch (*kind) {
    case ModelKind::kItemKnn:
      return ItemKnnModel::Deserialize(bytes);
    case ModelKind::kEase:
      return EaseModel::Deserialize(bytes);
    case ModelKind::kAls:
      return AlsModel::Deserialize(bytes);
    case ModelKind::kPopularity:
      return PopularityModel::Deserialize(bytes);
  }
  return absl::InternalError("unhandled model kind");
}

}  // namespace cohort::models::recommend
