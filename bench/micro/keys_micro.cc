// Key encoding and partitioning (common/hash.h, storage/keys.h): done for every customer of
// every read and write.
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "common/hash.h"
#include "storage/keys.h"

namespace cohort {
namespace {

std::vector<std::string> Ids() {
  std::vector<std::string> ids;
  for (int i = 0; i < 1024; ++i) ids.push_back(absl::StrFormat("cust-%08d", i * 7919));
  return ids;
}

void BM_PartitionOf(benchmark::State& state) {
  const std::vector<std::string> ids = Ids();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(PartitionOf(ids[i++ & 1023], kDefaultPartitions));
  }
}
BENCHMARK(BM_PartitionOf);

void BM_CustomerKeyOf(benchmark::State& state) {
  const std::vector<std::string> ids = Ids();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(storage::internal::CustomerKeyOf(ids[i++ & 1023], 1024));
  }
}
BENCHMARK(BM_CustomerKeyOf);

void BM_AppendCustomerKey(benchmark::State& state) {
  const std::vector<std::string> ids = Ids();
  std::string key;
  size_t i = 0;
  for (auto _ : state) {
    key.clear();
    storage::internal::AppendCustomerKey(17, ids[i++ & 1023], &key);
    benchmark::DoNotOptimize(key.data());
  }
}
BENCHMARK(BM_AppendCustomerKey);

void BM_DecodeKey(benchmark::State& state) {
  const std::string key =
      storage::internal::DedupKey(storage::internal::CustomerKeyOf("cust-00123456", 1024),
                                  "bench-1700000000000000000-3-123456");
  for (auto _ : state) benchmark::DoNotOptimize(storage::internal::DecodeKey(key));
}
BENCHMARK(BM_DecodeKey);

}  // namespace
}  // namespace cohort
