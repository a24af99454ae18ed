// The scorer's own Prometheus metrics (docs/metrics.md, "Scorer"): fetch latency and errors
// per store node, per-model inference latency and score distributions, loaded model
// versions and hot reloads. RPC metrics come from services/common/metrics.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace prometheus {
class Counter;
template <typename T>
class Family;
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace cohort::scoring {

// Thread-safe. Series are created on first use and live as long as the registry.
class ScorerMetrics {
 public:
  // Registers the scorer families in `registry`, which must outlive this object.
  explicit ScorerMetrics(prometheus::Registry& registry);

  // One store sub-request to `shard` took `latency`; a non-OK `status` also counts as an
  // error labelled with its code name.
  void RecordFetch(const std::string& shard, absl::Duration latency, const absl::Status& status);
  // `model` took `latency` for one Score call.
  void RecordInference(const std::string& model, absl::Duration latency);
  // One propensity probability of `model`.
  void RecordScore(const std::string& model, double probability);
  // `model` now serves `version` (replacing `previous`, 0 if none).
  void SetModelVersion(const std::string& model, uint64_t version, uint64_t previous);
  // A reload attempt of `model` succeeded or failed.
  void RecordReload(const std::string& model, bool success);

 private:
  prometheus::Family<prometheus::Histogram>* fetch_seconds_;
  prometheus::Family<prometheus::Counter>* fetch_errors_;
  prometheus::Family<prometheus::Histogram>* inference_seconds_;
  prometheus::Family<prometheus::Gauge>* model_info_;
  prometheus::Family<prometheus::Counter>* reloads_;
  prometheus::Family<prometheus::Histogram>* model_score_;
};

}  // namespace cohort::scoring
