#include "services/scoring/customer_scoring.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "models/recommend/policy.h"

namespace cohort::scoring {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Model inputs in `names` order; infinities become NaN (missing) so no model rejects them.
std::vector<double> Inputs(const CustomerData& data,
                           const google::protobuf::RepeatedPtrField<std::string>& names) {
  std::vector<double> out;
  out.reserve(static_cast<size_t>(names.size()));
  for (const std::string& name : names) {
    double v = NumericFeature(data, name);
    out.push_back(std::isfinite(v) ? v : kNaN);
  }
  return out;
}

bool Consent(const CustomerData& data) {
  auto it = data.columns->find("marketing_consent");
  if (it == data.columns->end() || it->second >= data.features->values_size()) return false;
  const v1::FeatureValue& v = data.features->values(it->second);
  return v.kind_case() == v1::FeatureValue::kBoolValue && v.bool_value();
}

class Timer {
 public:
  Timer(InferenceTimes& times, const std::string& model)
      : times_(times), model_(model), start_(absl::Now()) {}
  ~Timer() { times_[model_] += absl::Now() - start_; }

 private:
  InferenceTimes& times_;
  const std::string& model_;
  absl::Time start_;
};

absl::Status Segment(const LoadedModel& model, const CustomerData& data, v1::SegmentResult* out) {
  models::segmentation::RfmValues rfm;
  rfm.recency_days = NumericFeature(data, model.rfm_features[0]);
  if (!(rfm.recency_days >= 0)) rfm.recency_days = std::numeric_limits<double>::infinity();
  rfm.frequency = NumericFeature(data, model.rfm_features[1]);
  if (!std::isfinite(rfm.frequency) || rfm.frequency < 0) rfm.frequency = 0;
  rfm.monetary = NumericFeature(data, model.rfm_features[2]);
  if (!std::isfinite(rfm.monetary) || rfm.monetary < 0) rfm.monetary = 0;
  COHORT_ASSIGN_OR_RETURN(models::segmentation::RfmScore score, model.rfm->Score(rfm));
  v1::RfmResult* r = out->mutable_rfm();
  r->set_recency(score.recency);
  r->set_frequency(score.frequency);
  r->set_monetary(score.monetary);
  r->set_segment(std::string(models::segmentation::RfmSegmentName(score.segment)));
  r->set_code(score.Code());
  COHORT_ASSIGN_OR_RETURN(models::segmentation::ClusterAssignment cluster,
                          model.clusters->Assign(Inputs(data, model.manifest.features())));
  out->set_cluster_id(cluster.cluster);
  out->set_cluster_distance(cluster.distance);
  const auto& descriptions = model.clusters->descriptions();
  if (cluster.cluster >= 0 && static_cast<size_t>(cluster.cluster) < descriptions.size()) {
    out->set_cluster_description(descriptions[static_cast<size_t>(cluster.cluster)].text);
  }
  return absl::OkStatus();
}

absl::Status Propensity(const LoadedModel& model, const CustomerData& data, size_t top,
                        v1::PropensityResult* out) {
  std::vector<double> inputs = Inputs(data, model.manifest.features());
  COHORT_ASSIGN_OR_RETURN(models::propensity::Explanation explanation,
                          model.propensity->Explain(inputs, top));
  out->set_model(model.name());
  out->set_probability(explanation.probability);
  for (const models::propensity::FeatureContribution& c : explanation.contributions) {
    v1::FeatureContribution* f = out->add_top_features();
    f->set_name(model.propensity->feature_names()[c.feature]);
    f->set_value(inputs[c.feature]);
    f->set_contribution(c.contribution);
  }
  return absl::OkStatus();
}

std::vector<models::recommend::HistoryItem> History(
    const LoadedModel& model, const google::protobuf::RepeatedPtrField<v1::Interaction>& history,
    absl::Time now) {
  std::vector<models::recommend::HistoryItem> out;
  for (const v1::Interaction& i : history) {
    std::optional<int32_t> item = model.vocabulary->Find(i.item_id());
    if (!item.has_value()) continue;
    double weight = 0;
    if (i.type() == "purchase") {
      weight = model.weights.purchase;
    } else if (i.type() == "add_to_cart") {
      weight = model.weights.add_to_cart;
    } else if (i.type() == "view") {
      weight = model.weights.view;
    }
    if (weight <= 0) continue;
    if (model.weights.half_life_days > 0) {
      const absl::Time t = absl::FromUnixSeconds(i.time().seconds());
      const double age_days = std::max(0.0, absl::ToDoubleHours(now - t) / 24.0);
      weight *= std::exp2(-age_days / model.weights.half_life_days);
    }
    out.push_back({*item, static_cast<float>(weight), i.type() == "purchase"});
  }
  return out;
}

absl::Status Recommend(const ScorePlan& plan, const CustomerData& data, bool consent,
                       const std::string& segment, v1::CustomerScores* out) {
  namespace rec = models::recommend;
  const LoadedModel& model = *plan.recommend;
  std::vector<rec::HistoryItem> history;
  if (consent && data.history != nullptr) history = History(model, *data.history, plan.now);
  rec::CustomerContext context;
  context.personalization_consent = consent;
  context.history = history;
  context.segment = consent ? absl::string_view(segment) : absl::string_view();
  rec::RecommendOptions options;
  options.k = plan.k;
  options.exclusions = plan.exclusions;
  COHORT_ASSIGN_OR_RETURN(
      rec::CustomerRecommendations recs,
      rec::RecommendForCustomer(model.recommender.get(), *model.popularity, context, options));
  const bool segment_list = consent && model.popularity->HasSegment(segment);
  const std::string popular = !consent       ? "popular overall: no marketing consent"
                              : segment_list ? "popular in your segment"
                                             : "popular overall";
  out->set_recommendation_source(std::string(rec::RecommendationSourceName(recs.source)));
  const size_t personalized_items = recs.source == rec::RecommendationSource::kPersonalized
                                        ? recs.items.size() - static_cast<size_t>(recs.backfilled)
                                        : 0;
  for (size_t n = 0; n < recs.items.size(); ++n) {
    const rec::Recommendation& r = recs.items[n];
    v1::RecommendedItem* item = out->add_recommendations();
    item->set_item_id(model.vocabulary->id(r.item));
    item->set_score(r.score);
    if (n < personalized_items && !r.because.empty()) {
      for (const rec::Contribution& c : r.because) {
        item->add_because(model.vocabulary->id(c.item));
      }
    } else {
      item->add_because(popular);
    }
  }
  return absl::OkStatus();
}

}  // namespace

