// cohort-datagen: a deterministic, streaming generator of synthetic retail data (events,
// attributes and the planted ground truth) in Cohort's canonical CSV formats.
//
// Output is a pure function of the options: every customer's data comes from RNG streams
// keyed by (seed, customer index) (xoshiro256** seeded through SplitMix64, hand-written
// samplers), so the same options give byte-identical files on every run. Memory is
// constant in the number of customers. docs/datagen.md describes the formats and the
// planted structure.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "tools/datagen/sink.h"

namespace cohort::datagen {

struct GeneratorOptions {
  // Number of customers, ids <id_prefix><index zero-padded to 8+ digits>, index from 0.
  // Range [1, 1e9]. Default 10000.
  int64_t customers = 10000;
  // Seed of every random stream. Default 42.
  uint64_t seed = 42;
  // Events lie in [end - days, end), both UTC midnights. `end` must be in
  // [1990-01-01, 9000-01-01]; no default here (cohort-datagen uses today's UTC date).
  absl::CivilDay end = absl::CivilDay(2026, 3, 1);
  // Length of the event window in days, [1, 3650]. Default 365.
  int32_t days = 365;
  // Catalogue size (item ids sku-00001...), [24, 1,000,000]. Default 1000.
  int32_t items = 1000;
  // Prefix of customer ids: at most 100 bytes of UTF-8 without control characters, commas
  // or double quotes. Default "cust-".
  std::string id_prefix = "cust-";
};

// Where to write; each sink is optional (null: that output is not produced, and events are
// not even simulated if `events` is null). Sinks are borrowed, written and flushed but not
// closed.
struct GeneratorOutputs {
  ByteSink* events = nullptr;      // event_id,customer_id,ts,type,channel,item_id,...
  ByteSink* attributes = nullptr;  // customer_id,name,type,value,source,ts
  ByteSink* truth = nullptr;       // customer_id,archetype,churned,... (planted truth)
};

struct GenerationStats {
  int64_t customers = 0;
  int64_t events = 0;
  int64_t attribute_rows = 0;
};

// OK if `options` are in range; else INVALID_ARGUMENT naming the flag and the valid range.
absl::Status ValidateOptions(const GeneratorOptions& options);

// Generates every customer in index order, streaming to `outputs`. Returns the counts.
// Errors: INVALID_ARGUMENT from ValidateOptions; the first sink error (generation stops).
// Thread-compatible: concurrent calls with distinct sinks are safe.
absl::StatusOr<GenerationStats> Generate(const GeneratorOptions& options,
                                         const GeneratorOutputs& outputs);

}  // namespace cohort::datagen
