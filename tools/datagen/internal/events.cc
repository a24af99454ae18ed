#include "tools/datagen/internal/events.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace cohort::datagen::internal {
namespace {

constexpr uint64_t kEventStream = 2;
constexpr int64_t kDay = 86400;
constexpr int64_t kWeek = 7 * kDay;

constexpr std::array<double, 24> Cumulative24(std::array<double, 24> w) {
  for (int i = 1; i < 24; ++i) w[i] += w[i - 1];
  return w;
}
// Relative frequency of session starts per UTC hour of the day.
constexpr std::array<double, 24> kOnlineHours =
    Cumulative24({1,   0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2, 2.5, 2.8, 3,
                  3.2, 3,   2.8, 2.8, 3,   3.5, 4.5, 5.5, 6, 5.5, 4,   2});
constexpr std::array<double, 24> kStoreHours =
    Cumulative24({0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 5, 4, 4, 5, 6, 6, 4, 2, 0.5, 0, 0});
constexpr std::array<double, 24> kEmailHours = Cumulative24(
    {0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 2, 4, 5, 4, 3, 2.5, 3, 2.5, 2, 2, 2, 2.5, 3, 3.5, 3.5, 3, 2, 1});

constexpr double kAdClickProbability = 0.2;      // an online session starts with a click
constexpr double kLoyaltyCardProbability = 0.6;  // a member's till purchase is on "loyalty"
// Return probability multiplier per category.
constexpr std::array<double, kNumCategories> kReturnFactor = {1.3, 1.8, 1.0, 0.8,
                                                              0.2, 1.0, 1.0, 0.5};
constexpr int kMaxQuantity = 20;
constexpr int kGrocery = 4;

}  // namespace

void EventSimulator::Simulate(uint64_t seed, int64_t index, const CustomerProfile& profile,
                              std::vector<Event>* events) {
  rng_ = Rng::ForStream(seed, kEventStream, static_cast<uint64_t>(index));
  profile_ = &profile;
  params_ = &ParamsOf(profile.archetype);
  events_ = events;
  events_->clear();
  limit_ = std::min(window_end_, profile.active_until);
  last_purchase_ = kNoItem;
  seq_ = 0;

  sessions_.clear();
  CollectSessions(params_->online_sessions_per_week, kOnlineHours.data(), SessionKind::kOnline);
  CollectSessions(params_->store_visits_per_week, kStoreHours.data(), SessionKind::kStore);
  if (profile.marketing_consent) {
    CollectSessions(params_->email_opens_per_week, kEmailHours.data(), SessionKind::kEmail);
  }
  // Sessions run in time order, so "the last purchase" (for sequels) is chronological.
  std::sort(sessions_.begin(), sessions_.end(), [](const SessionStart& a, const SessionStart& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.order < b.order;
  });
  for (const SessionStart& s : sessions_) {
    switch (s.kind) {
      case SessionKind::kOnline:
        OnlineSession(s.ts, rng_.Bernoulli(params_->app_share) ? Channel::kApp : Channel::kWeb,
                      kNoItem, rng_.Bernoulli(kAdClickProbability));
        break;
      case SessionKind::kStore:
        StoreVisit(s.ts);
        break;
      case SessionKind::kEmail:
        EmailOpen(s.ts);
        break;
    }
  }
  std::sort(events_->begin(), events_->end(), [](const Event& a, const Event& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.seq < b.seq;
  });
}

void EventSimulator::CollectSessions(double per_week, const double* hour_cumulative,
                                     SessionKind kind) {
  const CustomerProfile& c = *profile_;
  const double rate = per_week * c.activity / kWeek;  // per second
  if (rate <= 0.0) return;
  double t = static_cast<double>(c.active_from);
  const double until = static_cast<double>(c.active_until);
  for (;;) {
    t += rng_.Exponential(rate);
    if (t >= until) break;
    // Lapsed customers fade out: thinning with a linear ramp to 0 at active_until.
    const double remaining = until - t;
    if (remaining < c.decline_seconds && !rng_.Bernoulli(remaining / c.decline_seconds)) continue;
    const int64_t day_start = static_cast<int64_t>(std::floor(t / kDay)) * kDay;
    const int64_t ts =
        day_start + rng_.Categorical(hour_cumulative, 24) * 3600 + rng_.Between(0, 3599);
    if (ts < c.active_from || ts >= limit_) continue;
    sessions_.push_back({ts, static_cast<uint32_t>(sessions_.size()), kind});
  }
}

