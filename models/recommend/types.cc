#include "models/recommend/types.h"

namespace cohort::models::recommend {

absl::string_view ModelKindName(ModelKind kind) {
  switch (kind) {
    case ModelKind::kItemKnn:
      return "item_knn";
    case ModelKind::kEase:
      return "ease";
    case ModelKind::kAls:
      return "als";
    case ModelKind::kPopularity:
      return "popularity";
  }
  return "unknown";
}

}  // namespace cohort::models::recommend
