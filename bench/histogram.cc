#include "bench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cohort::bench {
namespace {

constexpr uint64_t kSub = uint64_t{1} << Histogram::kSubBucketBits;
// Exact buckets [0, 2 * kSub), then kSub buckets per shift 1 .. 63 - kSubBucketBits.
constexpr size_t kBuckets = (65 - Histogram::kSubBucketBits) * kSub;

}  // namespace

Histogram::Histogram() : counts_(kBuckets, 0) {}

size_t Histogram::BucketOf(uint64_t value) {
  if (value < 2 * kSub) return static_cast<size_t>(value);
  const int msb = 63 - std::countl_zero(value);
  const int shift = msb - kSubBucketBits;  // >= 1
  const uint64_t top = value >> shift;     // in [kSub, 2 * kSub)
  return static_cast<size_t>(static_cast<uint64_t>(shift) * kSub + top);
}

uint64_t Histogram::HighestEquivalent(size_t bucket) {
  if (bucket < 2 * kSub) return bucket;
  const uint64_t shift = bucket / kSub - 1;
  const uint64_t top = bucket % kSub + kSub;
  const uint64_t next = (top + 1) << shift;
  return next == 0 ? UINT64_MAX : next - 1;  // the last bucket ends at 2^64 - 1
}

void Histogram::Record(uint64_t value) {
  ++counts_[BucketOf(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<long double>(value);
}

void Histogram::Merge(const Histogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double Histogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

uint64_t Histogram::ValueAtPercentile(double percentile) const {
  if (count_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  uint64_t target =
      static_cast<uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(count_)));
  target = std::clamp<uint64_t>(target, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= target) return std::clamp(HighestEquivalent(i), min_, max_);
  }
  return max_;
}

}  // namespace cohort::bench
