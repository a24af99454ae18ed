// The read path's CPU work per customer once RocksDB has returned the bytes: parsing the
// stored records (storage/records.proto) and computing every registry feature from them
// (storage/feature_eval.h), for a customer with 5 and with 30 active days.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "rocksdb/merge_operator.h"
#include "storage/feature_eval.h"
#include "storage/feature_registry.h"
#include "storage/merge_operators.h"
#include "storage/record_views.h"
#include "storage/records.pb.h"

namespace cohort::storage {
namespace {

// Cells sorted by (type, channel, category), as the store keeps them.
constexpr const char* kTypes[] = {"add_to_cart", "purchase", "view", "view"};
constexpr const char* kChannels[] = {"web", "store", "app", "web"};
constexpr const char* kCategories[] = {"electronics", "apparel", "grocery", "beauty"};

// One customer's aggregates: `active_days` day buckets (the most recent days before
// `now`), 4 cells each (views, a cart add, a purchase), and the lifetime cells.
records::Aggregates MakeAggregates(int active_days, absl::Time now) {
  records::Aggregates aggregates;
  const int32_t today = static_cast<int32_t>(absl::ToUnixSeconds(now) / 86400);
  for (int d = active_days; d >= 1; --d) {
    records::DayBucket* bucket = aggregates.add_days();
    bucket->set_day(today - d);
    const int64_t us = int64_t{today - d} * 86400 * 1000000 + 3600LL * 1000000 * (d % 20);
    for (int c = 0; c < 4; ++c) {
      records::Cell* cell = bucket->add_cells();
      cell->set_type(kTypes[c]);
      cell->set_channel(kChannels[c]);
      cell->set_category(kCategories[(c + d) % 4]);
      cell->set_count(1 + (d + c) % 3);
      cell->set_quantity(cell->count());
      if (c == 1) cell->set_amount(19.99 * cell->count());
      cell->set_first_us(us);
      cell->set_last_us(us + 60000000);
    }
  }
  for (int c = 0; c < 4; ++c) {
    records::Cell* cell = aggregates.add_lifetime();
    *cell = aggregates.days(0).cells(c);
    cell->set_count(cell->count() * active_days * 3);
    cell->set_first_us(cell->first_us() - int64_t{400} * 86400 * 1000000);
  }
  return aggregates;
}

records::AttributeSet MakeAttributes(absl::Time now) {
  records::AttributeSet set;
  const int64_t us = absl::ToUnixMicros(now - absl::Hours(24 * 40));
  auto add = [&](const char* name) {
    records::AttributeVersions* a = set.add_attributes();
    a->set_name(name);
    records::StoredAttribute* v = a->add_versions();
    v->set_event_us(us);
    v->set_source("crm");
    return v;
  };
  add("birth_year")->set_int_value(1984);
  add("loyalty_tier")->set_string_value("gold");
  add("marketing_consent")->set_bool_value(true);
  add("region")->set_string_value("north");
  add("signup_channel")->set_string_value("web");
  return set;
}

std::shared_ptr<const FeatureRegistry> Registry() {
  static const auto* registry = [] {
    auto loaded = FeatureRegistry::LoadFile(COHORT_SOURCE_DIR "/storage/features.registry");
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
      std::abort();
    }
    return new std::shared_ptr<const FeatureRegistry>(*std::move(loaded));
  }();
  return *registry;
}

void BM_ParseAggregates(benchmark::State& state) {
  const std::string bytes =
      MakeAggregates(static_cast<int>(state.range(0)), absl::Now()).SerializeAsString();
  records::Aggregates parsed;
  for (auto _ : state) benchmark::DoNotOptimize(parsed.ParseFromString(bytes));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.counters["record_bytes"] = static_cast<double>(bytes.size());
}
BENCHMARK(BM_ParseAggregates)->ArgName("active_days")->Arg(5)->Arg(30);

// What GetFeatures does instead of parsing: a view of the bytes, its buffers reused.
void BM_DecodeAggregatesView(benchmark::State& state) {
  const std::string bytes =
      MakeAggregates(static_cast<int>(state.range(0)), absl::Now()).SerializeAsString();
  AggregatesView view;
  for (auto _ : state) benchmark::DoNotOptimize(view.Decode(bytes));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.counters["record_bytes"] = static_cast<double>(bytes.size());
}
BENCHMARK(BM_DecodeAggregatesView)->ArgName("active_days")->Arg(5)->Arg(30);

// A read of a customer with a base record (`active_days`) and one newer event in the
// memtable: RocksDB full-merges them. The store's operator (views) vs the same merge on
// protobuf messages (what the operator did before: parse, MergeAggregates, drop expired
// days, serialize).
std::vector<std::string> MergeInputs(int active_days) {
  const absl::Time now = absl::Now();
  records::Aggregates event;
  records::Cell* cell = event.add_lifetime();
  cell->set_type("purchase");
  cell->set_channel("web");
  cell->set_category("grocery");
  cell->set_count(1);
  cell->set_amount(12.5);
  cell->set_first_us(absl::ToUnixMicros(now));
  cell->set_last_us(absl::ToUnixMicros(now));
  records::DayBucket* day = event.add_days();
  day->set_day(static_cast<int32_t>(absl::ToUnixSeconds(now) / 86400));
  *day->add_cells() = *cell;
  return {MakeAggregates(active_days, now).SerializeAsString(), event.SerializeAsString()};
}

void BM_FullMergeAggregates(benchmark::State& state) {
  const std::vector<std::string> inputs = MergeInputs(static_cast<int>(state.range(0)));
  const auto op = internal::NewAggregatesMergeOperator([] { return absl::Now(); }, 365, 8);
  const rocksdb::Slice base(inputs[0]);
  const std::vector<rocksdb::Slice> operands = {rocksdb::Slice(inputs[1])};
  std::string merged;
  rocksdb::Slice existing;
  for (auto _ : state) {
    merged.clear();
    rocksdb::MergeOperator::MergeOperationOutput out(merged, existing);
    benchmark::DoNotOptimize(op->FullMergeV2(
        rocksdb::MergeOperator::MergeOperationInput("k", &base, operands, nullptr), &out));
  }
}
BENCHMARK(BM_FullMergeAggregates)->ArgName("active_days")->Arg(5)->Arg(30);

void BM_FullMergeAggregatesProtobuf(benchmark::State& state) {
  const std::vector<std::string> inputs = MergeInputs(static_cast<int>(state.range(0)));
  const int32_t first_day = internal::HorizonAt(absl::Now(), 365).first_day;
  std::string merged;
  for (auto _ : state) {
    records::Aggregates acc, next;
    acc.ParseFromString(inputs[0]);
    next.ParseFromString(inputs[1]);
    internal::MergeAggregates(std::move(next), &acc);
    internal::DropDaysBefore(first_day, &acc);
    benchmark::DoNotOptimize(acc.SerializeToString(&merged));
  }
}
BENCHMARK(BM_FullMergeAggregatesProtobuf)->ArgName("active_days")->Arg(5)->Arg(30);

// Every registry feature from decoded views, with the evaluation plan built once (as
// GetFeatures does per request).
void BM_EvaluateFeatures(benchmark::State& state) {
  const std::shared_ptr<const FeatureRegistry> registry = Registry();
  const absl::Time now = absl::Now();
  const std::string aggregates_bytes =
      MakeAggregates(static_cast<int>(state.range(0)), now).SerializeAsString();
  const std::string attributes_bytes = MakeAttributes(now).SerializeAsString();
  AggregatesView aggregates;
  AttributesView attributes;
  if (!aggregates.Decode(aggregates_bytes) || !attributes.Decode(attributes_bytes)) std::abort();
  FeatureSelection all;
  for (size_t i = 0; i < registry->features().size(); ++i) all.indices.push_back(i);
  const FeatureEvaluator evaluator(*registry, all);
  const RecordViews records{&aggregates, &attributes};
  for (auto _ : state) benchmark::DoNotOptimize(evaluator.Evaluate(records, now));
  state.counters["features"] = static_cast<double>(all.indices.size());
}
BENCHMARK(BM_EvaluateFeatures)->ArgName("active_days")->Arg(5)->Arg(30);

}  // namespace
}  // namespace cohort::storage
