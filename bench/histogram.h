// Histogram: a log-linear latency histogram in the style of HdrHistogram. Values below
// 2 * 2^kSubBucketBits are counted exactly; above, every power-of-two range is split into
// 2^kSubBucketBits equal buckets, so a reported percentile is within 1/128 (0.8%) of the
// true value. Fixed memory (~60 KB), O(1) Record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cohort::bench {

// Not thread-safe: give every worker its own histogram and Merge them at the end.
class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;

  Histogram();

  // Counts one value (any uint64_t; latencies are recorded in nanoseconds).
  void Record(uint64_t value);
  // Adds every count of `other` to this histogram.
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  // 0 when empty.
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const;

  // The smallest recorded-bucket value v such that at least `percentile`% of the values
  // are <= v, reported as the bucket's highest equivalent value clamped to [min, max].
  // `percentile` is clamped to [0, 100]; 0 when empty.
  uint64_t ValueAtPercentile(double percentile) const;

  // Bucket arithmetic, exposed for tests.
  static size_t BucketOf(uint64_t value);
  static uint64_t HighestEquivalent(size_t bucket);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace cohort::bench
