// bench/keygen.h: uniform and zipfian key distributions, customer ids.
#include <cmath>
#include <vector>

#include "bench/keygen.h"
#include "gtest/gtest.h"

namespace cohort::bench {
namespace {

constexpr int kDraws = 400000;

std::vector<int> Counts(const KeyGenerator& g, uint64_t seed) {
  std::vector<int> counts(g.n(), 0);
  Rng rng(seed);
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t k = g.Next(rng);
    EXPECT_LT(k, g.n());
    if (k < g.n()) ++counts[k];
  }
  return counts;
}

TEST(BenchKeygenTest, CustomerIdsMatchDatagen) {
  EXPECT_EQ(CustomerId("cust-", 0), "cust-00000000");
  EXPECT_EQ(CustomerId("cust-", 1234567), "cust-01234567");
}

TEST(BenchKeygenTest, UniformCoversTheRangeEvenly) {
  const KeyGenerator g(KeyDistribution::kUniform, 100);
  const std::vector<int> counts = Counts(g, 7);
  for (int c : counts) {
    EXPECT_NEAR(c, kDraws / 100, kDraws / 100 * 0.1);  // ~6 sigma
  }
}

TEST(BenchKeygenTest, ZipfianFrequenciesFollowThePowerLaw) {
  const uint64_t n = 1000;
  const double theta = 0.99;
  const KeyGenerator g(KeyDistribution::kZipfian, n, theta);
  double total = 0;
  for (uint64_t k = 0; k < n; ++k) total += g.Probability(k);
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_NEAR(g.Probability(0) / g.Probability(1), std::pow(2.0, theta), 1e-9);

  const std::vector<int> counts = Counts(g, 11);
  // The head is drawn exactly by the algorithm: ranks 0 and 1 within sampling noise.
  for (uint64_t k : {0u, 1u}) {
    const double expected = g.Probability(k) * kDraws;
    EXPECT_NEAR(counts[k], expected, 6 * std::sqrt(expected)) << "rank " << k;
  }
  // Beyond, Gray's approximation: within 15% over bands of ranks.
  const uint64_t bands[][2] = {{2, 10}, {10, 100}, {100, 1000}};
  for (const auto& band : bands) {
    double expected = 0, got = 0;
    for (uint64_t k = band[0]; k < band[1]; ++k) {
      expected += g.Probability(k) * kDraws;
      got += counts[k];
    }
    EXPECT_NEAR(got, expected, expected * 0.15) << "ranks " << band[0] << ".." << band[1];
  }
  // Skewed: the top 1% of keys get far more than 1% of the draws.
  int top = 0;
  for (uint64_t k = 0; k < n / 100; ++k) top += counts[k];
  EXPECT_GT(top, kDraws / 4);
}

TEST(BenchKeygenTest, SameSeedSameSequence) {
  const KeyGenerator g(KeyDistribution::kZipfian, 100000);
  Rng a(3), b(3);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(g.Next(a), g.Next(b));
}

}  // namespace
}  // namespace cohort::bench
