// Key generators of the benchmark: uniform or zipfian customer indexes in [0, n), and the
// customer ids cohort-datagen writes for them ("<prefix>%08d").
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace cohort::bench {

// SplitMix64: a tiny, fast, seedable generator (one per worker thread).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, 1) with 53 random bits.
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

enum class KeyDistribution { kUniform, kZipfian };

// Draws customer indexes. Zipfian follows Gray et al. ("Quickly generating billion-record
// synthetic databases", as in YCSB): P(rank k) proportional to 1 / (k + 1)^theta, rank 0
// (index 0) the hottest. Construction is O(n) (the zeta constant). Immutable after
// construction, so one generator may be shared by threads that each pass their own Rng.
class KeyGenerator {
 public:
  // `n` >= 1; `theta` in (0, 1) for kZipfian (0.99 is YCSB's default), ignored for kUniform.
  KeyGenerator(KeyDistribution distribution, uint64_t n, double theta = 0.99);

  uint64_t Next(Rng& rng) const;
  uint64_t n() const { return n_; }
  // Probability of index `k` under this distribution (for tests).
  double Probability(uint64_t k) const;

 private:
  KeyDistribution distribution_;
  uint64_t n_;
  double theta_ = 0, zetan_ = 0, alpha_ = 0, eta_ = 0, zeta2_ = 0;
};

// "<prefix>" followed by `index` zero-padded to 8 digits, as cohort-datagen names customers.
std::string CustomerId(absl::string_view prefix, uint64_t index);

}  // namespace cohort::bench
