#include "models/recommend/popularity.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "models/recommend/artifact_format_internal.h"
#include "models/recommend/recommend_artifacts.pb.h"
#include "models/recommend/recommend_internal.h"

namespace cohort::models::recommend {
namespace {

using internal::ArtifactKind;

// Per-item totals of one group of users.
struct Totals {
  int64_t users = 0;
  std::vector<double> score;
};

}  // namespace

absl::Status PopularityOptions::Validate() const {
  if (measure != Measure::kWeightSum && measure != Measure::kUserCount) {
    return absl::InvalidArgumentError("PopularityOptions.measure must be kWeightSum or kUserCount");
  }
  if (max_items < 1 || max_items > 1000000) {
    return absl::InvalidArgumentError(
        absl::StrCat("PopularityOptions.max_items must be in [1, 1000000], got ", max_items));
  }
  if (min_segment_users < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("PopularityOptions.min_segment_users must be >= 1, got ", min_segment_users));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PopularityModel>> PopularityModel::Train(
    const InteractionMatrix& interactions, absl::Span<const std::string> user_segments,
    const PopularityOptions& options) {
  absl::Status status = options.Validate();
  if (!status.ok()) return status;
  if (!user_segments.empty() &&
      user_segments.size() != static_cast<size_t>(interactions.num_users())) {
    return absl::InvalidArgumentError(absl::StrCat("user_segments has ", user_segments.size(),
                                                   " entries; expected none or one per user (",
                                                   interactions.num_users(), ")"));
  }
  const auto n = static_cast<size_t>(interactions.num_items());
  Totals overall{0, std::vector<double>(n, 0)};
  absl::flat_hash_map<std::string, Totals> by_segment;
  const InteractionMatrix::Storage& rows = interactions.matrix();
  for (int32_t u = 0; u < interactions.num_users(); ++u) {
    Totals* segment = nullptr;
    if (!user_segments.empty() && !user_segments[u].empty()) {
      auto [it, inserted] = by_segment.try_emplace(user_segments[u]);
      if (inserted) it->second.score.assign(n, 0);
      segment = &it->second;
      ++segment->users;
    }
    ++overall.users;
    for (InteractionMatrix::Storage::InnerIterator it(rows, u); it; ++it) {
      const double value =
          options.measure == PopularityOptions::Measure::kUserCount ? 1.0 : it.value();
      overall.score[it.index()] += value;
      if (segment != nullptr) segment->score[it.index()] += value;
    }
  }
  auto rank = [&options](const Totals& totals) {
    std::vector<internal::ScoredItem> candidates;
    for (size_t i = 0; i < totals.score.size(); ++i) {
      if (totals.score[i] > 0) {
        candidates.push_back({static_cast<int32_t>(i), static_cast<float>(totals.score[i])});
      }
    }
    RankedList list;
    list.users = totals.users;
    for (const internal::ScoredItem& s :
         internal::TopK(std::move(candidates), {}, options.max_items)) {
      list.items.push_back(s.item);
      list.scores.push_back(s.score);
    }
    return list;
  };
  absl::flat_hash_map<std::string, RankedList> segments;
  for (const auto& [name, totals] : by_segment) {
    if (totals.users >= options.min_segment_users) segments.emplace(name, rank(totals));
  }
  return std::unique_ptr<PopularityModel>(
      new PopularityModel(interactions.num_items(), options, rank(overall), std::move(segments)));
}

absl::StatusOr<std::vector<Recommendation>> PopularityModel::FromList(
    const RankedList& list, absl::Span<const HistoryItem> history,
    const RecommendOptions& options) const {
  absl::StatusOr<internal::PreparedRequest> request =
      internal::PrepareRequest(history, options, num_items_);
  if (!request.ok()) return request.status();
  std::vector<Recommendation> out;
  for (size_t i = 0; i < list.items.size() && out.size() < static_cast<size_t>(options.k); ++i) {
    if (!request->excluded.contains(list.items[i])) {
      out.push_back({list.items[i], list.scores[i], {}});
    }
  }
  return out;
}

absl::StatusOr<std::vector<Recommendation>> PopularityModel::Recommend(
    absl::Span<const HistoryItem> history, const RecommendOptions& options) const {
  return FromList(overall_, history, options);
}

absl::StatusOr<std::vector<Recommendation>> PopularityModel::RecommendForSegment(
    absl::string_view segment, absl::Span<const HistoryItem> history,
    const RecommendOptions& options) const {
  auto it = segments_.find(segment);
  return FromList(it == segments_.end() ? overall_ : it->second, history, options);
}

std::vector<std::string> PopularityModel::segments() const {
  std::vector<std::string> names;
  for (const auto& [name, list] : segments_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

void ToProto(absl::string_view segment, int64_t users, absl::Span<const int32_t> items,
             absl::Span<const float> scores, artifact::PopularityList& proto) {
  proto.set_segment(std::string(segment));
  proto.set_users(users);
  proto.mutable_items()->Add(items.begin(), items.end());
  proto.mutable_scores()->Add(scores.begin(), scores.end());
}

}  // namespace

std::string PopularityModel::Serialize() const {
  artifact::Popularity proto;
  proto.set_num_items(num_items_);
  proto.set_measure(static_cast<int32_t>(options_.measure));
  proto.set_max_items(options_.max_items);
  proto.set_min_segment_users(options_.min_segment_users);
  ToProto("", overall_.users, overall_.items, overall_.scores, *proto.mutable_overall());
  for (const std::string& name : segments()) {
    const RankedList& list = segments_.at(name);
    ToProto(name, list.users, list.items, list.scores, *proto.add_segments());
  }
  return internal::WrapArtifact(ArtifactKind::kPopularity, proto);
}

absl::StatusOr<std::unique_ptr<PopularityModel>> PopularityModel::Deserialize(
    absl::string_view bytes) {
  artifact::Popularity proto;
  absl::Status status = internal::UnwrapArtifact(bytes, ArtifactKind::kPopularity, proto);
  if (!status.ok()) return status;
  auto corrupt = [](absl::string_view detail) {
    return internal::CorruptArtifact(ArtifactKind::kPopularity, detail);
  };
  PopularityOptions options;
  options.measure = static_cast<PopularityOptions::Measure>(proto.measure());
  options.max_items = proto.max_items();
  options.min_segment_users = proto.min_segment_users();
  if (absl::Status valid = options.Validate(); !valid.ok()) return corrupt(valid.message());
  const int32_t n = proto.num_items();
  if (n < 0) return corrupt(absl::StrCat("num_items is ", n));
  auto read = [&](const artifact::PopularityList& p) -> absl::StatusOr<RankedList> {
    if (p.items_size() != p.scores_size() || p.items_size() > options.max_items || p.users() < 0) {
      return corrupt(absl::StrCat("list \"", p.segment(), "\" is malformed"));
    }
    for (int i = 0; i < p.items_size(); ++i) {
      if (p.items(i) < 0 || p.items(i) >= n || !std::isfinite(p.scores(i)) || p.scores(i) <= 0 ||
          (i > 0 && p.scores(i) > p.scores(i - 1))) {
        return corrupt(absl::StrCat("list \"", p.segment(), "\" has a bad entry at ", i));
      }
    }
    return RankedList{
        p.users(), {p.items().begin(), p.items().end()}, {p.scores().begin(), p.scores().end()}};
  };
  absl::StatusOr<RankedList> overall = read(proto.overall());
  if (!overall.ok()) return overall.status();
  absl::flat_hash_map<std::string, RankedList> segments;
  for (const artifact::PopularityList& p : proto.segments()) {
    absl::StatusOr<RankedList> list = read(p);
    if (!list.ok()) return list.status();
    if (p.segment().empty() || !segments.emplace(p.segment(), *std::move(list)).second) {
      return corrupt(absl::StrCat("segment \"", p.segment(), "\" is empty or repeated"));
    }
  }
  return std::unique_ptr<PopularityModel>(
      new PopularityModel(n, options, *std::move(overall), std::move(segments)));
}

}  // namespace cohort::models::recommend
