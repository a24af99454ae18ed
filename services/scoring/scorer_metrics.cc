#include "services/scoring/scorer_metrics.h"

#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/common/metrics/grpc_server_metrics.h"

namespace cohort::scoring {

namespace {

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
  return *buckets;
}

const prometheus::Histogram::BucketBoundaries& ScoreBuckets() {
  static const auto* buckets = [] {
    auto* b = new prometheus::Histogram::BucketBoundaries;
    for (int i = 1; i <= 20; ++i) b->push_back(0.05 * i);
    return b;
  }();
  return *buckets;
}

}  // namespace

ScorerMetrics::ScorerMetrics(prometheus::Registry& registry)
    : fetch_seconds_(&prometheus::BuildHistogram()
                          .Name("cohort_scorer_fetch_seconds")
                          .Help("Feature/history fetch latency per store node.")
                          .Register(registry)),
      fetch_errors_(&prometheus::BuildCounter()
                         .Name("cohort_scorer_fetch_errors_total")
                         .Help("Failed fetches per store node and gRPC code.")
                         .Register(registry)),
      inference_seconds_(&prometheus::BuildHistogram()
                              .Name("cohort_model_inference_seconds")
                              .Help("Model latency per Score request.")
                              .Register(registry)),
      model_info_(&prometheus::BuildGauge()
                       .Name("cohort_model_info")
                       .Help("Loaded model version (1).")
                       .Register(registry)),
      reloads_(&prometheus::BuildCounter()
                    .Name("cohort_model_reloads_total")
                    .Help("Hot reloads of model versions by result.")
                    .Register(registry)),
      model_score_(&prometheus::BuildHistogram()
                        .Name("cohort_model_score")
                        .Help("Propensity score distribution per model (drift).")
                        .Register(registry)) {}

void ScorerMetrics::RecordFetch(const std::string& shard, absl::Duration latency,
                                const absl::Status& status) {
  fetch_seconds_->Add({{"shard", shard}}, LatencyBuckets()).Observe(absl::ToDoubleSeconds(latency));
  if (!status.ok()) {
    const std::string code(
        metrics::StatusCodeName(static_cast<grpc::StatusCode>(static_cast<int>(status.code()))));
    fetch_errors_->Add({{"shard", shard}, {"grpc_code", code}}).Increment();
  }
}

void ScorerMetrics::RecordInference(const std::string& model, absl::Duration latency) {
  inference_seconds_->Add({{"model", model}}, LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(latency));
}

void ScorerMetrics::RecordScore(const std::string& model, double probability) {
  model_score_->Add({{"model", model}}, ScoreBuckets()).Observe(probability);
}

void ScorerMetrics::SetModelVersion(const std::string& model, uint64_t version, uint64_t previous) {
  if (previous != 0 && previous != version) {
    prometheus::Gauge& old =
        model_info_->Add({{"model", model}, {"version", absl::StrCat(previous)}});
    model_info_->Remove(&old);
  }
  model_info_->Add({{"model", model}, {"version", absl::StrCat(version)}}).Set(1);
}

void ScorerMetrics::RecordReload(const std::string& model, bool success) {
  reloads_->Add({{"model", model}, {"result", success ? "success" : "failure"}}).Increment();
}

}  // namespace cohort::scoring