void EventSimulator::OnlineSession(int64_t t, Channel channel, int32_t first_item, bool click) {
  const ArchetypeParams& p = *params_;
  const int64_t views = 1 + rng_.Poisson(p.views_extra);
  int32_t item = first_item;
  if (item == kNoItem && last_purchase_ != kNoItem && rng_.Bernoulli(p.sequel_prob)) {
    item = catalog_.SampleComplement(last_purchase_, rng_);
  }
  if (item == kNoItem) item = SampleItem();
  if (click) {
    Emit(t, EventType::kClick, channel, item);
    t += rng_.Between(2, 20);
  }
  cart_items_.clear();
  cart_quantities_.clear();
  for (int64_t v = 0; v < views; ++v) {
    if (v > 0) item = NextItem(item);
    Emit(t, EventType::kView, channel, item);
    t += rng_.Between(15, 180);
    if (rng_.Bernoulli(p.cart_prob)) {
      const int quantity = Quantity(item);
      Emit(t, EventType::kAddToCart, channel, item, quantity);
      cart_items_.push_back(item);
      cart_quantities_.push_back(quantity);
      t += rng_.Between(5, 60);
    }
  }
  if (cart_items_.empty() || !rng_.Bernoulli(p.checkout_prob)) return;  // abandoned
  t += rng_.Between(30, 300);
  for (size_t i = 0; i < cart_items_.size(); ++i) {
    Purchase(t, cart_items_[i], cart_quantities_[i], channel);
    ++t;
  }
}

void EventSimulator::StoreVisit(int64_t t) {
  const ArchetypeParams& p = *params_;
  Emit(t, EventType::kStoreVisit, Channel::kStore);
  if (!rng_.Bernoulli(p.store_purchase_prob)) return;
  const bool member = profile_->final_loyalty_tier() > 0 || profile_->loyalty_tier > 0;
  const Channel till =
      member && rng_.Bernoulli(kLoyaltyCardProbability) ? Channel::kLoyalty : Channel::kStore;
  const int64_t basket = 1 + rng_.Poisson(p.store_basket_extra);
  t += rng_.Between(5 * 60, 45 * 60);
  int32_t item = kNoItem;
  if (last_purchase_ != kNoItem && rng_.Bernoulli(p.sequel_prob)) {
    item = catalog_.SampleComplement(last_purchase_, rng_);
  }
  if (item == kNoItem) item = SampleItem();
  for (int64_t k = 0; k < basket; ++k) {
    if (k > 0) item = NextItem(item);
    Purchase(t, item, Quantity(item), till);
    ++t;
  }
}

void EventSimulator::EmailOpen(int64_t t) {
  Emit(t, EventType::kEmailOpen, Channel::kEmail);
  if (!rng_.Bernoulli(params_->email_click_prob)) return;
  const int32_t item = SampleItem();  // the promoted item
  t += rng_.Between(5, 600);
  Emit(t, EventType::kClick, Channel::kEmail, item);
  OnlineSession(t + rng_.Between(3, 30), Channel::kWeb, item, /*click=*/false);
}

void EventSimulator::Purchase(int64_t t, int32_t item, int quantity, Channel channel) {
  const ArchetypeParams& p = *params_;
  const Item& it = catalog_.item(item);
  int64_t amount = it.price_cents * quantity;
  if (rng_.Bernoulli(p.discount_prob)) amount = amount * (100 - rng_.Between(10, 30)) / 100;
  amount = std::max<int64_t>(amount, 1);
  Emit(t, EventType::kPurchase, channel, item, quantity, amount);
  last_purchase_ = item;
  if (rng_.Bernoulli(p.return_prob * kReturnFactor[it.category])) {
    const int64_t when = t + rng_.Between(2 * kDay, 21 * kDay);
    Emit(when, EventType::kReturn, channel == Channel::kLoyalty ? Channel::kStore : channel, item,
         quantity, amount);
  }
}

void EventSimulator::Emit(int64_t ts, EventType type, Channel channel, int32_t item, int quantity,
                          int64_t amount_cents) {
  if (ts >= limit_) return;
  Event& e = events_->emplace_back();
  e.ts = ts;
  e.amount_cents = amount_cents;
  e.item = item;
  e.seq = seq_++;
  e.quantity = static_cast<uint16_t>(quantity);
  e.type = type;
  e.channel = channel;
}

int32_t EventSimulator::SampleItem() {
  const int category = rng_.Categorical(profile_->category_cumulative.data(), kNumCategories);
  const int tier = rng_.Categorical(profile_->tier_cumulative.data(), kNumTiers);
  return catalog_.Sample(category, tier, rng_);
}

int32_t EventSimulator::NextItem(int32_t previous) {
  if (rng_.Bernoulli(params_->complement_prob)) {
    const int32_t complement = catalog_.SampleComplement(previous, rng_);
    if (complement != kNoItem) return complement;
  }
  return SampleItem();
}

int EventSimulator::Quantity(int32_t item) {
  const double extra =
      params_->quantity_extra * (catalog_.item(item).category == kGrocery ? 2.0 : 1.0);
  return static_cast<int>(std::min<int64_t>(1 + rng_.Poisson(extra), kMaxQuantity));
}

}  // namespace cohort::datagen::internal
