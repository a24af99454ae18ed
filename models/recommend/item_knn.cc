#include "models/recommend/item_knn.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "models/recommend/artifact_format_internal.h"
#include "models/recommend/recommend_artifacts.pb.h"
#include "models/recommend/recommend_internal.h"

namespace cohort::models::recommend {
namespace {

using internal::ArtifactKind;
using ColumnMajor = Eigen::SparseMatrix<float, Eigen::ColMajor, int32_t>;

// The similarity of a pair from its co-occurrence statistics.
double PairSimilarity(const ItemKnnOptions& options, double dot, double count, double norm_i,
                      double norm_j, double count_i, double count_j) {
  double sim = 0;
  if (options.similarity == ItemKnnOptions::Similarity::kCosine) {
    sim = norm_i > 0 && norm_j > 0 ? dot / (norm_i * norm_j) : 0;
  } else {
    sim = count / (count_i + count_j - count);
  }
  return sim * count / (count + options.shrinkage);
}

}  // namespace

absl::Status ItemKnnOptions::Validate() const {
  if (similarity != Similarity::kCosine && similarity != Similarity::kJaccard) {
    return absl::InvalidArgumentError("ItemKnnOptions.similarity must be kCosine or kJaccard");
  }
  if (!std::isfinite(shrinkage) || shrinkage < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ItemKnnOptions.shrinkage must be finite and >= 0, got ", shrinkage));
  }
  if (max_neighbours < 1 || max_neighbours > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("ItemKnnOptions.max_neighbours must be in [1, 10000], got ", max_neighbours));
  }
  if (min_co_users < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("ItemKnnOptions.min_co_users must be >= 1, got ", min_co_users));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ItemKnnModel>> ItemKnnModel::Train(
    const InteractionMatrix& interactions, const ItemKnnOptions& options) {
  absl::Status status = options.Validate();
  if (!status.ok()) return status;
  const InteractionMatrix::Storage& rows = interactions.matrix();
  const ColumnMajor columns = rows;  // item -> users
  const int32_t n = interactions.num_items();
  std::vector<double> norm(static_cast<size_t>(n), 0), count(static_cast<size_t>(n), 0);
  for (int32_t i = 0; i < n; ++i) {
    for (ColumnMajor::InnerIterator it(columns, i); it; ++it) {
      norm[i] += static_cast<double>(it.value()) * it.value();
      count[i] += 1;
    }
    norm[i] = std::sqrt(norm[i]);
  }
  // Per item i: accumulate dot products and co-counts with every co-interacted item j.
  std::vector<double> dot(static_cast<size_t>(n), 0), co(static_cast<size_t>(n), 0);
  std::vector<int32_t> touched;
  std::vector<Neighbour> row;
  std::vector<int64_t> offsets = {0};
  std::vector<Neighbour> neighbours;
  const auto keep = static_cast<size_t>(options.max_neighbours);
  for (int32_t i = 0; i < n; ++i) {
    for (ColumnMajor::InnerIterator user(columns, i); user; ++user) {
      for (InteractionMatrix::Storage::InnerIterator j(rows, user.index()); j; ++j) {
        const auto other = static_cast<int32_t>(j.index());
        if (other == i) continue;
        if (co[other] == 0) touched.push_back(other);
        dot[other] += static_cast<double>(user.value()) * j.value();
        co[other] += 1;
      }
    }
    row.clear();
    for (int32_t j : touched) {
      if (co[j] >= options.min_co_users) {
        const double sim =
            PairSimilarity(options, dot[j], co[j], norm[i], norm[j], count[i], count[j]);
        if (sim > 0) row.push_back({j, static_cast<float>(sim)});
      }
      dot[j] = 0;
      co[j] = 0;
    }
    touched.clear();
    auto more_similar = [](const Neighbour& a, const Neighbour& b) {
      return a.similarity > b.similarity || (a.similarity == b.similarity && a.item < b.item);
    };
    if (row.size() > keep) {
      std::nth_element(row.begin(), row.begin() + static_cast<ptrdiff_t>(keep), row.end(),
                       more_similar);
      row.resize(keep);
    }
    std::sort(row.begin(), row.end(),
              [](const Neighbour& a, const Neighbour& b) { return a.item < b.item; });
    neighbours.insert(neighbours.end(), row.begin(), row.end());
    offsets.push_back(static_cast<int64_t>(neighbours.size()));
  }
  return std::unique_ptr<ItemKnnModel>(
      new ItemKnnModel(n, options, std::move(offsets), std::move(neighbours)));
}

absl::Span<const ItemKnnModel::Neighbour> ItemKnnModel::Neighbours(int32_t item) const {
  if (item < 0 || item >= num_items_) return {};
  const auto begin = static_cast<size_t>(offsets_[static_cast<size_t>(item)]);
  const auto end = static_cast<size_t>(offsets_[static_cast<size_t>(item) + 1]);
  return absl::MakeConstSpan(neighbours_.data() + begin, end - begin);
}

float ItemKnnModel::Similarity(int32_t item, int32_t neighbour) const {
  absl::Span<const Neighbour> row = Neighbours(item);
  auto it = std::lower_bound(row.begin(), row.end(), neighbour,
                             [](const Neighbour& n, int32_t i) { return n.item < i; });
  return it != row.end() && it->item == neighbour ? it->similarity : 0.0f;
}

absl::StatusOr<std::vector<Recommendation>> ItemKnnModel::Recommend(
    absl::Span<const HistoryItem> history, const RecommendOptions& options) const {
  absl::StatusOr<internal::PreparedRequest> request =
      internal::PrepareRequest(history, options, num_items_);
  if (!request.ok()) return request.status();
  absl::flat_hash_map<int32_t, float> scores;
  for (const HistoryItem& h : request->history) {
    if (h.weight <= 0) continue;
    for (const Neighbour& n : Neighbours(h.item)) scores[n.item] += h.weight * n.similarity;
  }
  std::vector<internal::ScoredItem> candidates;
  candidates.reserve(scores.size());
  for (const auto& [item, score] : scores) candidates.push_back({item, score});
  std::vector<Recommendation> out;
  for (const internal::ScoredItem& top :
       internal::TopK(std::move(candidates), request->excluded, options.k)) {
    std::vector<Contribution> contributions;
    for (const HistoryItem& h : request->history) {
      contributions.push_back({h.item, h.weight * Similarity(h.item, top.item)});
    }
    out.push_back({top.item, top.score,
                   internal::TopContributions(std::move(contributions), options.max_explanations)});
  }
  return out;
}

std::string ItemKnnModel::Serialize() const {
  artifact::ItemKnn proto;
  proto.set_num_items(num_items_);
  proto.set_similarity(static_cast<int32_t>(options_.similarity));
  proto.set_shrinkage(options_.shrinkage);
  proto.set_max_neighbours(options_.max_neighbours);
  proto.set_min_co_users(options_.min_co_users);
  proto.mutable_offsets()->Add(offsets_.begin(), offsets_.end());
  proto.mutable_neighbours()->Reserve(static_cast<int>(neighbours_.size()));
  proto.mutable_similarities()->Reserve(static_cast<int>(neighbours_.size()));
  for (const Neighbour& n : neighbours_) {
    proto.add_neighbours(n.item);
    proto.add_similarities(n.similarity);
  }
  return internal::WrapArtifact(ArtifactKind::kItemKnn, proto);
}

absl::StatusOr<std::unique_ptr<ItemKnnModel>> ItemKnnModel::Deserialize(absl::string_view bytes) {
  artifact::ItemKnn proto;
  absl::Status status = internal::UnwrapArtifact(bytes, ArtifactKind::kItemKnn, proto);
  if (!status.ok()) return status;
  auto corrupt = [](absl::string_view detail) {
    return internal::CorruptArtifact(ArtifactKind::kItemKnn, detail);
  };
  ItemKnnOptions options;
  options.similarity = static_cast<ItemKnnOptions::Similarity>(proto.similarity());
  options.shrinkage = proto.shrinkage();
  options.max_neighbours = proto.max_neighbours();
  options.min_co_users = proto.min_co_users();
  if (absl::Status valid = options.Validate(); !valid.ok()) return corrupt(valid.message());
  const int32_t n = proto.num_items();
  if (n < 0) return corrupt(absl::StrCat("num_items is ", n));
  if (proto.offsets_size() != n + 1 || proto.offsets(0) != 0 ||
      proto.offsets(n) != proto.neighbours_size() ||
      proto.neighbours_size() != proto.similarities_size()) {
    return corrupt("neighbour offsets do not match the item and neighbour counts");
  }
  std::vector<int64_t> offsets(proto.offsets().begin(), proto.offsets().end());
  std::vector<Neighbour> neighbours;
  neighbours.reserve(static_cast<size_t>(proto.neighbours_size()));
  for (int32_t i = 0; i < n; ++i) {
    if (offsets[i + 1] < offsets[i]) return corrupt("neighbour offsets decrease");
    for (int64_t e = offsets[i]; e < offsets[i + 1]; ++e) {
      const int32_t item = proto.neighbours(static_cast<int>(e));
      const float sim = proto.similarities(static_cast<int>(e));
      if (item < 0 || item >= n || (e > offsets[i] && item <= neighbours.back().item) ||
          !std::isfinite(sim) || sim <= 0) {
        return corrupt(absl::StrCat("bad neighbour entry ", e, " of item ", i));
      }
      neighbours.push_back({item, sim});
    }
  }
  return std::unique_ptr<ItemKnnModel>(
      new ItemKnnModel(n, options, std::move(offsets), std::move(neighbours)));
}

}  // namespace cohort::models::recommend
