// bench/histogram.h: bucket arithmetic and percentiles against known distributions.
#include <cstdint>

#include "bench/histogram.h"
#include "gtest/gtest.h"

namespace cohort::bench {
namespace {

TEST(BenchHistogramTest, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.ValueAtPercentile(50), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(BenchHistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.ValueAtPercentile(50), 50u);
  EXPECT_EQ(h.ValueAtPercentile(90), 90u);
  EXPECT_EQ(h.ValueAtPercentile(99), 99u);
  EXPECT_EQ(h.ValueAtPercentile(100), 100u);
  EXPECT_EQ(h.ValueAtPercentile(0), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(BenchHistogramTest, BucketsAreContiguousAndBoundRelativeError) {
  uint64_t previous_high = 0;
  for (size_t b = 0; b < 5000; ++b) {
    const uint64_t high = Histogram::HighestEquivalent(b);
    if (b > 0) {
      ASSERT_EQ(Histogram::BucketOf(previous_high + 1), b) << "bucket " << b;
    }
    ASSERT_EQ(Histogram::BucketOf(high), b);
    const uint64_t low = b == 0 ? 0 : previous_high + 1;
    ASSERT_LE(static_cast<double>(high - low), static_cast<double>(low) / 128.0 + 1.0)
        << "bucket " << b;
    previous_high = high;
  }
  EXPECT_EQ(Histogram::HighestEquivalent(Histogram::BucketOf(UINT64_MAX)), UINT64_MAX);
}

TEST(BenchHistogramTest, PercentilesOfAUniformRangeWithinOnePercent) {
  Histogram h;
  for (uint64_t v = 1; v <= 1000000; ++v) h.Record(v * 1000);  // 1 us .. 1 s in ns
  const struct {
    double p;
    double expected;
  } cases[] = {{50, 500e6}, {90, 900e6}, {99, 990e6}, {99.9, 999e6}};
  for (const auto& c : cases) {
    const double got = static_cast<double>(h.ValueAtPercentile(c.p));
    EXPECT_GE(got, c.expected) << "p" << c.p;  // highest equivalent value: never below
    EXPECT_LE(got, c.expected * 1.01) << "p" << c.p;
  }
  EXPECT_EQ(h.ValueAtPercentile(100), 1000000000u);
  EXPECT_EQ(h.min(), 1000u);
  EXPECT_NEAR(h.mean(), 500000.5 * 1000, 1.0);
}

TEST(BenchHistogramTest, TailOfASkewedDistribution) {
  // 990 fast requests (100 us) and 10 slow ones (50 ms): p99 is fast, p99.9 slow.
  Histogram h;
  for (int i = 0; i < 990; ++i) h.Record(100000);
  for (int i = 0; i < 10; ++i) h.Record(50000000);
  EXPECT_NEAR(static_cast<double>(h.ValueAtPercentile(99)), 100000, 1000);
  EXPECT_NEAR(static_cast<double>(h.ValueAtPercentile(99.9)), 50000000, 500000);
  EXPECT_EQ(h.max(), 50000000u);
}

TEST(BenchHistogramTest, MergeEqualsRecordingEverythingInOne) {
  Histogram a, b, all;
  for (uint64_t v = 0; v < 50000; ++v) {
    (v % 3 == 0 ? a : b).Record(v * 37);
    all.Record(v * 37);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(a.ValueAtPercentile(p), all.ValueAtPercentile(p)) << p;
  }
}

}  // namespace
}  // namespace cohort::bench
