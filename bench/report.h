// Output of one cohort-bench run: a JSON object (one line) and a one-line summary.
#pragma once

#include <cstdint>
#include <string>

#include "bench/driver.h"

namespace cohort::bench {

// What was run, echoed into the report.
struct RunDescription {
  std::string label;     // free text, e.g. "quick"
  std::string workload;  // get_features | ingest | ingest_stream | score
  std::string target;    // cohort | redis | inproc | scorer
  std::string mode;      // closed | open
  int concurrency = 1;
  double rate = 0;  // open loop only
  int batch = 1;
  std::string keys;  // uniform | zipfian
  double zipf_theta = 0;
  uint64_t customers = 0;
  double warmup_s = 0, duration_s = 0;
  double found_fraction = -1;   // of a sample of ids probed before the run; < 0: unknown
  std::string models;           // score: the models asked for (ScoreModels::Describe)
  std::string layout;           // cohort get_features: packed | messages (GetFeaturesRequest)
  int events_per_customer = 1;  // ingest: consecutive events per drawn customer
};

// `s` as a JSON string literal (quotes, escapes).
std::string JsonString(const std::string& s);

// {"label":...,"latency_us":{"p50":...,"p90":...,"p99":...,"p99_9":...,"max":...,
// "mean":...},"throughput_ops_s":...,"throughput_keys_s":...,"models":...,...} on one line.
std::string ReportJson(const RunDescription& run, const RunResult& result);

// e.g. "cohort get_features b=10 closed c=8 uniform: 12345 ops/s (123450 keys/s) p50=0.61ms
// p90=... p99=... p99.9=... errors=0"
std::string ReportLine(const RunDescription& run, const RunResult& result);

}  // namespace cohort::bench
