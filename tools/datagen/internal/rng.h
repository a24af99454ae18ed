// Internal to cohort-datagen: the fixed, documented pseudo-random generator and samplers.
//
// Output must be byte-identical for the same flags on every build, so nothing here uses
// <random>'s distributions (their algorithms are implementation-defined). The generator is
// xoshiro256** (Blackman & Vigna, 2018) seeded through SplitMix64; the samplers are written
// out below. Only +,-,*,/, sqrt (exact in IEEE 754), log and exp are used on doubles.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace cohort::datagen::internal {

inline constexpr uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ULL;

// The SplitMix64 output function of `x` (Steele, Lea & Flood 2014): a bijective mixer.
inline uint64_t Mix64(uint64_t x) {
  x += kGoldenGamma;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// xoshiro256** with hand-written samplers. A value type; not thread-safe (use one per thread).
class Rng {
 public:
  // The four state words are the SplitMix64 stream started at `key`.
  explicit Rng(uint64_t key) {
    for (uint64_t& word : s_) {
      word = Mix64(key);
      key += kGoldenGamma;
    }
  }

  // The independent stream for (seed, stream, index):
  // key = Mix64(Mix64(Mix64(seed) + stream) + index).
  static Rng ForStream(uint64_t seed, uint64_t stream, uint64_t index) {
    return Rng(Mix64(Mix64(Mix64(seed) + stream) + index));
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

  // Uniform integer in [0, n) by multiply-shift (bias below n / 2^64); n > 0.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Uniform integer in [lo, hi]; lo <= hi.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }

  bool Bernoulli(double p) { return Uniform() < p; }

  // Exponential with `rate` > 0 (inverse transform).
  double Exponential(double rate) { return -std::log(1.0 - Uniform()) / rate; }

  // Standard normal by Marsaglia's polar method (the second variate is discarded).
  double Normal() {
    for (;;) {
      const double u = 2.0 * Uniform() - 1.0;
      const double v = 2.0 * Uniform() - 1.0;
      const double s = u * u + v * v;
      if (s > 0.0 && s < 1.0) return u * std::sqrt(-2.0 * std::log(s) / s);
    }
  }
  double Normal(double mean, double stddev) { return mean + stddev * Normal(); }
  double LogNormal(double mu, double sigma) { return std::exp(Normal(mu, sigma)); }

  // Poisson with `mean` >= 0: Knuth's product method below 30, else a rounded normal
  // approximation (clamped at 0).
  int64_t Poisson(double mean) {
    if (mean <= 0.0) return 0;
    if (mean < 30.0) {
      const double limit = std::exp(-mean);
      int64_t k = 0;
      double product = Uniform();
      while (product > limit) {
        ++k;
        product *= Uniform();
      }
      return k;
    }
    const double x = std::floor(Normal(mean, std::sqrt(mean)) + 0.5);
    return x < 0.0 ? 0 : static_cast<int64_t>(x);
  }

  // Index drawn from `n` cumulative weights (ascending, last > 0) by linear scan; for the
  // small tables of categories, tiers and archetypes.
  int Categorical(const double* cumulative, int n) {
    const double x = Uniform() * cumulative[n - 1];
    for (int i = 0; i < n - 1; ++i) {
      if (x < cumulative[i]) return i;
    }
    return n - 1;
  }

  // Index drawn from `n` cumulative weights by binary search; for large tables.
  size_t CategoricalLarge(const double* cumulative, size_t n) {
    const double x = Uniform() * cumulative[n - 1];
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (x < cumulative[mid]) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t s_[4];
};

// Turns `weights` (n >= 1, non-negative) into cumulative sums in place.
inline void Accumulate(double* weights, int n) {
  for (int i = 1; i < n; ++i) weights[i] += weights[i - 1];
}

}  // namespace cohort::datagen::internal
