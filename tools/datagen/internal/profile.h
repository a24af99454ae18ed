// Internal to cohort-datagen: archetype parameters and the per-customer planted profile.
//
// A customer's profile (archetype, activity, preferences, activity window, attributes) is a
// pure function of (seed, customer index, window), drawn from its own RNG stream, so it does
// not depend on which outputs are written or on any other customer.
#pragma once

#include <array>
#include <cstdint>

#include "tools/datagen/internal/rng.h"
#include "tools/datagen/vocabulary.h"

namespace cohort::datagen::internal {

// Behaviour of one archetype. Rates are per week for a customer of activity 1.0.
struct ArchetypeParams {
  double share;                     // fraction of customers
  double online_sessions_per_week;  // web/app browsing sessions
  double app_share;                 // of online sessions on channel app (else web)
  double store_visits_per_week;
  double store_purchase_prob;   // a store visit ends in a purchase
  double store_basket_extra;    // store basket = 1 + Poisson(this) items
  double email_opens_per_week;  // only with marketing consent
  double email_click_prob;      // an open leads to a click and a web session
  double views_extra;           // views per online session = 1 + Poisson(this)
  double cart_prob;             // a view leads to add_to_cart
  double checkout_prob;         // a non-empty cart is bought (else abandoned)
  double quantity_extra;        // quantity = 1 + Poisson(this) (doubled for grocery)
  double discount_prob;         // a purchase line gets 10-30% off
  double return_prob;           // a purchase is returned (scaled per category)
  double complement_prob;       // next item in a session is a complement of the last
  double sequel_prob;           // a session starts from a complement of the last purchase
  double satisfaction_mean;     // satisfaction_score attribute, 1..5
  std::array<double, kNumCategories> category_weights;
  std::array<double, kNumTiers> tier_weights;
  std::array<double, 4> loyalty_weights;  // none, bronze, silver, gold
  int birth_year_min;
  int birth_year_max;
};

const ArchetypeParams& ParamsOf(Archetype archetype);

// The planted truth and attributes of one customer. Times are Unix seconds.
struct CustomerProfile {
  Archetype archetype = Archetype::kLoyalBigSpender;
  double activity = 1.0;  // multiplier of every rate (lognormal, mean about 1)
  std::array<double, kNumCategories> category_cumulative{};
  std::array<double, kNumTiers> tier_cumulative{};
  int favorite_category = 0;
  int top_tier = 0;
  int64_t active_from = 0;   // no activity before (window start unless new_customer)
  int64_t active_until = 0;  // no activity from here on (window end unless lapsed)
  bool churned = false;      // active_until < window end
  // Lapsed customers' rates ramp down linearly over this many seconds before active_until.
  int64_t decline_seconds = 0;

  // Attributes. The *_update fields are a second, later version from another source.
  int region = 0;
  int loyalty_tier = 0;
  bool marketing_consent = true;
  int birth_year = 1980;
  int signup_channel = 0;
  int64_t signup_ts = 0;
  int64_t loyalty_ts = 0;
  int satisfaction_centis = 300;  // satisfaction_score * 100
  int64_t satisfaction_ts = 0;
  bool has_loyalty_update = false;
  int loyalty_update = 0;
  int64_t loyalty_update_ts = 0;
  bool loyalty_update_first = false;  // the newer row is written before the older one
  bool has_region_update = false;
  int region_update = 0;
  int64_t region_update_ts = 0;
  bool region_update_first = false;

  int final_region() const { return has_region_update ? region_update : region; }
  int final_loyalty_tier() const { return has_loyalty_update ? loyalty_update : loyalty_tier; }
};

// The profile of customer `index` for events in [window_start, window_end).
CustomerProfile MakeProfile(uint64_t seed, int64_t index, int64_t window_start, int64_t window_end);

// Expected purchase sessions (online checkouts and store purchases) per 30 days at
// window end; 0 for churned customers.
double PurchaseRate30d(const CustomerProfile& profile);

}  // namespace cohort::datagen::internal
