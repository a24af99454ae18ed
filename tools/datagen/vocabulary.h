// The fixed vocabulary of cohort-datagen's output: event types, channels, categories and
// customer archetypes. Other components (feature registry, trainers, tests) depend on these
// exact strings; append, never rename or reorder (enum values index the name tables).
#pragma once

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace cohort::datagen {

enum class EventType : uint8_t {
  kPurchase,
  kView,
  kAddToCart,
  kClick,
  kReturn,
  kStoreVisit,
  kEmailOpen,
};
inline constexpr std::array<absl::string_view, 7> kEventTypeNames = {
    "purchase", "view", "add_to_cart", "click", "return", "store_visit", "email_open"};

enum class Channel : uint8_t { kWeb, kApp, kStore, kEmail, kLoyalty };
inline constexpr std::array<absl::string_view, 5> kChannelNames = {"web", "app", "store", "email",
                                                                   "loyalty"};

inline constexpr int kNumCategories = 8;
inline constexpr std::array<absl::string_view, kNumCategories> kCategoryNames = {
    "electronics", "apparel", "home", "beauty", "grocery", "sports", "toys", "books"};

// Price tiers: each category's items split into price tertiles.
inline constexpr int kNumTiers = 3;
inline constexpr std::array<absl::string_view, kNumTiers> kTierNames = {"budget", "mid", "premium"};

// The planted customer archetypes (see docs/datagen.md for their behaviour and shares).
enum class Archetype : uint8_t {
  kLoyalBigSpender,
  kBargainHunter,
  kWindowShopper,
  kOmnichannelFamily,
  kLapsed,
  kNewCustomer,
};
inline constexpr int kNumArchetypes = 6;
inline constexpr std::array<absl::string_view, kNumArchetypes> kArchetypeNames = {
    "loyal_big_spender",  "bargain_hunter", "window_shopper",
    "omnichannel_family", "lapsed",         "new_customer"};

inline constexpr std::array<absl::string_view, 5> kRegionNames = {"north", "south", "east", "west",
                                                                  "central"};
inline constexpr std::array<absl::string_view, 4> kLoyaltyTierNames = {"none", "bronze", "silver",
                                                                       "gold"};

template <typename Enum>
constexpr int Index(Enum e) {
  return static_cast<int>(e);
}

inline absl::string_view Name(EventType t) { return kEventTypeNames[Index(t)]; }
inline absl::string_view Name(Channel c) { return kChannelNames[Index(c)]; }
inline absl::string_view Name(Archetype a) { return kArchetypeNames[Index(a)]; }

}  // namespace cohort::datagen
