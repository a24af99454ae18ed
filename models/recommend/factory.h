// Choosing, training and loading a personalized recommender without naming its class.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "models/recommend/als.h"
#include "models/recommend/ease.h"
#include "models/recommend/interaction_matrix.h"
#include "models/recommend/item_knn.h"
#include "models/recommend/recommender.h"

namespace cohort::models::recommend {

struct RecommenderConfig {
  enum class Algorithm {
    kAuto,     // EASE if the catalogue has at most ease.max_items items, else ALS (default)
    kItemKnn,  // item-to-item collaborative filtering
    kEase,     // EASE; refused above ease.max_items (RESOURCE_EXHAUSTED)
    kAls,      // implicit ALS
  };
  Algorithm algorithm = Algorithm::kAuto;
  ItemKnnOptions item_knn;
  EaseOptions ease;
  AlsOptions als;
};

// The model kind `config` selects for a catalogue of `num_items` items.
ModelKind ChooseModelKind(int32_t num_items, const RecommenderConfig& config);

// Trains the model ChooseModelKind selects. For ALS the training extras (user factors, loss
// curve) are dropped; call AlsModel::Train directly to keep them.
// Errors: those of the chosen model's Train.
absl::StatusOr<std::unique_ptr<Recommender>> TrainRecommender(const InteractionMatrix& interactions,
                                                              const RecommenderConfig& config);

// The model kind stored in an artifact, after checking its envelope (not the payload).
// Errors: INVALID_ARGUMENT (not a recommender model artifact), FAILED_PRECONDITION
// (unsupported format version), DATA_LOSS (truncated or corrupt).
absl::StatusOr<ModelKind> ReadModelKind(absl::string_view bytes);

// Loads any Serialize() output (item_knn, ease, als or popularity).
// Errors: as ReadModelKind and the kind's Deserialize.
absl::StatusOr<std::unique_ptr<Recommender>> DeserializeRecommender(absl::string_view bytes);

}  // namespace cohort::models::recommend