double NumericFeature(const CustomerData& data, const std::string& name) {
  auto it = data.columns->find(name);
  if (it == data.columns->end() || it->second >= data.features->values_size()) return kNaN;
  const v1::FeatureValue& v = data.features->values(it->second);
  switch (v.kind_case()) {
    case v1::FeatureValue::kDoubleValue:
      return v.double_value();
    case v1::FeatureValue::kIntValue:
      return static_cast<double>(v.int_value());
    case v1::FeatureValue::kBoolValue:
      return v.bool_value() ? 1.0 : 0.0;
    default:
      return kNaN;
  }
}

absl::Status ScoreCustomer(const ScorePlan& plan, const CustomerData& data, v1::CustomerScores* out,
                           InferenceTimes& times,
                           std::vector<std::pair<std::string, double>>& scores) {
  const bool consent = Consent(data);
  out->set_personalized(consent);
  std::string segment;
  if (consent && plan.segmentation != nullptr) {
    v1::SegmentResult result;
    {
      Timer timer(times, plan.segmentation->name());
      COHORT_RETURN_IF_ERROR(Segment(*plan.segmentation, data, &result));
    }
    segment = absl::StrCat(result.cluster_id());
    if (plan.segmentation_requested) *out->mutable_segment() = std::move(result);
  }
  if (consent) {
    for (const LoadedModel* model : plan.propensities) {
      Timer timer(times, model->name());
      COHORT_RETURN_IF_ERROR(Propensity(*model, data, plan.top_features, out->add_propensities()));
      scores.emplace_back(model->name(), out->propensities().rbegin()->probability());
    }
  }
  if (plan.recommend != nullptr) {
    Timer timer(times, plan.recommend->name());
    COHORT_RETURN_IF_ERROR(Recommend(plan, data, consent, segment, out));
  }
  return absl::OkStatus();
}

}  // namespace cohort::scoring
