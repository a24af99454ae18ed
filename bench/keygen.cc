#include "bench/keygen.h"

#include <cmath>

#include "absl/strings/str_format.h"

namespace cohort::bench {

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

KeyGenerator::KeyGenerator(KeyDistribution distribution, uint64_t n, double theta)
    : distribution_(distribution), n_(n == 0 ? 1 : n) {
  if (distribution_ != KeyDistribution::kZipfian) return;
  theta_ = theta;
  for (uint64_t i = 1; i <= n_; ++i) zetan_ += 1.0 / std::pow(static_cast<double>(i), theta_);
  zeta2_ = 1.0 + 1.0 / std::pow(2.0, theta_);
  alpha_ = 1.0 / (1.0 - theta_);
  eta_ = (1.0 - std::pow(2.0 / static_cast<double>(n_), 1.0 - theta_)) / (1.0 - zeta2_ / zetan_);
}

uint64_t KeyGenerator::Next(Rng& rng) const {
  if (distribution_ == KeyDistribution::kUniform) return rng.Next() % n_;
  const double u = rng.NextDouble();
  const double uz = u * zetan_;
  if (uz < 1.0) return 0;
  if (uz < zeta2_) return n_ > 1 ? 1 : 0;
  const auto k =
      static_cast<uint64_t>(static_cast<double>(n_) * std::pow(eta_ * u - eta_ + 1.0, alpha_));
  return k < n_ ? k : n_ - 1;
}

double KeyGenerator::Probability(uint64_t k) const {
  if (k >= n_) return 0;
  if (distribution_ == KeyDistribution::kUniform) return 1.0 / static_cast<double>(n_);
  return 1.0 / std::pow(static_cast<double>(k + 1), theta_) / zetan_;
}

std::string CustomerId(absl::string_view prefix, uint64_t index) {
  return absl::StrFormat("%s%08d", prefix, index);
}

}  // namespace cohort::bench
