#include "tools/datagen/internal/profile.h"

#include <algorithm>
#include <cmath>

namespace cohort::datagen::internal {
namespace {

constexpr int64_t kDay = 86400;
constexpr uint64_t kProfileStream = 1;

// Indexed by Archetype. Categories: electronics, apparel, home, beauty, grocery, sports, toys,
// books. Tiers: budget, mid, premium. docs/datagen.md explains the numbers.
constexpr std::array<ArchetypeParams, kNumArchetypes> kParams = {{
    // loyal_big_spender
    {.share = 0.12,
     .online_sessions_per_week = 0.35,
     .app_share = 0.6,
     .store_visits_per_week = 0.15,
     .store_purchase_prob = 0.85,
     .store_basket_extra = 1.5,
     .email_opens_per_week = 0.4,
     .email_click_prob = 0.25,
     .views_extra = 2.0,
     .cart_prob = 0.45,
     .checkout_prob = 0.85,
     .quantity_extra = 0.3,
     .discount_prob = 0.05,
     .return_prob = 0.05,
     .complement_prob = 0.55,
     .sequel_prob = 0.4,
     .satisfaction_mean = 4.3,
     .category_weights = {3, 2, 2.5, 1.5, 1, 1.5, 0.5, 1},
     .tier_weights = {0.1, 0.3, 0.6},
     .loyalty_weights = {0.05, 0.1, 0.35, 0.5},
     .birth_year_min = 1960,
     .birth_year_max = 1990},
    // bargain_hunter
    {.share = 0.20,
     .online_sessions_per_week = 0.2,
     .app_share = 0.5,
     .store_visits_per_week = 0.08,
     .store_purchase_prob = 0.6,
     .store_basket_extra = 2.0,
     .email_opens_per_week = 0.5,
     .email_click_prob = 0.35,
     .views_extra = 3.0,
     .cart_prob = 0.25,
     .checkout_prob = 0.55,
     .quantity_extra = 0.8,
     .discount_prob = 0.5,
     .return_prob = 0.04,
     .complement_prob = 0.3,
     .sequel_prob = 0.2,
     .satisfaction_mean = 3.6,
     .category_weights = {0.7, 2, 2, 1.5, 3, 1, 1, 0.8},
     .tier_weights = {0.7, 0.25, 0.05},
     .loyalty_weights = {0.3, 0.45, 0.2, 0.05},
     .birth_year_min = 1950,
     .birth_year_max = 2000},
    // window_shopper
    {.share = 0.20,
     .online_sessions_per_week = 0.3,
     .app_share = 0.55,
     .store_visits_per_week = 0.02,
     .store_purchase_prob = 0.3,
     .store_basket_extra = 0.3,
     .email_opens_per_week = 0.15,
     .email_click_prob = 0.2,
     .views_extra = 6.0,
     .cart_prob = 0.06,
     .checkout_prob = 0.25,
     .quantity_extra = 0.1,
     .discount_prob = 0.1,
     .return_prob = 0.08,
     .complement_prob = 0.3,
     .sequel_prob = 0.1,
     .satisfaction_mean = 3.5,
     .category_weights = {3, 2.5, 1, 1, 0.2, 1.5, 0.5, 1},
     .tier_weights = {0.2, 0.4, 0.4},
     .loyalty_weights = {0.6, 0.3, 0.08, 0.02},
     .birth_year_min = 1975,
     .birth_year_max = 2006},
    // omnichannel_family
    {.share = 0.15,
     .online_sessions_per_week = 0.2,
     .app_share = 0.5,
     .store_visits_per_week = 0.2,
     .store_purchase_prob = 0.9,
     .store_basket_extra = 3.0,
     .email_opens_per_week = 0.3,
     .email_click_prob = 0.3,
     .views_extra = 2.5,
     .cart_prob = 0.4,
     .checkout_prob = 0.75,
     .quantity_extra = 0.8,
     .discount_prob = 0.2,
     .return_prob = 0.06,
     .complement_prob = 0.5,
     .sequel_prob = 0.35,
     .satisfaction_mean = 4.0,
     .category_weights = {0.7, 2, 2, 1, 3, 1, 2.5, 1.5},
     .tier_weights = {0.35, 0.45, 0.2},
     .loyalty_weights = {0.15, 0.35, 0.35, 0.15},
     .birth_year_min = 1972,
     .birth_year_max = 1994},
    // lapsed
    {.share = 0.18,
     .online_sessions_per_week = 0.2,
     .app_share = 0.4,
     .store_visits_per_week = 0.08,
     .store_purchase_prob = 0.7,
     .store_basket_extra = 1.0,
     .email_opens_per_week = 0.25,
     .email_click_prob = 0.15,
     .views_extra = 2.5,
     .cart_prob = 0.3,
     .checkout_prob = 0.6,
     .quantity_extra = 0.3,
     .discount_prob = 0.15,
     .return_prob = 0.12,
     .complement_prob = 0.35,
     .sequel_prob = 0.2,
     .satisfaction_mean = 2.6,
     .category_weights = {1.5, 1.5, 1.5, 1, 1.5, 1, 1, 1},
     .tier_weights = {0.4, 0.4, 0.2},
     .loyalty_weights = {0.4, 0.4, 0.15, 0.05},
     .birth_year_min = 1950,
     .birth_year_max = 2000},
    // new_customer
    {.share = 0.15,
     .online_sessions_per_week = 0.4,
     .app_share = 0.7,
     .store_visits_per_week = 0.04,
     .store_purchase_prob = 0.6,
     .store_basket_extra = 0.8,
     .email_opens_per_week = 0.4,
     .email_click_prob = 0.3,
     .views_extra = 3.0,
     .cart_prob = 0.3,
     .checkout_prob = 0.6,
     .quantity_extra = 0.2,
     .discount_prob = 0.2,
     .return_prob = 0.06,
     .complement_prob = 0.4,
     .sequel_prob = 0.3,
     .satisfaction_mean = 3.9,
     .category_weights = {1.5, 2, 1, 2, 0.8, 1, 0.7, 1},
     .tier_weights = {0.35, 0.45, 0.2},
     .loyalty_weights = {0.7, 0.25, 0.05, 0.0},
     .birth_year_min = 1985,
     .birth_year_max = 2007},
}};

// How customers signed up: web, app, store, email, loyalty.
constexpr std::array<double, 5> kSignupChannelWeights = {0.4, 0.25, 0.25, 0.02, 0.08};

constexpr double kConsentProbability = 0.8;
constexpr double kLoyaltyUpdateProbability = 0.15;
constexpr double kRegionUpdateProbability = 0.08;
constexpr double kUpdateFirstProbability = 1.0 / 3.0;
constexpr int64_t kDeclineSeconds = 60 * kDay;

template <size_t N>
std::array<double, N> Cumulative(std::array<double, N> weights) {
  Accumulate(weights.data(), static_cast<int>(N));
  return weights;
}

int ArgMax(const double* weights, int n) {
  return static_cast<int>(std::max_element(weights, weights + n) - weights);
}

// A time uniformly in [lo, hi) or -1 if the range is empty.
int64_t TimeBetween(Rng& rng, int64_t lo, int64_t hi) {
  return lo < hi ? rng.Between(lo, hi - 1) : -1;
}

}  // namespace

const ArchetypeParams& ParamsOf(Archetype archetype) { return kParams[Index(archetype)]; }

CustomerProfile MakeProfile(uint64_t seed, int64_t index, int64_t window_start,
                            int64_t window_end) {
  Rng rng = Rng::ForStream(seed, kProfileStream, static_cast<uint64_t>(index));
  CustomerProfile c;
  std::array<double, kNumArchetypes> shares;
  for (int a = 0; a < kNumArchetypes; ++a) shares[a] = kParams[a].share;
  shares = Cumulative(shares);
  c.archetype = static_cast<Archetype>(rng.Categorical(shares.data(), kNumArchetypes));
  const ArchetypeParams& p = ParamsOf(c.archetype);

  // Lognormal with mean 1 (mu = -sigma^2 / 2), clamped so no customer is unbounded.
  c.activity = std::clamp(rng.LogNormal(-0.125, 0.5), 0.15, 6.0);

  std::array<double, kNumCategories> cats = p.category_weights;
  const std::array<double, kNumCategories> base_cum = Cumulative(p.category_weights);
  for (double& w : cats) w *= rng.Uniform(0.5, 1.5);
  cats[rng.Categorical(base_cum.data(), kNumCategories)] *= 4.0;
  if (rng.Bernoulli(0.5)) cats[rng.Categorical(base_cum.data(), kNumCategories)] *= 2.0;
  c.favorite_category = ArgMax(cats.data(), kNumCategories);
  c.category_cumulative = Cumulative(cats);

  std::array<double, kNumTiers> tiers = p.tier_weights;
  for (double& w : tiers) w *= rng.Uniform(0.7, 1.3);
  c.top_tier = ArgMax(tiers.data(), kNumTiers);
  c.tier_cumulative = Cumulative(tiers);

  const int64_t span = window_end - window_start;
  c.active_from = window_start;
  c.active_until = window_end;
  if (c.archetype == Archetype::kLapsed) {
    c.active_until = window_start + static_cast<int64_t>(rng.Uniform(0.2, 0.95) * span);
    c.churned = true;
    c.decline_seconds = kDeclineSeconds;
  } else if (c.archetype == Archetype::kNewCustomer) {
    c.active_from = window_start + static_cast<int64_t>(rng.Uniform(0.4, 0.95) * span);
  }

  // Attributes.
  c.signup_ts = c.archetype == Archetype::kNewCustomer
                    ? c.active_from
                    : std::max<int64_t>(0, window_start - rng.Between(kDay, 5 * 365 * kDay));
  c.region = static_cast<int>(rng.Below(kRegionNames.size()));
  const std::array<double, 4> loyalty_cum = Cumulative(p.loyalty_weights);
  c.loyalty_tier = rng.Categorical(loyalty_cum.data(), 4);
  c.loyalty_ts = std::min(c.signup_ts + rng.Between(0, 30 * kDay), window_end - 1);
  c.marketing_consent = rng.Bernoulli(kConsentProbability);
  c.birth_year = static_cast<int>(rng.Between(p.birth_year_min, p.birth_year_max));
  const std::array<double, 5> signup_cum = Cumulative(kSignupChannelWeights);
  c.signup_channel = rng.Categorical(signup_cum.data(), 5);
  c.satisfaction_centis = static_cast<int>(
      std::floor(std::clamp(rng.Normal(p.satisfaction_mean, 0.6), 1.0, 5.0) * 100.0 + 0.5));
  c.satisfaction_ts = TimeBetween(rng, c.active_from, c.active_until);
  if (c.satisfaction_ts < 0) c.satisfaction_ts = c.active_from;

  if (rng.Bernoulli(kLoyaltyUpdateProbability)) {
    const int64_t ts =
        TimeBetween(rng, std::max(c.loyalty_ts + kDay, c.active_from), c.active_until);
    const bool up = c.archetype == Archetype::kLoyalBigSpender || c.loyalty_tier == 0 ||
                    (c.loyalty_tier < 3 && rng.Bernoulli(0.5));
    if (ts >= 0) {
      c.has_loyalty_update = true;
      c.loyalty_update = up ? std::min(c.loyalty_tier + 1, 3) : c.loyalty_tier - 1;
      if (c.loyalty_update == c.loyalty_tier) c.loyalty_update = c.loyalty_tier - 1;
      c.loyalty_update_ts = ts;
      c.loyalty_update_first = rng.Bernoulli(kUpdateFirstProbability);
    }
  }
  if (rng.Bernoulli(kRegionUpdateProbability)) {
    const int64_t ts =
        TimeBetween(rng, std::max(c.signup_ts + kDay, c.active_from), c.active_until);
    const int moved =
        static_cast<int>((c.region + 1 + rng.Below(kRegionNames.size() - 1)) % kRegionNames.size());
    if (ts >= 0) {
      c.has_region_update = true;
      c.region_update = moved;
      c.region_update_ts = ts;
      c.region_update_first = rng.Bernoulli(kUpdateFirstProbability);
    }
  }
  return c;
}

double PurchaseRate30d(const CustomerProfile& c) {
  if (c.churned) return 0.0;
  const ArchetypeParams& p = ParamsOf(c.archetype);
  // Online sessions (own and email-driven) that end in a checkout: views V = 1 + Poisson(m),
  // P(at least one add_to_cart) = 1 - E[(1 - q)^V] = 1 - (1 - q) exp(-m q).
  const double sessions = p.online_sessions_per_week +
                          (c.marketing_consent ? p.email_opens_per_week * p.email_click_prob : 0.0);
  const double any_cart = 1.0 - (1.0 - p.cart_prob) * std::exp(-p.views_extra * p.cart_prob);
  const double per_week =
      sessions * any_cart * p.checkout_prob + p.store_visits_per_week * p.store_purchase_prob;
  return c.activity * per_week * 30.0 / 7.0;
}

}  // namespace cohort::datagen::internal
